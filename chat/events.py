"""Real-time events of the chat inbox, published by ``chat.services`` only.

Staff pages of the account (group ``account.<id>``) receive
``conversation.updated`` whenever a conversation's state changes: a new
customer message, a reply, status, snooze, assignee, note or tag. Message
bubbles themselves travel as messaging's ``message.created`` events.
"""

from chat.models import Conversation
from core.events import account_group, send_event_on_commit

CONVERSATION_UPDATED = "conversation.updated"


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def conversation_event(conversation: Conversation, *, change: str) -> dict:
    """The JSON event describing ``conversation`` after ``change``."""
    return {
        "type": CONVERSATION_UPDATED,
        "change": change,
        "conversation": {
            "id": conversation.pk,
            "friend_id": conversation.friend_id,
            "status": conversation.status,
            "snoozed_until": _iso(conversation.snoozed_until),
            "assignee_id": conversation.assignee_id,
            "unread_count": conversation.unread_count,
            "waiting_since": _iso(conversation.waiting_since),
            "last_message_at": _iso(conversation.last_message_at),
            "updated_at": _iso(conversation.updated_at),
        },
    }


def conversation_publish(conversation: Conversation, *, change: str) -> None:
    """Tell the account's staff pages after the transaction commits."""
    send_event_on_commit(
        groups=[account_group(conversation.account_id)],
        event=conversation_event(conversation, change=change),
    )
