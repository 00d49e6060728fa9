"""Reads of saved segments; always account-scoped."""

from django.db.models import QuerySet

from accounts.models import OfficialAccount
from core.selectors import get_or_not_found
from messaging.audience.models import Segment


def segment_list(*, account: OfficialAccount) -> QuerySet:
    return Segment.objects.filter(account=account).order_by("name")


def segment_get(*, account: OfficialAccount, segment_id: int) -> Segment:
    """The account's saved segment; ``NotFound`` otherwise."""
    return get_or_not_found(Segment.objects.filter(account=account), pk=segment_id)
