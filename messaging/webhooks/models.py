"""Webhook endpoint settings, the delivery ledger and reply tokens."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import OfficialAccount
from messaging.friends.models import Friend


class WebhookEndpoint(models.Model):
    """The bot's webhook URL of one account (LINE's "Webhook settings")."""

    account = models.OneToOneField(
        OfficialAccount, on_delete=models.CASCADE, related_name="webhook_endpoint"
    )
    url = models.URLField(_("webhook URL"), max_length=500, blank=True)
    active = models.BooleanField(_("use webhook"), default=False)
    redelivery = models.BooleanField(_("webhook redelivery"), default=False)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"webhook of {self.account_id}: {self.url or '-'}"


class WebhookDelivery(models.Model):
    """One webhook body for the bot, POSTed (and re-POSTed) as a unit.

    ``payload`` is the body as first sent (``isRedelivery: false``); a
    retry sends the same events with ``isRedelivery: true``. The ``last_*``
    fields repeat the latest attempt for the delivery log.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SUCCEEDED = "succeeded", _("Delivered")
        FAILED = "failed", _("Failed")

    account = models.ForeignKey(
        OfficialAccount, on_delete=models.CASCADE, related_name="webhook_deliveries"
    )
    url = models.CharField(max_length=500)
    payload = models.JSONField()
    event_types = models.CharField(max_length=200, blank=True)
    is_test = models.BooleanField(default=False)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempt_count = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.SmallIntegerField(null=True, blank=True)
    last_latency_ms = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)
    # When the next attempt is due (the first: at once; a retry: after its
    # backoff). A delivery still pending well after this lost its task (a
    # worker restart, a broker restart): beat's resume sweep queues it again.
    next_attempt_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [
            # The Manager's delivery log: one account's deliveries, newest first.
            models.Index(fields=["account", "-id"], name="webhook_delivery_log"),
            # The resume sweep: only unfinished deliveries are in it.
            models.Index(
                fields=["next_attempt_at"],
                name="webhook_delivery_due",
                condition=models.Q(status__in=["pending", "sending"]),
            ),
            # The batch claim (services._CLAIM_SQL): an account's pending
            # deliveries to one URL, oldest first. Pending rows only, so it
            # stays as small as the backlog.
            models.Index(
                fields=["account", "url", "id"],
                name="webhook_delivery_batch",
                condition=models.Q(status="pending"),
            ),
        ]

    def __str__(self) -> str:
        return f"webhook {self.pk} ({self.status})"


class WebhookAttempt(models.Model):
    """One HTTP POST of a delivery: what the bot answered, and how fast."""

    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="attempts"
    )
    is_redelivery = models.BooleanField(default=False)
    # None when no response arrived (timeout, refused connection).
    status_code = models.SmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField()
    error = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"attempt {self.pk} of {self.delivery_id}: {self.status_code}"


class ReplyToken(models.Model):
    """A reply token sent with a webhook event; single use, short-lived.

    Valid for ``REPLY_TOKEN_TTL`` after the event; a redelivery extends it
    for another TTL but never past 20 minutes after the event (LINE's rule).
    """

    account = models.ForeignKey(
        OfficialAccount, on_delete=models.CASCADE, related_name="+"
    )
    # The friend of a one-to-one event, or the group/room ID of a group event.
    friend = models.ForeignKey(
        Friend, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    chat_id = models.CharField(max_length=33, blank=True)
    delivery = models.ForeignKey(
        WebhookDelivery,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reply_tokens",
    )
    token = models.CharField(max_length=32, unique=True)
    event_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # The hourly prune deletes tokens by expiry.
            models.Index(fields=["expires_at"], name="reply_token_expiry"),
        ]

    def __str__(self) -> str:
        return f"reply token …{self.token[-6:]}"
