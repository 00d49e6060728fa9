"""Writes on the message store: the only writer of talk-room messages.

Quota is not handled here: callers that send counted messages reserve or
consume quota (``accounts.quota``) and then call ``messages_send``.
"""

import base64
import datetime as dt
import secrets

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import OfficialAccount, User
from core.events import (
    account_group,
    line_user_group,
    send_event_on_commit,
    send_events_on_commit,
)
from core.exceptions import ApplicationError
from messaging.friends.models import (
    Friend,
)
from messaging.friends.services import AccountUnavailable
from messaging.store.bulk import messages_copy
from messaging.store.models import Message
from messaging.store.placeholders import placeholders_render
from messaging.store.validators import message_text, messages_validate


def message_event(message: Message) -> dict:
    """The real-time event for a stored message (talk app and Manager)."""
    return {
        "type": "message.created",
        "message": {
            "id": message.pk,
            "friend_id": message.friend_id,
            "direction": message.direction,
            "source": message.source,
            "type": message.type,
            "payload": message.payload,
            "text": message.text,
            "created_at": message.created_at.isoformat(),
        },
    }


def _publish_messages(
    account: OfficialAccount, friend: Friend, messages: list[Message]
) -> None:
    groups = [account_group(account.pk), line_user_group(friend.line_user_id)]
    send_events_on_commit(
        events=[(groups, message_event(message)) for message in messages]
    )


# A room moves up at most once per second and friend: concurrent sends to
# one friend (a bot's load test, a burst of pushes) do not queue on its row.
TOUCH_GRANULARITY = dt.timedelta(seconds=1)


def _touch(friend_ids: list[int], when) -> None:
    """Set ``last_message_at`` (the talk app's room order) to ``when``.

    Rows touched less than ``TOUCH_GRANULARITY`` ago are left alone and not
    locked. Several rows are locked in id order, so that two sends to
    overlapping friends cannot deadlock (the quota no longer serialises an
    account's sends: ``accounts.quota.quota_taken``).
    """
    if not friend_ids:
        return
    if connection.vendor != "postgresql":
        # SQLite (development) runs one writing transaction at a time.
        Friend.objects.filter(pk__in=friend_ids).update(last_message_at=when)
        return
    table = Friend._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET last_message_at = %s WHERE id IN ("  # noqa: S608
            f"SELECT id FROM {table} WHERE id = ANY(%s) "
            "AND (last_message_at IS NULL OR last_message_at < %s) "
            "ORDER BY id FOR NO KEY UPDATE)",
            [when, friend_ids, when - TOUCH_GRANULARITY],
        )


def _messages_insert(rows: list[Message]) -> None:
    """Write new ``rows`` and set their ids: ``COPY`` on PostgreSQL."""
    if connection.vendor == "postgresql":
        messages_copy(rows)
    else:
        Message.objects.bulk_create(rows)


# No savepoint: inside a caller's transaction (every API send) a failure
# rolls the whole send back anyway, and SAVEPOINT/RELEASE cost two round
# trips on the hottest path (pinned in tests/messaging/api/test_query_counts).
@transaction.atomic(savepoint=False)
def messages_send(
    *,
    account: OfficialAccount,
    friends: list[Friend],
    messages: list[dict],
    source: str,
    sent_by: User | None = None,
    include_blocked: bool = False,
) -> list[Message]:
    """Store outbound ``messages`` in each friend's talk room and notify.

    Blocked friends are skipped (they receive nothing) unless
    ``include_blocked``: a chat reply inside LINE's 7-day window for
    non-friends, which the caller has checked. Placeholders are filled per
    friend. Returns the created rows in send order.
    """
    if account.is_suspended:
        raise AccountUnavailable(
            _("This account is suspended by the operator and cannot send messages.")
        )
    messages_validate(messages)
    now = timezone.now()
    rows: list[Message] = []
    targets = [
        f for f in friends if include_blocked or f.status == Friend.Status.FOLLOWING
    ]
    # LINE gives every sent message a quote token too.
    quote_tokens = iter(_quote_tokens(len(targets) * len(messages)))
    for friend in targets:
        for msg in placeholders_render(
            messages,
            nickname=friend.line_user.display_name,
            account_name=account.display_name,
        ):
            rows.append(
                Message(
                    account=account,
                    friend=friend,
                    direction=Message.Direction.OUTBOUND,
                    source=source,
                    type=msg["type"],
                    payload=msg,
                    text=message_text(msg),
                    sent_by=sent_by,
                    quote_token=next(quote_tokens),
                    created_at=now,
                )
            )
    _messages_insert(rows)
    _touch([f.pk for f in targets], now)
    by_friend: dict[int, list[Message]] = {}
    for row in rows:
        by_friend.setdefault(row.friend_id, []).append(row)
    # One batch for every friend: one wait for the channel layer, however
    # many recipients (a multicast has up to 500).
    send_events_on_commit(
        events=[
            (
                [account_group(account.pk), line_user_group(friend.line_user_id)],
                message_event(message),
            )
            for friend in targets
            for message in by_friend.get(friend.pk, [])
        ]
    )
    return rows


