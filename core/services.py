"""Write helpers shared by every app's services."""

from typing import Any, TypeVar

from django.db import models
from django.utils import timezone

M = TypeVar("M", bound=models.Model)


def model_update(
    *,
    instance: M,
    fields: list[str],
    data: dict[str, Any],
    full_clean: bool = False,
) -> tuple[M, bool]:
    """Set the ``fields`` whose value in ``data`` differs, save only those.

    Returns ``(instance, changed)``; ``changed`` is False when every value
    was already set, and then nothing is written (no query). A field of
    ``fields`` missing from ``data`` is left alone. A changed instance with
    an ``updated_at`` field gets it set to now and saved too. With
    ``full_clean`` the instance is validated first (``ValidationError``).
    The caller holds the transaction and any audit entry.
    """
    model_fields = {field.name for field in instance._meta.concrete_fields}
    update_fields = []
    for name in fields:
        if name not in model_fields:
            raise ValueError(f"{type(instance).__name__} has no field {name!r}")
        if name in data and getattr(instance, name) != data[name]:
            setattr(instance, name, data[name])
            update_fields.append(name)
    if not update_fields:
        return instance, False
    if "updated_at" in model_fields and "updated_at" not in update_fields:
        instance.updated_at = timezone.now()
        update_fields.append("updated_at")
    if full_clean:
        instance.full_clean()
    instance.save(update_fields=update_fields)
    return instance, True
