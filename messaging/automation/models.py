"""Automatic replies: greeting, step sequences, keyword auto-responses."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import OfficialAccount


class StepSequence(models.Model):
    """Messages sent to each new friend after set delays (ステップ配信)."""

    class Trigger(models.TextChoices):
        FRIEND_ADD = "friend_add", _("Friend added")
        CARD_COMPLETED = "card_completed", _("Shop card completed")
        COUPON_ACQUIRED = "coupon_acquired", _("Coupon acquired")
        COUPON_UNUSED = "coupon_unused", _("Coupon unused N days after acquiring")

    account = models.ForeignKey(
        OfficialAccount, on_delete=models.CASCADE, related_name="step_sequences"
    )
    name = models.CharField(_("name"), max_length=60)
    trigger = models.CharField(
        max_length=16, choices=Trigger.choices, default=Trigger.FRIEND_ADD
    )
    # What the trigger names (a coupon's couponId), and its days (unused N
    # days after acquiring); set by the app that owns the trigger.
    trigger_ref = models.CharField(max_length=40, blank=True)
    trigger_days = models.PositiveSmallIntegerField(null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class Step(models.Model):
    """One message of a sequence, ``delay`` after the previous step's time."""

    class Unit(models.TextChoices):
        MINUTES = "minutes", _("minutes")
        HOURS = "hours", _("hours")
        DAYS = "days", _("days")

    sequence = models.ForeignKey(
        StepSequence, on_delete=models.CASCADE, related_name="steps"
    )
    position = models.PositiveSmallIntegerField()
    delay_value = models.PositiveIntegerField(_("delay"))
    delay_unit = models.CharField(max_length=8, choices=Unit.choices)
    messages = models.JSONField()
    # A segment definition the friend must match when the step is due;
    # None sends to everyone in the sequence.
    condition = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["sequence_id", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["sequence", "position"], name="step_unique_position"
            )
        ]

    def __str__(self) -> str:
        return f"step {self.position} of {self.sequence_id}"


class StepEnrollment(models.Model):
    """A friend's progress through one sequence."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        COMPLETED = "completed", _("Completed")
        STOPPED = "stopped", _("Stopped")

    sequence = models.ForeignKey(
        StepSequence, on_delete=models.CASCADE, related_name="enrollments"
    )
    friend = models.ForeignKey(
        "messaging.Friend", on_delete=models.CASCADE, related_name="step_enrollments"
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    next_position = models.PositiveSmallIntegerField(default=1)
    next_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    stopped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["sequence", "friend"], name="step_enrollment_unique"
            )
        ]
        indexes = [
            # The beat task: active enrollments whose next step is due.
            models.Index(fields=["status", "next_at"], name="step_enrollment_due"),
        ]

    def __str__(self) -> str:
        return f"{self.friend_id} in {self.sequence_id} ({self.status})"


class StepDelivery(models.Model):
    """What happened to one step for one friend; unique, so sent once."""

    class Status(models.TextChoices):
        SENT = "sent", _("Sent")
        SKIPPED = "skipped", _("Skipped (condition or blocked)")
        FAILED = "failed", _("Not sent (quota)")

    enrollment = models.ForeignKey(
        StepEnrollment, on_delete=models.CASCADE, related_name="deliveries"
    )
    step = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=8, choices=Status.choices)
    message = models.ForeignKey(
        "messaging.Message",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("step delivery")
        verbose_name_plural = _("step deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment", "step"], name="step_delivery_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.step_id} → {self.enrollment_id} ({self.status})"


class AutoResponse(models.Model):
    """A reply to customer text (応答メッセージ): free of quota.

    Precedence: an exact keyword match beats a partial one, which beats a
    catch-all; within a kind the lowest ``position`` wins.
    """

    class Match(models.TextChoices):
        EXACT = "exact", _("Exact match")
        PARTIAL = "partial", _("Contains")
        CATCH_ALL = "catch_all", _("Any message (catch-all)")

    account = models.ForeignKey(
        OfficialAccount, on_delete=models.CASCADE, related_name="auto_responses"
    )
    name = models.CharField(_("name"), max_length=60)
    match = models.CharField(_("match"), max_length=10, choices=Match.choices)
    keywords = models.JSONField(default=list, blank=True)
    messages = models.JSONField()
    is_active = models.BooleanField(_("active"), default=True)
    # Optional daily window in the account's time zone; may wrap midnight.
    active_from = models.TimeField(_("active from"), null=True, blank=True)
    active_to = models.TimeField(_("active until"), null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class Greeting(models.Model):
    """The greeting message (あいさつメッセージ): up to 3 bubbles, free of quota."""

    account = models.OneToOneField(
        OfficialAccount, on_delete=models.CASCADE, related_name="greeting"
    )
    enabled = models.BooleanField(_("send a greeting"), default=True)
    send_on_unblock = models.BooleanField(
        _("also when a friend unblocks"), default=True
    )
    # A list of message objects (spec section 2), validated on save by the
    # service; text may contain {Nickname} and {AccountName}.
    messages = models.JSONField(default=list)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"greeting of {self.account_id}"