def _quote_token() -> str:
    """A new message's quote token (REF#quote-token), URL-safe, 22 chars."""
    return secrets.token_urlsafe(16)[:22]


def _quote_tokens(n: int) -> list[str]:
    """``n`` quote tokens like ``_quote_token``'s, from one read of the OS's
    random source: a read per token was 15 % of a 500-friend multicast on
    this VM (``bench/api.py``)."""
    raw = secrets.token_bytes(16 * n)
    return [
        base64.urlsafe_b64encode(raw[i : i + 16]).decode()[:22]
        for i in range(0, 16 * n, 16)
    ]


@transaction.atomic
def message_receive(
    *, friend: Friend, message: dict, content=None, preview=None
) -> Message:
    """Store a message the customer sent and publish ``message.created``.

    Only the store: the inbox, automatic replies and the webhook are
    ``chat.inbound.customer_message_send``. ``content``/``preview`` are
    files for image, video and audio messages (already checked); they are
    removed again if the row cannot be written. Raises ``ApplicationError``
    when the friend blocked the account, ``AccountUnavailable`` when it is
    suspended and ``MessagesInvalid`` for an invalid message object.
    """
    if friend.status != Friend.Status.FOLLOWING:
        raise ApplicationError(_("Unblock this account to send it messages."))
    if friend.account.is_suspended:
        raise AccountUnavailable(_("This account is not available."))
    # A customer's photo, video or audio has no URLs: its file is the content.
    if message.get("type") not in ("image", "video", "audio"):
        messages_validate([message], max_count=1, prop="message")
    now = timezone.now()
    row = Message(
        account_id=friend.account_id,
        friend=friend,
        direction=Message.Direction.INBOUND,
        source=Message.Source.CUSTOMER,
        type=message["type"],
        payload=message,
        text=message_text(message),
        quote_token=_quote_token(),
        created_at=now,
    )
    try:
        if content is not None:
            row.content.save(content.name, content, save=False)
        if preview is not None:
            row.preview.save(preview.name, preview, save=False)
        row.save()
    except Exception:
        # Nothing half-written: files stored before a failed insert go too.
        for field in (row.content, row.preview):
            if field:
                field.storage.delete(field.name)
        raise
    _touch([friend.pk], now)
    _publish_messages(friend.account, friend, [row])
    return row


@transaction.atomic
def messages_mark_read(*, friend: Friend, up_to_id: int | None = None) -> int:
    """Staff or a bot read the customer's messages: the talk app shows 既読."""
    qs = Message.objects.filter(
        friend=friend, direction=Message.Direction.INBOUND, read_at=None
    )
    if up_to_id is not None:
        qs = qs.filter(pk__lte=up_to_id)
    now = timezone.now()
    count = qs.update(read_at=now)
    if count:
        last = (
            Message.objects.filter(friend=friend, direction=Message.Direction.INBOUND)
            .order_by("-id")
            .values_list("id", flat=True)
            .first()
        )
        send_event_on_commit(
            groups=[
                line_user_group(friend.line_user_id),
                account_group(friend.account_id),
            ],
            event={
                "type": "message.read",
                "friend_id": friend.pk,
                "up_to_id": up_to_id or last,
            },
        )
    return count


@transaction.atomic
def messages_mark_opened(*, friend: Friend, up_to_id: int) -> int:
    """The customer's talk app showed the account's messages (opened)."""
    return Message.objects.filter(
        friend=friend,
        direction=Message.Direction.OUTBOUND,
        read_at=None,
        pk__lte=up_to_id,
    ).update(read_at=timezone.now())
