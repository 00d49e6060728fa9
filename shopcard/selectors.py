"""Account-scoped reads of shop cards (docs/shopcard.md)."""

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import OfficialAccount
from core.selectors import get_or_not_found
from messaging.friends.models import Friend
from shopcard.models import (
    PointCard,
    PointCode,
    PointEntry,
    RewardTicket,
    ShopCard,
)

HISTORY_SIZE = 50


def card_list(*, account: OfficialAccount) -> QuerySet[ShopCard]:
    return ShopCard.objects.filter(account=account).prefetch_related("rewards")


def card_get(*, account: OfficialAccount, card_id: int) -> ShopCard:
    return get_or_not_found(ShopCard.objects.filter(account=account), pk=card_id)


def card_entry(*, account: OfficialAccount) -> ShopCard | None:
    """The rank-1 card customers get, when published."""
    return (
        ShopCard.objects.filter(account=account, status=ShopCard.Status.PUBLISHED)
        .prefetch_related("rewards")
        .order_by("rank")
        .first()
    )


def code_list(*, account: OfficialAccount) -> QuerySet[PointCode]:
    return PointCode.objects.filter(account=account)


def code_get(*, account: OfficialAccount, code_id: int) -> PointCode:
    return get_or_not_found(PointCode.objects.filter(account=account), pk=code_id)


def point_card_for(*, friend: Friend) -> PointCard | None:
    return (
        PointCard.objects.select_related("card")
        .prefetch_related("card__rewards")
        .filter(friend=friend)
        .first()
    )


def history(*, friend: Friend) -> QuerySet[PointEntry]:
    return (
        PointEntry.objects.filter(point_card__friend=friend)
        .select_related("card")
        .order_by("-id")[:HISTORY_SIZE]
    )


def tickets(*, friend: Friend) -> list[RewardTicket]:
    """The friend's tickets: usable first, then used or expired."""
    rows = list(RewardTicket.objects.filter(friend=friend).order_by("-id")[:100])
    return sorted(rows, key=lambda t: not t.is_usable)


def ticket_get(*, friend: Friend, ticket_id: int) -> RewardTicket:
    return get_or_not_found(RewardTicket.objects.filter(friend=friend), pk=ticket_id)


def usable_ticket_count(*, friend: Friend) -> int:
    return RewardTicket.objects.filter(
        friend=friend,
        status=RewardTicket.Status.ISSUED,
        expires_at__gt=timezone.now(),
    ).count()
