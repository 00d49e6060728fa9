"""What the Manager's home page reads (issue 14, #17)."""

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from accounts.models import OfficialAccount
from chat.selectors import chat_enabled, unread_conversation_count
from messaging.broadcasts.models import Broadcast
from messaging.friends.selectors import friend_counts


@dataclass(frozen=True)
class HomeFigures:
    """Today's figures, in the account's time zone."""

    today: dt.date
    following: int
    blocked: int
    added_today: int
    blocked_today: int
    unread_chats: int | None  # None: chat is off or the role has no chat
    next_broadcast: Broadcast | None  # the earliest scheduled one


def home_figures(
    *, account: OfficialAccount, with_chat: bool, now: dt.datetime | None = None
) -> HomeFigures:
    """Friends gained and lost today, unread chats, the next broadcast.

    "Today" starts at local midnight of the account's time zone. Four
    SELECTs at most (friends, chat on?, unread, next broadcast); no writes.
    """
    now = now or timezone.now()
    midnight = timezone.localtime(now, account.tz).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    counts = friend_counts(account=account, since=midnight)
    unread = None
    if with_chat and chat_enabled(account=account):
        unread = unread_conversation_count(account=account)
    next_broadcast = (
        Broadcast.objects.filter(
            account=account,
            status=Broadcast.Status.SCHEDULED,
            scheduled_at__isnull=False,
        )
        .only("id", "title", "scheduled_at", "status", "account_id")
        .order_by("scheduled_at", "id")
        .first()
    )
    return HomeFigures(
        today=midnight.date(),
        following=counts["following"],
        blocked=counts["blocked"],
        added_today=counts["added"],
        blocked_today=counts["blocked_since"],
        unread_chats=unread,
        next_broadcast=next_broadcast,
    )
