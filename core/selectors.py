"""Read helpers shared by every app's selectors."""

from typing import TypeVar

from django.db import models

from core.exceptions import NotFound

M = TypeVar("M", bound=models.Model)


def get_or_not_found(queryset: models.QuerySet[M] | type[M], **lookup) -> M:
    """The one row of ``queryset`` matching ``lookup``, or raise ``NotFound``.

    Django's ``get_object_or_404`` with the domain error: pass a queryset
    already scoped to the tenant (``Tag.objects.filter(account=account)``)
    so that another account's id is as missing as an unknown one. A model
    class means its default manager. Several matches raise Django's
    ``MultipleObjectsReturned``: the lookup is meant to be unique.
    """
    if isinstance(queryset, type):
        queryset = queryset._default_manager.all()
    try:
        return queryset.get(**lookup)
    except queryset.model.DoesNotExist:
        raise NotFound() from None
