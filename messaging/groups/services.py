"""Writes of group chats and rooms (docs/groups.md).

Customer actions return the webhook events they cause; ``chat.inbound``
(the customer door) sends them. The account's own sends (push, reply)
store its messages here and count quota in ``messaging.api``.
"""

import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import OfficialAccount
from core.exceptions import ApplicationError
from messaging.friends.models import LineUser
from messaging.groups.events import (
    group_join_event,
    group_leave_event,
    group_member_joined_event,
    group_member_left_event,
    group_message_event,
)
from messaging.groups.models import ChatGroup, GroupMember, GroupMessage
from messaging.store.checks import MAX_TEXT
from messaging.store.validators import message_text
from messaging.webhooks.events import PendingEvent
from messaging.webhooks.services import webhook_events_dispatch_on_commit

MAX_MEMBERS = 499  # LINE's group chats hold 500 people


class GroupJoinRefused(ApplicationError):
    """The account may not join group chats (its setting) or is suspended."""


def _lock(group: ChatGroup) -> ChatGroup:
    return (
        ChatGroup.objects.select_for_update(of=("self",))
        .select_related("account")
        .get(pk=group.pk)
    )


def _member(group: ChatGroup, user: LineUser) -> GroupMember | None:
    return GroupMember.objects.filter(
        group=group, line_user=user, left_at__isnull=True
    ).first()


def _require_member(group: ChatGroup, user: LineUser) -> None:
    if _member(group, user) is None:
        raise ApplicationError(_("You are not in this chat."))


@transaction.atomic
def group_create(
    *, creator: LineUser, kind: str, name: str, members: list[LineUser]
) -> ChatGroup:
    """A new group chat (with ``name``) or room of ``creator`` and ``members``.

    No event: no account is in a new chat. Raises ``ApplicationError`` for
    a group without a name, a name over 50 characters or too many people.
    """
    name = (name or "").strip()
    if kind not in ChatGroup.Kind.values:
        raise ApplicationError(_("Choose a group chat or a multi-person chat."))
    if kind == ChatGroup.Kind.GROUP and not name:
        raise ApplicationError(
            _("Give the group a name."), {"name": _("Enter a name.")}
        )
    if len(name) > 50:
        raise ApplicationError(_("A group name can be at most 50 characters long."))
    people = {creator.pk: creator, **{u.pk: u for u in members}}
    if len(people) > MAX_MEMBERS:
        raise ApplicationError(_("A chat holds at most 499 people."))
    group = ChatGroup.objects.create(
        kind=kind,
        line_id=ChatGroup.new_line_id(kind),
        name=name if kind == ChatGroup.Kind.GROUP else "",
        created_by=creator,
    )
    GroupMember.objects.bulk_create(
        [GroupMember(group=group, line_user=u) for u in people.values()]
    )
    return group


@transaction.atomic
def group_members_add(
    *, group: ChatGroup, by: LineUser, users: list[LineUser]
) -> list[PendingEvent]:
    """``by`` (a member) invites ``users``; returns the ``memberJoined``
    event when the account is in the chat. People already in are skipped."""
    group = _lock(group)
    _require_member(group, by)
    added = []
    for user in users:
        row, created = GroupMember.objects.get_or_create(group=group, line_user=user)
        if not created and row.left_at is None:
            continue
        if not created:
            row.left_at = None
            row.joined_at = timezone.now()
            row.save(update_fields=["left_at", "joined_at"])
        added.append(user)
    if GroupMember.objects.filter(group=group, left_at__isnull=True).count() > (
        MAX_MEMBERS
    ):
        raise ApplicationError(_("A chat holds at most 499 people."))
    if added and group.account and group.account_left_at is None:
        return [group_member_joined_event(group, added)]
    return []


@transaction.atomic
def group_member_leave(*, group: ChatGroup, user: LineUser) -> list[PendingEvent]:
    """``user`` leaves; ``memberLeft`` when the account is in the chat."""
    group = _lock(group)
    member = _member(group, user)
    if member is None:
        return []
    member.left_at = timezone.now()
    member.save(update_fields=["left_at"])
    if group.account and group.account_left_at is None:
        return [group_member_left_event(group, [user])]
    return []


@transaction.atomic
def group_account_invite(
    *, group: ChatGroup, by: LineUser, account: OfficialAccount
) -> list[PendingEvent]:
    """``by`` invites ``account`` into the chat; returns its ``join`` event.

    Raises ``GroupJoinRefused`` when the account does not allow joining
    group chats or is suspended, ``ApplicationError`` when another account
    is in the chat; then nothing is written. Inviting it again while it is
    in changes nothing.
    """
    group = _lock(group)
    _require_member(group, by)
    if group.account_id == account.pk and group.account_left_at is None:
        return []
    if group.account_id and group.account_left_at is None:
        raise ApplicationError(_("Another official account is already in this chat."))
    if not account.allow_group_join or account.is_suspended:
        raise GroupJoinRefused(_("This account cannot join group chats."))
    group.account = account
    group.account_joined_at = timezone.now()
    group.account_left_at = None
    group.save(update_fields=["account", "account_joined_at", "account_left_at"])
    return [group_join_event(group)]


@transaction.atomic
def group_account_remove(
    *, group: ChatGroup, by: LineUser | None
) -> list[PendingEvent]:
    """A member removes the account (``by``), or it leaves by the API
    (``by`` None); returns its ``leave`` event, nothing if it is not in."""
    group = _lock(group)
    if by is not None:
        _require_member(group, by)
    if group.account_id is None or group.account_left_at is not None:
        return []
    group.account_left_at = timezone.now()
    group.save(update_fields=["account_left_at"])
    return [group_leave_event(group)]


@transaction.atomic
def group_message_receive(
    *, group: ChatGroup, sender: LineUser, text: str
) -> tuple[GroupMessage, list[PendingEvent]]:
    """A member writes ``text``; the ``message`` event when the account is in."""
    text = (text or "").strip()
    if not text:
        raise ApplicationError(_("Enter a message."))
    if len(text) > MAX_TEXT:
        raise ApplicationError(
            _("A message can be at most %(max)s characters long.") % {"max": MAX_TEXT}
        )
    group = _lock(group)
    _require_member(group, sender)
    row = GroupMessage.objects.create(
        group=group,
        sender=sender,
        type="text",
        payload={
            "type": "text",
            "text": text,
            "quoteToken": secrets.token_urlsafe(16)[:22],
        },
        text=text,
    )
    if group.account and group.account_left_at is None:
        return row, [group_message_event(row)]
    return row, []


@transaction.atomic
def group_messages_send(
    *, account: OfficialAccount, group: ChatGroup, messages: list[dict]
) -> list[GroupMessage]:
    """Store the account's ``messages`` (already valid) in the chat."""
    rows = GroupMessage.objects.bulk_create(
        [
            GroupMessage(
                group=group,
                account=account,
                type=m.get("type", ""),
                payload=m,
                text=message_text(m),
            )
            for m in messages
        ]
    )
    return rows


@transaction.atomic
def group_account_leave(*, account: OfficialAccount, group: ChatGroup) -> None:
    """The bot leaves the chat by the API; its ``leave`` event is sent."""
    events = group_account_remove(group=group, by=None)
    if events:
        webhook_events_dispatch_on_commit(account=account, events=events)
