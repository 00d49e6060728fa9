"""The 1:1 chat inbox: conversations, canned replies, business hours.

A conversation is the staff side of one talk room (``messaging.Friend``):
its status, assignee, waiting time and unread count. Messages themselves
live in the one message store, ``messaging.Message``; tags and internal
notes are the friend's own (``messaging.Tag``, ``messaging.FriendNote``),
so chat and marketing share one customer record. See ``docs/chat.md``.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import OfficialAccount
from messaging.friends.models import Friend


class Conversation(models.Model):
    """One per friend, created by the customer's first message.

    ``status`` is LINE's 要対応 / 対応済み plus ``snoozed``: a conversation
    that needs action but is hidden until ``snoozed_until`` or, when that is
    empty, until the customer's next message. ``waiting_since`` is the time
    of the first customer message staff have not answered yet (``None``
    when nobody is waiting); each answer closes that waiting period and
    records a ``ResponseTime``.
    """

    class Status(models.TextChoices):
        NEEDS_ACTION = "needs_action", _("Needs action")
        SNOOZED = "snoozed", _("Snoozed")
        DONE = "done", _("Done")

    account = models.ForeignKey(
        OfficialAccount, on_delete=models.CASCADE, related_name="conversations"
    )
    friend = models.OneToOneField(
        Friend, on_delete=models.CASCADE, related_name="conversation"
    )
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=Status.choices,
        default=Status.NEEDS_ACTION,
    )
    snoozed_until = models.DateTimeField(_("snoozed until"), null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    waiting_since = models.DateTimeField(null=True, blank=True)
    # The latest waiting period's answer; every period is in ResponseTime.
    first_response_at = models.DateTimeField(null=True, blank=True)
    first_response_seconds = models.PositiveIntegerField(null=True, blank=True)
    # Last customer message or staff reply: the inbox order. Broadcasts do
    # not move a conversation up (Friend.last_message_at has every message).
    last_message_at = models.DateTimeField()
    last_customer_message_at = models.DateTimeField()
    # Customer messages since staff last opened the conversation.
    unread_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(snoozed_until__isnull=True) | Q(status="snoozed"),
                name="chat_snooze_time_only_when_snoozed",
            ),
        ]
        indexes = [
            # inbox_list, "all" view filtered by status, newest activity first.
            models.Index(
                "account",
                "status",
                models.F("last_message_at").desc(),
                models.F("id").desc(),
                name="chat_inbox_status",
            ),
            # inbox_list, "mine" and "unassigned" views (assignee IS NULL).
            models.Index(
                "account",
                "assignee",
                "status",
                models.F("last_message_at").desc(),
                models.F("id").desc(),
                name="chat_inbox_assignee",
            ),
            # inbox_list with status "any", newest activity first.
            models.Index(
                "account",
                models.F("last_message_at").desc(),
                models.F("id").desc(),
                name="chat_inbox_latest",
            ),
            # wake_snoozed_conversations_task: snoozes that are due.
            models.Index(
                fields=["snoozed_until"],
                condition=Q(snoozed_until__isnull=False),
                name="chat_snooze_due",
            ),
            # The nav badge and the unread filter: conversations with unread.
            models.Index(
                fields=["account"],
                condition=Q(unread_count__gt=0),
                name="chat_unread",
            ),
        ]

    def __str__(self) -> str:
        return f"conversation {self.pk} ({self.status})"

    @property
    def is_waiting(self) -> bool:
        return self.waiting_since is not None


class ResponseTime(models.Model):
    """One answered waiting period: how long the customer waited.

    Written by the first staff reply after customer messages; the analytics
    app reads it for "first response time" per day.
    """

    account = models.ForeignKey(
        OfficialAccount, on_delete=models.CASCADE, related_name="+"
    )
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="response_times"
    )
    waiting_since = models.DateTimeField()
    responded_at = models.DateTimeField()
    seconds = models.PositiveIntegerField()
    responder = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        indexes = [
            # Analytics: one account's response times per day.
            models.Index(fields=["account", "responded_at"], name="chat_response_day"),
        ]

    def __str__(self) -> str:
        return f"{self.conversation_id}: {self.seconds}s"


class CannedReply(models.Model):
    """A saved answer (定型文) staff insert into a reply.

    ``shortcut`` is typed after ``/`` in the reply box to find it.
    """

    account = models.ForeignKey(
        OfficialAccount, on_delete=models.CASCADE, related_name="canned_replies"
    )
    title = models.CharField(_("title"), max_length=50)
    shortcut = models.CharField(_("shortcut"), max_length=20, blank=True)
    text = models.TextField(_("text"), max_length=5000)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")
        ordering = ["title", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "shortcut"],
                condition=~Q(shortcut=""),
                name="canned_reply_unique_shortcut",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ChatSettings(models.Model):
    """Response settings (応答設定) and response hours (応答時間) of an account.

    With ``business_hours_enabled`` off the account is always open and no
    away message is sent. With it on, the open intervals are the account's
    ``BusinessHours`` rows (none at all means always closed).

    ``chat_enabled`` and ``auto_response_enabled`` are two of LINE's four
    response-mode switches (the greeting's and the webhook's live with
    them). With chat off the inbox is hidden and, when an away message is
    on, it answers once per conversation for as long as chat stays off
    (``chat_off_since`` starts that period).
    """

    account = models.OneToOneField(
        OfficialAccount, on_delete=models.CASCADE, related_name="chat_settings"
    )
    business_hours_enabled = models.BooleanField(_("use business hours"), default=False)
    away_message_enabled = models.BooleanField(
        _("send an away message outside business hours"), default=False
    )
    away_message = models.TextField(_("away message"), max_length=5000, blank=True)
    chat_enabled = models.BooleanField(_("chat"), default=True)
    chat_off_since = models.DateTimeField(null=True, blank=True)
    auto_response_enabled = models.BooleanField(_("auto-response"), default=True)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"chat settings of {self.account_id}"


class BusinessHours(models.Model):
    """One open interval on a weekday, in the account's time zone.

    Minutes from local midnight; ``closes_minute`` may be 1440 (24:00) so
    that an evening reaching midnight joins the next day's early interval.
    """

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    account = models.ForeignKey(
        OfficialAccount, on_delete=models.CASCADE, related_name="business_hours"
    )
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens_minute = models.PositiveSmallIntegerField()
    closes_minute = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["weekday", "opens_minute"]
        constraints = [
            models.CheckConstraint(
                condition=Q(weekday__lte=6)
                & Q(opens_minute__lt=models.F("closes_minute"))
                & Q(closes_minute__lte=1440),
                name="business_hours_valid_interval",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_weekday_display()} {self.opens_minute // 60:02d}:"
            f"{self.opens_minute % 60:02d}-{self.closes_minute // 60:02d}:"
            f"{self.closes_minute % 60:02d}"
        )


class AwayMessageSent(models.Model):
    """The away message went to a conversation in one off-hours period.

    ``period_start`` identifies the period (the moment the account closed);
    the unique constraint makes "at most once per period" hold even when
    two customer messages arrive at the same moment.
    """

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="away_sent"
    )
    period_start = models.DateTimeField()
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "period_start"],
                name="away_once_per_period",
            ),
        ]

    def __str__(self) -> str:
        return f"away to {self.conversation_id} for {self.period_start:%Y-%m-%d %H:%M}"
