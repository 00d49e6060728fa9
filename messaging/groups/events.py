"""Webhook events of group chats and rooms, as LINE builds them (spec 3.2):
``join``, ``leave``, ``memberJoined``, ``memberLeft`` and ``message`` with a
``group``/``room`` source."""

from django.utils import timezone

from messaging.friends.models import LineUser
from messaging.groups.models import ChatGroup, GroupMessage
from messaging.webhooks.events import PendingEvent


def _source(group: ChatGroup, user: LineUser | None = None) -> dict:
    source = {"type": group.kind, group.source_key: group.line_id}
    if user is not None:
        source["userId"] = user.user_id
    return source


def _event(group: ChatGroup, kind: str, user=None, **payload) -> PendingEvent:
    data = {
        "type": kind,
        "timestamp": int(timezone.now().timestamp() * 1000),
        "source": _source(group, user),
        **payload,
    }
    return PendingEvent(friend_id=None, data=data, chat_id=group.line_id)


def group_join_event(group: ChatGroup) -> PendingEvent:
    """``join``: the account was invited into the group (replyable)."""
    return _event(group, "join")


def group_leave_event(group: ChatGroup) -> PendingEvent:
    """``leave``: the account was removed from, or left, the group."""
    return _event(group, "leave")


def _members(users: list[LineUser]) -> dict:
    return {"members": [{"type": "user", "userId": u.user_id} for u in users]}


def group_member_joined_event(group: ChatGroup, users: list[LineUser]) -> PendingEvent:
    """``memberJoined`` (replyable)."""
    return _event(group, "memberJoined", joined=_members(users))


def group_member_left_event(group: ChatGroup, users: list[LineUser]) -> PendingEvent:
    """``memberLeft``."""
    return _event(group, "memberLeft", left=_members(users))


def group_message_event(message: GroupMessage) -> PendingEvent:
    """``message`` from a member, with the group or room as its source."""
    content: dict = {"id": message.message_id, "type": message.type}
    if message.type == "text":
        content["text"] = message.text
        content["quoteToken"] = message.payload.get("quoteToken", "")
    else:
        content.update(
            {k: v for k, v in message.payload.items() if k not in ("type", "id")}
        )
    return _event(message.group, "message", message.sender, message=content)
