"""Group chats and multi-person chats (rooms) of talk-app customers, which
an official account may join (docs/groups.md)."""

import secrets

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import OfficialAccount
from messaging.friends.models import LineUser


def _line_id(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


def _message_id() -> str:
    return str(10**17 + secrets.randbelow(9 * 10**17))


class ChatGroup(models.Model):
    """A group chat (``C…``) or a multi-person chat (``R…``, LINE's room).

    At most one official account is in it at a time (``account``, with
    ``account_joined_at``); ``account`` stays set after it leaves
    (``account_left_at``) so its API calls answer as LINE does.
    """

    class Kind(models.TextChoices):
        GROUP = "group", _("Group chat")
        ROOM = "room", _("Multi-person chat")

    kind = models.CharField(max_length=5, choices=Kind.choices)
    line_id = models.CharField(max_length=33, unique=True)
    name = models.CharField(_("group name"), max_length=50, blank=True)
    created_by = models.ForeignKey(LineUser, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    account = models.ForeignKey(
        OfficialAccount,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="chat_groups",
    )
    account_joined_at = models.DateTimeField(null=True, blank=True)
    account_left_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name or self.line_id

    @property
    def source_key(self) -> str:
        return "groupId" if self.kind == self.Kind.GROUP else "roomId"

    def has_account(self, account: OfficialAccount) -> bool:
        return self.account_id == account.pk and self.account_left_at is None

    @classmethod
    def new_line_id(cls, kind: str) -> str:
        return _line_id("C" if kind == cls.Kind.GROUP else "R")


class GroupMember(models.Model):
    """A customer in a group; ``left_at`` set once they leave."""

    group = models.ForeignKey(
        ChatGroup, on_delete=models.CASCADE, related_name="members"
    )
    line_user = models.ForeignKey(LineUser, on_delete=models.CASCADE, related_name="+")
    joined_at = models.DateTimeField(default=timezone.now)
    left_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["group", "line_user"], name="groupmember_once"
            )
        ]
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.group_id}:{self.line_user_id}"


class GroupMessage(models.Model):
    """A message in a group: a member's (``sender`` set) or the account's."""

    group = models.ForeignKey(
        ChatGroup, on_delete=models.CASCADE, related_name="messages"
    )
    sender = models.ForeignKey(
        LineUser, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    account = models.ForeignKey(
        OfficialAccount,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    # The message ID bots see: 18 digits, not a sequence.
    message_id = models.CharField(max_length=18, unique=True, default=_message_id)
    type = models.CharField(max_length=20)
    payload = models.JSONField(default=dict)
    text = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.group_id}:{self.type}"
