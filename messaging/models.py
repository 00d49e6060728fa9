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
