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

from django.db import transaction

from accounts.models import OfficialAccount
from chat.events import conversation_publish
from chat.selectors import chat_settings_get
from chat.services import away_message_send_once, conversation_customer_message
from messaging.automation.services import (
    autoresponse_reply,
    greeting_send,
    step_sequences_start_for_friend,
)
from messaging.friends.models import Friend, FriendSource, LineUser
from messaging.friends.services import FollowResult, friend_block, friend_follow
from messaging.store.models import Message
from messaging.store.services import message_receive
from messaging.webhooks.events import (
    webhook_follow_event,
    webhook_message_event,
    webhook_unfollow_event,
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
    # Only the friend row is locked, not the joined rows: customers of one
    # account must not queue behind each other. The LINE user comes along
    # for the webhook event's ``source.userId``.
    friend = (
        Friend.objects.select_for_update(of=("self",))
        .select_related("account", "line_user")
        .get(pk=friend.pk)
    )
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
