"""Broadcasts, their batches, the per-recipient delivery ledger and links."""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import OfficialAccount
from messaging.audience.models import Segment


def _sample_seed() -> int:
    return secrets.randbelow(2**31 - 1) + 1


def _click_salt() -> str:
    return secrets.token_hex(8)


class Broadcast(models.Model):
    """A message to all friends or a segment, sent now or at a set time.

    State machine (docs/broadcasts.md)::

        draft ─▶ scheduled ─▶ sending ⇄ paused ─▶ sent
                     │           │        │
                     └──▶ cancelled ◀─────┘        sending ─▶ failed

    Every transition is a conditional UPDATE (or a locked re-check), so two
    staff pressing a button at once, or a task running twice, change the
    row once.
    """

    class Origin(models.TextChoices):
        MANAGER = "manager", _("Manager")
        API_NARROWCAST = "api_narrowcast", _("API narrowcast")
        API_BROADCAST = "api_broadcast", _("API broadcast")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        SENDING = "sending", _("Sending")
        PAUSED = "paused", _("Paused")
        SENT = "sent", _("Sent")
        CANCELLED = "cancelled", _("Cancelled")
        FAILED = "failed", _("Failed")

    account = models.ForeignKey(
        OfficialAccount, on_delete=models.CASCADE, related_name="broadcasts"
    )
    # Who asked: staff in the Manager, or a bot through the Messaging API
    # (``/v2/bot/message/narrowcast`` or ``/broadcast``, with its request ID).
    origin = models.CharField(
        max_length=16, choices=Origin.choices, default=Origin.MANAGER
    )
    request_id = models.CharField(max_length=36, null=True, blank=True, unique=True)
    title = models.CharField(_("title"), max_length=100)
    # Up to 3 message objects as composed (LINE's JSON, original URLs).
    messages = models.JSONField(default=list)
    # The audience: a segment definition, or None for all friends. A saved
    # segment is referenced instead and read when the broadcast starts.
    audience = models.JSONField(null=True, blank=True)
    segment = models.ForeignKey(
        Segment,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="broadcasts",
    )
    max_recipients = models.PositiveIntegerField(
        _("maximum recipients"), null=True, blank=True
    )
    # The random subset under ``max_recipients`` is a pure function of this
    # seed and friend ids, so a resumed or re-run batch picks the same people.
    sample_seed = models.PositiveIntegerField(default=_sample_seed)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    scheduled_at = models.DateTimeField(_("delivery time"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    started_at = models.DateTimeField(null=True, blank=True)
    # The audience actually used (the saved segment's definition at start).
    audience_used = models.JSONField(null=True, blank=True)
    # Messages with links replaced by per-recipient placeholders.
    send_messages = models.JSONField(null=True, blank=True)
    # Subset threshold: recipients are those with (hash, id) <= these.
    sample_hash = models.BigIntegerField(null=True, blank=True)
    sample_friend_id = models.BigIntegerField(null=True, blank=True)
    target_count = models.PositiveIntegerField(default=0)
    # The quota reservation (accounts.quota.Reservation) for target_count.
    usage = models.ForeignKey(
        "accounts.MonthlyUsage",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reserved = models.PositiveIntegerField(default=0)
    # Keyset position of the planner: the last recipient id planned.
    cursor = models.BigIntegerField(default=0)
    click_salt = models.CharField(max_length=16, default=_click_salt)

    paused_at = models.DateTimeField(null=True, blank=True)
    paused_seconds = models.PositiveIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)
    sent_count = models.PositiveIntegerField(default=0)
    blocked_count = models.PositiveIntegerField(default=0)
    failure_reason = models.CharField(max_length=300, blank=True)
    # LINE's narrowcast ``errorCode`` (1 internal, 2 too few recipients,
    # 5 quota short with ``forbidPartialDelivery``); None otherwise.
    error_code = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        indexes = [
            # The Manager's list: one account's broadcasts, newest first.
            models.Index(fields=["account", "-id"], name="broadcast_list"),
            # The beat dispatcher: due scheduled broadcasts, stalled sends.
            models.Index(fields=["status", "scheduled_at"], name="broadcast_due"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.status})"

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT and self.origin == self.Origin.MANAGER

    @property
    def shown_status(self) -> str:
        """The status staff see: a scheduled broadcast that is due already
        shows as sending (its start task is queued; "Send now" is one)."""
        if (
            self.status == self.Status.SCHEDULED
            and self.scheduled_at is not None
            and self.scheduled_at <= timezone.now()
        ):
            return self.Status.SENDING
        return self.status

    @property
    def shown_status_label(self) -> str:
        return str(self.Status(self.shown_status).label)

    @property
    def message_source(self) -> str:
        """The ``Message.source`` of what it sends (delivery counts, spec 1.9)."""
        return {
            self.Origin.API_NARROWCAST: "api_narrowcast",
            self.Origin.API_BROADCAST: "api_broadcast",
        }.get(self.origin, "broadcast")


class BroadcastBatch(models.Model):
    """One slice of a broadcast's recipients, sent by one task in one txn.

    Recipients are friends matching the audience with
    ``after_id < id <= last_id`` (keyset bounds fixed by the planner),
    following at send time, at most ``planned`` of them in id order. A batch
    is ``pending`` until the transaction that wrote its deliveries and
    messages marks it ``done``; nothing of a batch survives a crash but the
    whole batch.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DONE = "done", _("Done")

    broadcast = models.ForeignKey(
        Broadcast, on_delete=models.CASCADE, related_name="batches"
    )
    seq = models.PositiveIntegerField()
    after_id = models.BigIntegerField()
    last_id = models.BigIntegerField()
    planned = models.PositiveIntegerField()
    status = models.CharField(
        max_length=8, choices=Status.choices, default=Status.PENDING
    )
    sent = models.PositiveIntegerField(default=0)
    blocked = models.PositiveIntegerField(default=0)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["broadcast_id", "seq"]
        constraints = [
            models.UniqueConstraint(
                fields=["broadcast", "seq"], name="broadcast_batch_unique_seq"
            )
        ]
        indexes = [
            # Progress sums and "any batch still pending?" per broadcast.
            models.Index(fields=["broadcast", "status"], name="broadcast_batch_state"),
        ]

    def __str__(self) -> str:
        return f"batch {self.seq} of {self.broadcast_id} ({self.status})"


class Delivery(models.Model):
    """The ledger: one row per broadcast recipient, written with its message.

    Unique on (broadcast, friend), inserted with ON CONFLICT DO NOTHING, so
    no re-run of a batch can deliver twice. ``message`` is the first bubble
    the recipient got (opened = its ``read_at``). Friends blocked at send
    time get a ``blocked`` row and no message; they are not counted.
    """

    class Status(models.TextChoices):
        SENT = "sent", _("Delivered")
        BLOCKED = "blocked", _("Skipped (blocked)")

    broadcast = models.ForeignKey(
        Broadcast, on_delete=models.CASCADE, related_name="deliveries"
    )
    # No separate index: the unique (broadcast, friend) index serves every
    # query, and an extra index would cost each of millions of inserts.
    friend = models.ForeignKey(
        "messaging.Friend", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    # A plain pointer (no constraint, no index): the id is allocated before
    # the message row is inserted in the same transaction.
    message = models.ForeignKey(
        "messaging.Message",
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    status = models.CharField(max_length=8, choices=Status.choices)
    sent_at = models.DateTimeField()
    clicked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["broadcast", "friend"], name="delivery_unique_recipient"
            )
        ]

    def __str__(self) -> str:
        return f"{self.broadcast_id} → {self.friend_id} ({self.status})"


class BroadcastLink(models.Model):
    """A URL in a broadcast, rewritten to ``/r/<code>.<friend>.<sig>``."""

    broadcast = models.ForeignKey(
        Broadcast, on_delete=models.CASCADE, related_name="links"
    )
    code = models.CharField(max_length=12, unique=True)
    url = models.CharField(max_length=1000)
    clicks = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.url


class LinkClick(models.Model):
    """A friend's clicks on one link (unique clicks = rows)."""

    link = models.ForeignKey(
        BroadcastLink, on_delete=models.CASCADE, related_name="friend_clicks"
    )
    friend = models.ForeignKey(
        "messaging.Friend", on_delete=models.CASCADE, related_name="+"
    )
    count = models.PositiveIntegerField(default=1)
    first_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["link", "friend"], name="link_click_unique_friend"
            )
        ]

    def __str__(self) -> str:
        return f"{self.link_id} by {self.friend_id}"
