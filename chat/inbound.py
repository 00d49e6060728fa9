"""The one door for customer actions (docs/architecture.md).

Every action a customer takes in the talk app (and anything else that acts
as a customer) comes through here. Each function is one transaction doing
its work in a fixed order:

1. the friend row or the message store (``messaging.friends``,
   ``messaging.store``), which also publish their own real-time event;
2. the chat conversation (``chat.services``);
3. automatic replies: greeting, step messages, keyword auto-responses and
   the away message (``messaging.automation``, ``chat.services``);
4. the bot's webhook (``messaging.webhooks``), sent after commit;
5. the inbox event (``chat.events``), sent after commit.

Nothing below this module decides who reacts to a customer.
"""

import re

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import OfficialAccount
from chat.events import conversation_publish
from chat.selectors import chat_settings_get
from chat.services import away_message_send_once, conversation_customer_message
from core.exceptions import ApplicationError
from messaging.automation.services import (
    autoresponse_reply,
    greeting_send,
    step_sequences_start_for_friend,
)
from messaging.friends.linking import LinkUse, link_token_use
from messaging.friends.models import Friend, FriendSource, LineUser
from messaging.friends.services import (
    AccountUnavailable,
    FollowResult,
    friend_block,
    friend_follow,
)
from messaging.groups.models import ChatGroup, GroupMessage
from messaging.groups.services import (
    group_account_invite,
    group_account_remove,
    group_member_leave,
    group_members_add,
    group_message_receive,
)
from messaging.store.models import Message
from messaging.store.services import message_receive
from messaging.webhooks.events import (
    webhook_account_link_event,
    webhook_follow_event,
    webhook_message_event,
    webhook_postback_event,
    webhook_unfollow_event,
    webhook_video_play_complete_event,
)
from messaging.webhooks.services import webhook_events_dispatch_on_commit


@transaction.atomic
def customer_follow(
    *,
    account: OfficialAccount,
    line_user: LineUser,
    source: FriendSource | None = None,
) -> FollowResult:
    """The customer adds ``account`` as a friend, or unblocks it.

    In order: the friendship row; the greeting (first add, and unblock
    unless turned off); step sequences (first add only); the ``follow``
    webhook event (``follow.isUnblocked`` set on unblock, spec 3.3).
    Idempotent: following again changes nothing and sends nothing. Raises
    ``AccountUnavailable`` for a suspended account.
    """
    result = friend_follow(account=account, line_user=line_user, source=source)
    if not (result.created or result.unblocked):
        return result
    friend = result.friend
    greeting_send(friend=friend, unblocked=result.unblocked)
    if result.created:
        step_sequences_start_for_friend(friend=friend)
    webhook_events_dispatch_on_commit(
        account=account,
        events=[webhook_follow_event(friend=friend, unblocked=result.unblocked)],
    )
    return result


@transaction.atomic
def customer_block(*, friend: Friend) -> Friend:
    """The customer blocks the account; idempotent.

    In order: the friendship row, then the ``unfollow`` webhook event (only
    when the friend was following). Returns ``friend`` with its new status.
    """
    if friend_block(friend=friend):
        webhook_events_dispatch_on_commit(
            account=friend.account,
            events=[webhook_unfollow_event(friend=friend)],
        )
    return friend


def _lock_friend(friend: Friend) -> Friend:
    # Only the friend row is locked, not the joined rows: customers of one
    # account must not queue behind each other. The LINE user comes along
    # for the webhook event's ``source.userId``.
    return (
        Friend.objects.select_for_update(of=("self",))
        .select_related("account", "line_user")
        .get(pk=friend.pk)
    )


@transaction.atomic
def customer_message_send(
    *, friend: Friend, message: dict, content=None, preview=None
) -> Message:
    """The customer sends ``message`` (a LINE message object) to the account.

    In order: the message store; the conversation (created, or back to
    "needs action"); the away message outside business hours or while chat
    is off; the keyword auto-response for a text, unless auto-responses
    are switched off (response mode); the ``message`` webhook event (when
    the webhook is on); the inbox event. ``content``/``preview`` are the
    files of an image message, already checked. Raises like
    ``messaging.store.services.message_receive`` and then nothing is written.
    """
    friend = _lock_friend(friend)
    row = message_receive(
        friend=friend, message=message, content=content, preview=preview
    )
    conversation, change = conversation_customer_message(
        friend=friend, at=row.created_at
    )
    settings = chat_settings_get(account=friend.account)
    away_message_send_once(
        friend=friend,
        conversation=conversation,
        at=row.created_at,
        chat_settings=settings,
    )
    if row.type == "text" and settings.auto_response_enabled:
        # Keyword auto-responses answer alongside chat (free of quota).
        autoresponse_reply(friend=friend, text=row.text)
    webhook_events_dispatch_on_commit(
        account=friend.account, events=[webhook_message_event(message=row)]
    )
    conversation_publish(conversation, change=change)
    return row


