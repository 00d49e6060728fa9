"""Rows only the Messaging API keeps: retry keys and API send jobs."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import OfficialAccount


class RetryKey(models.Model):
    """An accepted ``X-Line-Retry-Key``: repeats within 24 h get 409.

    ``response`` holds what a repeat returns besides the message (push:
    ``sentMessages``).
    """

    account = models.ForeignKey(
        OfficialAccount, on_delete=models.CASCADE, related_name="+"
    )
    key = models.UUIDField()
    endpoint = models.CharField(max_length=16)
    request_id = models.CharField(max_length=36)
    response = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "key"], name="retry_key_unique_per_account"
            )
        ]
        indexes = [
            # The hourly prune deletes keys older than 24 hours.
            models.Index(fields=["created_at"], name="retry_key_age"),
        ]

    def __str__(self) -> str:
        return f"{self.endpoint} {self.key}"


class ApiSendJob(models.Model):
    """A narrowcast or broadcast accepted by the API and sent by Celery.

    Recipients are fixed when the request is accepted (``target_ids``,
    friend pks) and quota is reserved for all of them; the task sends in
    batches from ``cursor`` and releases what it did not use. The phase is
    what ``GET /v2/bot/message/progress/narrowcast`` reports.
    """

    class Kind(models.TextChoices):
        NARROWCAST = "narrowcast", _("Narrowcast")
        BROADCAST = "broadcast", _("Broadcast")

    class Phase(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        SENDING = "sending", _("Sending")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    account = models.ForeignKey(
        OfficialAccount, on_delete=models.CASCADE, related_name="api_send_jobs"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    request_id = models.CharField(max_length=36, unique=True)
    messages = models.JSONField()
    notification_disabled = models.BooleanField(default=False)
    target_ids = models.JSONField(default=list)
    cursor = models.PositiveIntegerField(default=0)
    usage = models.ForeignKey(
        "accounts.MonthlyUsage",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reserved = models.PositiveIntegerField(default=0)
    phase = models.CharField(
        max_length=10, choices=Phase.choices, default=Phase.WAITING
    )
    success_count = models.PositiveIntegerField(default=0)
    failure_count = models.PositiveIntegerField(default=0)
    error_code = models.PositiveSmallIntegerField(null=True, blank=True)
    failed_description = models.CharField(max_length=200, blank=True)
    accepted_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.kind} {self.request_id} ({self.phase})"

    @property
    def target_count(self) -> int:
        return len(self.target_ids)
