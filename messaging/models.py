"""Customers (LINE users), their friendships with accounts."""

from django.core.validators import MaxValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import OfficialAccount
from messaging.regions import PREFECTURES


class LineUser(models.Model):
    """A simulated LINE user: one person across every account."""

    class Gender(models.TextChoices):
        MALE = "male", _("Male")
        FEMALE = "female", _("Female")
        UNKNOWN = "unknown", _("Unknown")

    class OS(models.TextChoices):
        IOS = "ios", "iOS"
        ANDROID = "android", "Android"

    user_id = models.CharField(
        max_length=33,
        unique=True,
        validators=[RegexValidator(r"^U[0-9a-f]{32}$")],
    )
    display_name = models.CharField(_("display name"), max_length=20)
    status_message = models.CharField(_("status message"), max_length=500, blank=True)
    picture = models.ImageField(upload_to="lineusers/", blank=True)
    language = models.CharField(_("language"), max_length=8, default="ja")
    gender = models.CharField(
        _("gender"), max_length=8, choices=Gender.choices, default=Gender.UNKNOWN
    )
    age = models.PositiveSmallIntegerField(
        _("age"), null=True, blank=True, validators=[MaxValueValidator(120)]
    )
    region = models.CharField(
        _("region"), max_length=5, choices=PREFECTURES, blank=True
    )
    os = models.CharField(_("OS"), max_length=8, choices=OS.choices, default=OS.IOS)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.user_id})"


class Friend(models.Model):
    """A LINE user's relation to one account: following or blocked.

    The row is also the talk room between the two; it is created on the
    first follow and kept forever (block/unblock only change ``status``).
    """

    class Status(models.TextChoices):
        FOLLOWING = "following", _("Friend")
        BLOCKED = "blocked", _("Blocked")

    account = models.ForeignKey(
        OfficialAccount, on_delete=models.CASCADE, related_name="friends"
    )
    line_user = models.ForeignKey(
        LineUser, on_delete=models.CASCADE, related_name="friendships"
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.FOLLOWING
    )
    followed_at = models.DateTimeField(default=timezone.now)
    friend_since = models.DateTimeField(default=timezone.now)
    blocked_at = models.DateTimeField(null=True, blank=True)
    unblocked_at = models.DateTimeField(null=True, blank=True)
    source = models.ForeignKey(
        "FriendSource",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="friends",
    )
    tags = models.ManyToManyField("Tag", blank=True, related_name="friends")
    # Denormalised for the friends list and the chat inbox ordering.
    last_message_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "line_user"], name="friend_unique_per_account"
            )
        ]
        indexes = [
            # Fan-out walks one account's following friends by id (keyset).
            models.Index(fields=["account", "status", "id"], name="friend_fanout"),
            # The friends list pages one account's friends newest first.
            models.Index(fields=["account", "-id"], name="friend_list_latest"),
        ]

    def __str__(self) -> str:
        return f"{self.line_user_id} → {self.account_id} ({self.status})"


class FriendSource(models.Model):
    """An acquisition channel ("flyer", "counter") with its own QR code/URL."""

    account = models.ForeignKey(
        OfficialAccount, on_delete=models.CASCADE, related_name="friend_sources"
    )
    name = models.CharField(_("name"), max_length=50)
    code = models.SlugField(max_length=16, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "name"], name="friend_source_unique_name"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    """An account-defined label for friends (segments, chat, bulk tagging)."""

    account = models.ForeignKey(
        OfficialAccount, on_delete=models.CASCADE, related_name="tags"
    )
    name = models.CharField(_("name"), max_length=30)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["account", "name"], name="tag_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class CustomField(models.Model):
    """An account-defined attribute of friends (text/number/date/choice)."""

    class Kind(models.TextChoices):
        TEXT = "text", _("Text")
        NUMBER = "number", _("Number")
        DATE = "date", _("Date")
        CHOICE = "choice", _("Choice")

    account = models.ForeignKey(
        OfficialAccount, on_delete=models.CASCADE, related_name="custom_fields"
    )
    name = models.CharField(_("name"), max_length=40)
    kind = models.CharField(_("type"), max_length=8, choices=Kind.choices)
    choices = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "name"], name="custom_field_unique_name"
            )
        ]

    def __str__(self) -> str:
        return self.name


