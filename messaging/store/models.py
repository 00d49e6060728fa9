"""The message store: every message in a talk room, both directions."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import OfficialAccount
from core.public_ids import public_number


class Message(models.Model):
    """Everything shown in a talk room, in either direction.

    One talk room per (account, LINE user) is the ``Friend`` row, so a room's
    history is ``Message.objects.filter(friend=…)``. ``payload`` is a message
    object as in LINE's spec (validated by ``messaging.store.validators``);
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
        SHOPCARD = "shopcard", _("Shop card notice")

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

    @property
    def public_id(self) -> str:
        """The message ID bots see: 18 opaque digits, as LINE's
        (``core.public_ids``); the key stays the internal sequence."""
        return public_number(self.pk)


class BroadcastAsset(models.Model):
    """An image, video or audio file uploaded in the composer.

    ``key`` names a folder under ``MEDIA_ROOT/broadcasts/``: ``original.*``,
    ``preview.*`` (talk-room thumbnail) and, for rich messages, the imagemap
    widths ``240 300 460 700 1040`` (LINE fetches ``{baseUrl}/{width}``).
    A video or audio file is ``original.mp4``/``.m4a``/``.mp3`` alone (a
    video's poster is an image asset of its own); its size is 0 × 0.
    """

    class Kind(models.TextChoices):
        IMAGE = "image", _("Image")
        IMAGEMAP = "imagemap", _("Rich message")
        CARD = "card", _("Card image")
        VIDEO = "video", _("Video")
        AUDIO = "audio", _("Audio")

    account = models.ForeignKey(
        OfficialAccount, on_delete=models.CASCADE, related_name="broadcast_assets"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    key = models.CharField(max_length=32, unique=True)
    original_url = models.CharField(max_length=300)
    preview_url = models.CharField(max_length=300)
    base_url = models.CharField(max_length=300, blank=True)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.kind} {self.key}"
