"""Reads of saved segments; always account-scoped."""

from django.db.models import QuerySet

from accounts.models import OfficialAccount
from core.public_ids import public_number_parse
from core.selectors import get_or_not_found
from messaging.audience.models import AudienceGroup, AudienceJob, Segment


def segment_list(*, account: OfficialAccount) -> QuerySet:
    return Segment.objects.filter(account=account).order_by("name")


def segment_get(*, account: OfficialAccount, segment_id: int) -> Segment:
    """The account's saved segment; ``NotFound`` otherwise."""
    return get_or_not_found(Segment.objects.filter(account=account), pk=segment_id)


def audience_group_by_public_id(
    *, account: OfficialAccount, audience_group_id
) -> AudienceGroup | None:
    """The account's audience with this ``audienceGroupId`` (13 digits), or None."""
    pk = public_number_parse(str(audience_group_id), namespace="audience", digits=13)
    if pk is None:
        return None
    return AudienceGroup.objects.filter(account=account, pk=pk).first()


def audience_group_list(
    *,
    account: OfficialAccount,
    description: str | None = None,
    status: str | None = None,
    create_route: str | None = None,
) -> QuerySet:
    """The account's audiences, newest first, filtered as LINE's list is
    (``description``: case-insensitive part of the name)."""
    groups = AudienceGroup.objects.filter(account=account)
    if description:
        groups = groups.filter(description__icontains=description)
    if status:
        groups = groups.filter(status=status)
    if create_route:
        groups = groups.filter(create_route=create_route)
    return groups.order_by("-created_at", "-id")


def audience_jobs(*, group: AudienceGroup) -> list[AudienceJob]:
    """The newest 50 upload jobs of an audience (LINE's ``jobs``)."""
    return list(group.jobs.order_by("-created_at", "-id")[:50])
