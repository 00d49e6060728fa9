"""Reads of saved segments; always account-scoped."""

from django.db.models import QuerySet
from django.http import Http404

from accounts.models import OfficialAccount
from messaging.audience.models import Segment


def segment_list(*, account: OfficialAccount) -> QuerySet:
    return Segment.objects.filter(account=account).order_by("name")


def segment_get(*, account: OfficialAccount, segment_id: int) -> Segment:
    segment = Segment.objects.filter(account=account, pk=segment_id).first()
    if segment is None:
        raise Http404
    return segment
