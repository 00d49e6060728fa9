"""Coupons (spec 5.6): made in the Manager or through the Messaging API.

A ``Coupon`` is immutable once published (LINE's rule): it is closed and
made again, never edited. A ``CouponTicket`` is one friend's draw of one
coupon — made once per friend (unique), ``won`` false for a lost lottery —
and counts its uses; ``CouponUse`` is the ledger of confirmed uses.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import OfficialAccount

TITLE_MAX = 60
DESCRIPTION_MAX = 1000
USAGE_CONDITION_MAX = 100
CODE_MAX = 100
UNLIMITED = -1
MAX_ACQUIRE_COUNT = 999_999


class Coupon(models.Model):
    class Origin(models.TextChoices):
        MANAGER = "manager", _("Manager")
        API = "api", _("Messaging API")

    class Status(models.TextChoices):
        RUNNING = "RUNNING", _("Running")
        CLOSED = "CLOSED", _("Closed")

    class Visibility(models.TextChoices):
        PUBLIC = "PUBLIC", _("Public")
        UNLISTED = "UNLISTED", _("Unlisted")

    class Reward(models.TextChoices):
        DISCOUNT = "discount", _("Discount")
        FREE = "free", _("Free")
        GIFT = "gift", _("Gift")
        CASH_BACK = "cashBack", _("Cash back")
        OTHERS = "others", _("Other")

    class Price(models.TextChoices):
        NONE = "", _("None")
        FIXED = "fixed", _("Fixed amount")
        PERCENTAGE = "percentage", _("Percentage")
        EXPLICIT = "explicit", _("Price after discount")

    account = models.ForeignKey(
        OfficialAccount, on_delete=models.CASCADE, related_name="coupons"
    )
    coupon_id = models.CharField(max_length=40, unique=True)
    origin = models.CharField(
        max_length=8, choices=Origin.choices, default=Origin.MANAGER
    )
    status = models.CharField(
        max_length=8, choices=Status.choices, default=Status.RUNNING
    )
    title = models.CharField(_("title"), max_length=TITLE_MAX)
    description = models.TextField(_("description"), blank=True)
    usage_condition = models.CharField(
        _("usage conditions"), max_length=USAGE_CONDITION_MAX, blank=True
    )
    image_url = models.CharField(max_length=2000, blank=True)
    barcode_image_url = models.CharField(max_length=2000, blank=True)
    coupon_code = models.CharField(_("coupon code"), max_length=CODE_MAX, blank=True)
    start_at = models.DateTimeField(_("valid from"))
    end_at = models.DateTimeField(_("valid until"))
    # LINE's time zone name (``ASIA_TOKYO``), shown with the period.
    time_zone = models.CharField(max_length=40, default="ASIA_TOKYO")
    visibility = models.CharField(
        max_length=8, choices=Visibility.choices, default=Visibility.UNLISTED
    )
    reward_type = models.CharField(max_length=10, choices=Reward.choices)
    price_type = models.CharField(
        max_length=10, choices=Price.choices, blank=True, default=Price.NONE
    )
    fixed_amount = models.PositiveIntegerField(null=True, blank=True)
    percentage = models.PositiveSmallIntegerField(null=True, blank=True)
    original_price = models.PositiveIntegerField(null=True, blank=True)
    price_after_discount = models.PositiveIntegerField(null=True, blank=True)
    # 1, or -1 for unlimited uses of one ticket.
    max_use_count_per_ticket = models.SmallIntegerField(default=1)
    lottery = models.BooleanField(default=False)
    lottery_probability = models.PositiveSmallIntegerField(null=True, blank=True)
    # Winners allowed, -1 unlimited; ``winners`` counts them (the atomic gate).
    max_acquire_count = models.IntegerField(default=UNLIMITED)
    winners = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["account", "status"], name="coupon_status")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(max_acquire_count=-1)
                | models.Q(winners__lte=models.F("max_acquire_count")),
                name="coupon_winners_within_max",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def is_open(self, now=None) -> bool:
        now = now or timezone.now()
        return self.status == self.Status.RUNNING and now < self.end_at

    def state(self, now=None) -> str:
        """``closed``, ``expired``, ``upcoming`` or ``open``."""
        now = now or timezone.now()
        if self.status == self.Status.CLOSED:
            return "closed"
        if now >= self.end_at:
            return "expired"
        if now < self.start_at:
            return "upcoming"
        return "open"


class CouponTicket(models.Model):
    """One friend's acquisition (or lost lottery) of one coupon."""

    coupon = models.ForeignKey(Coupon, on_delete=models.CASCADE, related_name="tickets")
    friend = models.ForeignKey(
        "messaging.Friend", on_delete=models.CASCADE, related_name="coupon_tickets"
    )
    won = models.BooleanField(default=True)
    used_count = models.PositiveIntegerField(default=0)
    acquired_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["coupon", "friend"], name="coupon_ticket_once"
            )
        ]
        indexes = [
            models.Index(fields=["friend", "coupon"], name="coupon_ticket_friend"),
        ]

    def __str__(self) -> str:
        return f"{self.coupon_id} → {self.friend_id}"


class CouponUse(models.Model):
    """One confirmed use of a ticket (append-only)."""

    ticket = models.ForeignKey(
        CouponTicket, on_delete=models.CASCADE, related_name="uses"
    )
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"use of {self.ticket_id}"