class FriendFieldValue(models.Model):
    """One friend's value of one custom field, typed by the field's kind."""

    friend = models.ForeignKey(
        "Friend", on_delete=models.CASCADE, related_name="field_values"
    )
    field = models.ForeignKey(CustomField, on_delete=models.CASCADE, related_name="+")
    value_text = models.CharField(max_length=500, blank=True)
    value_number = models.DecimalField(
        max_digits=18, decimal_places=4, null=True, blank=True
    )
    value_date = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["friend", "field"], name="friend_field_value_unique"
            )
        ]

    def __str__(self) -> str:
        return (
            f"{self.field_id}={self.value_text or self.value_number or self.value_date}"
        )


class FriendNote(models.Model):
    """A staff note about a friend; never visible to the customer."""

    friend = models.ForeignKey("Friend", on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    body = models.TextField(max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.body[:40]


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


class Message(models.Model):
    """Everything shown in a talk room, in either direction.

    One talk room per (account, LINE user) is the ``Friend`` row, so a room's
    history is ``Message.objects.filter(friend=…)``. ``payload`` is a message
    object as in LINE's spec (validated by ``messaging.validators``);
    ``text`` holds its searchable text (the text, or ``altText``).
    """

    class Direction(models.TextChoices):
        INBOUND = "in", _("From customer")
        OUTBOUND = "out", _("From account")

    class Source(models.TextChoices):
        CUSTOMER = "customer", _("Customer")
        GREETING = "greeting", _("Greeting")
        BROADCAST = "broadcast", _("Broadcast")
        STEP = "step", _("Step message")
        AUTO_RESPONSE = "auto_response", _("Auto-response")
        AWAY = "away", _("Away message")
        CHAT = "chat", _("Chat reply")
        API_REPLY = "api_reply", _("API reply")
        API_PUSH = "api_push", _("API push")
        API_MULTICAST = "api_multicast", _("API multicast")
        API_NARROWCAST = "api_narrowcast", _("API narrowcast")
        API_BROADCAST = "api_broadcast", _("API broadcast")
        TEST = "test", _("Test send")

    account = models.ForeignKey(
        OfficialAccount, on_delete=models.CASCADE, related_name="messages"
    )
    friend = models.ForeignKey(
        "Friend", on_delete=models.CASCADE, related_name="messages"
    )
    direction = models.CharField(max_length=3, choices=Direction.choices)
    source = models.CharField(max_length=16, choices=Source.choices)
    type = models.CharField(max_length=16)
    payload = models.JSONField()
    text = models.TextField(blank=True)
    # Customer uploads (images); account images are referenced by URL.
    content = models.FileField(upload_to="content/%Y/%m/", blank=True)
    preview = models.FileField(upload_to="content/%Y/%m/", blank=True)
    sent_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    quote_token = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Inbound: when staff or a bot read it (shown as 既読 to the customer).
    # Outbound: when the customer's talk app displayed it (opened).
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # Talk room and chat pane: latest messages of one room, by id.
            models.Index(fields=["friend", "-id"], name="message_room_latest"),
            # Per-day counts, exports and analytics of one account.
            models.Index(fields=["account", "created_at"], name="message_account_day"),
        ]

    def __str__(self) -> str:
        return f"{self.direction} {self.type} {self.text[:30]}"


# --- Messaging API and webhooks ---------------------------------------------


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

    class Meta:
        indexes = [
            # The Manager's delivery log: one account's deliveries, newest first.
            models.Index(fields=["account", "-id"], name="webhook_delivery_log"),
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
    response_body = models.CharField(max_length=500, blank=True)
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
    friend = models.ForeignKey(Friend, on_delete=models.CASCADE, related_name="+")
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


from messaging.broadcast_models import *  # noqa: E402,F401,F403