@transaction.atomic
def customer_postback(
    *,
    friend: Friend,
    data: str,
    params: dict | None = None,
    display_text: str = "",
) -> Message | None:
    """The customer tapped a postback or date-time picker action.

    In order: ``display_text``, when given, is stored as the customer's
    text message (shown in the room and the inbox; LINE sends no message
    event for it); the conversation; the ``postback`` webhook event
    (``postback.data``, and ``postback.params`` — ``{"date"|"time"|
    "datetime": …}`` — from a picker; spec 3.2, REF#postback-event); the
    inbox event. Returns the stored message, or None without
    ``display_text``. Raises ``ApplicationError`` when the customer blocked
    the account and ``AccountUnavailable`` when it is suspended; then
    nothing is written and nothing is sent.
    """
    friend = _lock_friend(friend)
    if friend.status != Friend.Status.FOLLOWING:
        raise ApplicationError(_("Unblock this account to send it messages."))
    if friend.account.is_suspended:
        raise AccountUnavailable(_("This account is not available."))
    row = None
    if display_text:
        row = message_receive(
            friend=friend, message={"type": "text", "text": display_text}
        )
        conversation, change = conversation_customer_message(
            friend=friend, at=row.created_at
        )
        conversation_publish(conversation, change=change)
    webhook_events_dispatch_on_commit(
        account=friend.account,
        events=[webhook_postback_event(friend=friend, data=data, params=params)],
    )
    return row


@transaction.atomic
def customer_video_play_complete(*, friend: Friend, message: Message) -> bool:
    """The customer watched the account's video ``message`` to the end.

    Sends the ``videoPlayComplete`` webhook event when the video has a
    ``trackingId`` and the customer still follows the account; otherwise
    does nothing. Returns whether an event was sent. Nothing is stored.
    """
    tracking_id = (message.payload or {}).get("trackingId")
    if (
        message.friend_id != friend.pk
        or message.type != "video"
        or message.direction != Message.Direction.OUTBOUND
        or not isinstance(tracking_id, str)
        or not tracking_id
    ):
        return False
    friend = _lock_friend(friend)
    if friend.status != Friend.Status.FOLLOWING or friend.account.is_suspended:
        return False
    webhook_events_dispatch_on_commit(
        account=friend.account,
        events=[
            webhook_video_play_complete_event(friend=friend, tracking_id=tracking_id)
        ],
    )
    return True


NONCE = re.compile(r"[\x21-\x7e]{1,255}")


@transaction.atomic
def customer_account_link(*, line_user: LineUser, token: str, nonce: str) -> LinkUse:
    """The customer opened the account-link dialog with ``token`` and ``nonce``
    (``/dialog/bot/accountLink?linkToken=…&nonce=…``).

    In order: the link token (spent on success); the ``accountLink`` webhook
    event — ``link.result`` ``ok`` with the user, or ``failed`` (expired,
    already used, or issued for another user) without one; the bot compares
    ``link.nonce`` with the one it made. Raises ``ApplicationError`` for a
    missing or malformed nonce or token, and then nothing is written or
    sent. An unknown token is ``failed`` with no event (no account to tell).
    """
    if not isinstance(nonce, str) or not NONCE.fullmatch(nonce):
        raise ApplicationError(_("This link is not valid: its nonce is missing."))
    if not isinstance(token, str) or not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", token):
        raise ApplicationError(_("This link is not valid: its token is missing."))
    use = link_token_use(token=token, line_user=line_user)
    if use.link is not None:
        webhook_events_dispatch_on_commit(
            account=use.link.account,
            events=[
                webhook_account_link_event(
                    friend=use.link.friend, result=use.result, nonce=nonce
                )
            ],
        )
    return use


# --- Group chats and rooms (docs/groups.md) ----------------------------------------
# Each writes the chat, then sends the account's webhook events after commit
# (only while the account is in the chat). The Manager shows group chats
# read-only, so there is no conversation or inbox event.


def _group_dispatch(group: ChatGroup, events: list) -> None:
    if events:
        webhook_events_dispatch_on_commit(account=group.account, events=events)


@transaction.atomic
def customer_group_invite_account(
    *, group: ChatGroup, by: LineUser, account: OfficialAccount
) -> None:
    """A member invites ``account``: the ``join`` event. Raises
    ``GroupJoinRefused`` when the account does not allow group chats."""
    events = group_account_invite(group=group, by=by, account=account)
    group.refresh_from_db()
    _group_dispatch(group, events)


@transaction.atomic
def customer_group_remove_account(*, group: ChatGroup, by: LineUser) -> None:
    """A member removes the account: the ``leave`` event."""
    account = group.account
    events = group_account_remove(group=group, by=by)
    if account is not None and events:
        webhook_events_dispatch_on_commit(account=account, events=events)


@transaction.atomic
def customer_group_invite(
    *, group: ChatGroup, by: LineUser, users: list[LineUser]
) -> None:
    """A member invites other customers: ``memberJoined``."""
    _group_dispatch(group, group_members_add(group=group, by=by, users=users))


@transaction.atomic
def customer_group_leave(*, group: ChatGroup, user: LineUser) -> None:
    """A member leaves the chat: ``memberLeft``."""
    _group_dispatch(group, group_member_leave(group=group, user=user))


@transaction.atomic
def customer_group_message_send(
    *, group: ChatGroup, sender: LineUser, text: str
) -> GroupMessage:
    """A member writes in the chat: the ``message`` event with a
    ``group``/``room`` source."""
    row, events = group_message_receive(group=group, sender=sender, text=text)
    _group_dispatch(row.group, events)
    return row
