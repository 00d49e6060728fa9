"""Writes on LINE users, friendships and the message store.

Quota is not handled here: callers that send counted messages reserve or
consume quota (``accounts.quota``) and then call ``messages_send``.
"""

import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.ids import new_user_id
from accounts.models import OfficialAccount, User
from core.events import account_group, line_user_group, send_event_on_commit
from core.exceptions import ApplicationError
from messaging.models import Friend, FriendSource, Greeting, LineUser, Message
from messaging.validators import message_text, messages_validate


class AccountUnavailable(ApplicationError):
    """Unknown or suspended account in an add-friend link or QR code."""


@transaction.atomic
def line_user_create(*, display_name: str, **profile) -> LineUser:
    """Create a simulated LINE user with a fresh ``U…`` ID."""
    user = LineUser(user_id=new_user_id(), display_name=display_name, **profile)
    user.full_clean()
    user.save()
    return user


def placeholders_render(
    messages: list[dict], *, friend: Friend, account: OfficialAccount
) -> list[dict]:
    """Copies of ``messages`` with {Nickname} and {AccountName} filled in."""
    out = []
    for msg in messages:
        if msg.get("type") == "text":
            msg = {
                **msg,
                "text": msg["text"]
                .replace("{Nickname}", friend.line_user.display_name)
                .replace("{AccountName}", account.display_name),
            }
        out.append(msg)
    return out


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
    for message in messages:
        event = message_event(message)
        send_event_on_commit(
            groups=[account_group(account.pk), line_user_group(friend.line_user_id)],
            event=event,
        )


@dataclass(frozen=True)
class FollowResult:
    friend: Friend
    created: bool
    unblocked: bool


@transaction.atomic
def friend_follow(
    *,
    account: OfficialAccount,
    line_user: LineUser,
    source: FriendSource | None = None,
) -> FollowResult:
    """Add ``account`` as a friend of ``line_user``, or unblock it.

    Idempotent: following an account one already follows changes nothing.
    Sends the greeting (free of quota) on first add, and on unblock unless
    the account turned that off.
    """
    if account.is_suspended:
        raise AccountUnavailable(_("This account is not available."))
    now = timezone.now()
    friend, created = Friend.objects.select_for_update().get_or_create(
        account=account,
        line_user=line_user,
        defaults={"followed_at": now, "friend_since": now, "source": source},
    )
    unblocked = False
    if not created:
        if friend.status == Friend.Status.FOLLOWING:
            return FollowResult(friend=friend, created=False, unblocked=False)
        friend.status = Friend.Status.FOLLOWING
        friend.unblocked_at = now
        friend.friend_since = now
        friend.save(update_fields=["status", "unblocked_at", "friend_since"])
        unblocked = True
    greeting = Greeting.objects.filter(account=account, enabled=True).first()
    if greeting and greeting.messages and (created or greeting.send_on_unblock):
        messages_send(
            account=account,
            friends=[friend],
            messages=greeting.messages,
            source=Message.Source.GREETING,
        )
    send_event_on_commit(
        groups=[account_group(account.pk)],
        event={
            "type": "friend.followed",
            "friend_id": friend.pk,
            "unblocked": unblocked,
        },
    )
    return FollowResult(friend=friend, created=created, unblocked=unblocked)


@transaction.atomic
def friend_block(*, friend: Friend) -> Friend:
    """The customer blocks the account; idempotent."""
    friend = Friend.objects.select_for_update().get(pk=friend.pk)
    if friend.status == Friend.Status.BLOCKED:
        return friend
    friend.status = Friend.Status.BLOCKED
    friend.blocked_at = timezone.now()
    friend.save(update_fields=["status", "blocked_at"])
    send_event_on_commit(
        groups=[account_group(friend.account_id)],
        event={"type": "friend.blocked", "friend_id": friend.pk},
    )
    return friend


def _touch(friend_ids: list[int], when) -> None:
    Friend.objects.filter(pk__in=friend_ids).update(last_message_at=when)


@transaction.atomic
def messages_send(
    *,
    account: OfficialAccount,
    friends: list[Friend],
    messages: list[dict],
    source: str,
    sent_by: User | None = None,
) -> list[Message]:
    """Store outbound ``messages`` in each friend's talk room and notify.

    Blocked friends are skipped (they receive nothing). Placeholders are
    filled per friend. Returns the created rows in send order.
    """
    if account.is_suspended:
        raise AccountUnavailable(
            _("This account is suspended by the operator and cannot send messages.")
        )
    messages_validate(messages)
    now = timezone.now()
    rows: list[Message] = []
    targets = [f for f in friends if f.status == Friend.Status.FOLLOWING]
    for friend in targets:
        for msg in placeholders_render(messages, friend=friend, account=account):
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
                    created_at=now,
                )
            )
    Message.objects.bulk_create(rows)
    _touch([f.pk for f in targets], now)
    by_friend: dict[int, list[Message]] = {}
    for row in rows:
        by_friend.setdefault(row.friend_id, []).append(row)
    for friend in targets:
        _publish_messages(account, friend, by_friend.get(friend.pk, []))
    return rows


@transaction.atomic
def message_receive(
    *, friend: Friend, message: dict, content=None, preview=None
) -> Message:
    """Store a message the customer sent from the talk app and notify staff.

    ``content``/``preview`` are files for image messages (already checked).
    """
    if friend.status != Friend.Status.FOLLOWING:
        raise ApplicationError(_("Unblock this account to send it messages."))
    if friend.account.is_suspended:
        raise AccountUnavailable(_("This account is not available."))
    if message.get("type") != "image":
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
        quote_token=secrets.token_urlsafe(16)[:22],
        created_at=now,
    )
    if content is not None:
        row.content.save(content.name, content, save=False)
    if preview is not None:
        row.preview.save(preview.name, preview, save=False)
    row.save()
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
