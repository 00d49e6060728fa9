"""Rows only the Messaging API keeps: retry keys (``X-Line-Retry-Key``)."""

from django.db import models
from django.utils import timezone

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
