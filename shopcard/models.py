"""Shop cards (ショップカード): cards, rewards, point QR codes, each friend's
card with its append-only point ledger, and reward tickets (docs/shopcard.md).
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import OfficialAccount, User
from messaging.friends.models import Friend

GOAL_MIN, GOAL_MAX = 1, 50


class ShopCard(models.Model):
    """One card of an account; ``rank`` 1 is the card new customers get,
    rank N+1 the card they move up to after completing rank N."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    class ValidityBasis(models.TextChoices):
        FIRST_USE = "first_use", _("From the first point")
        LAST_USE = "last_use", _("From the last point")

    class ScanLimit(models.TextChoices):
        NONE = "none", _("No limit")
        DAILY = "daily", _("Once a day")
        HOURS = "hours", _("Once per N hours")

    account = models.ForeignKey(
        OfficialAccount, on_delete=models.CASCADE, related_name="shop_cards"
    )
    rank = models.PositiveSmallIntegerField(default=1)
    name = models.CharField(_("card name"), max_length=40)
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.DRAFT
    )
    goal = models.PositiveSmallIntegerField(_("points to the goal"), default=10)
    rank_up = models.BooleanField(
        _("move up to the next card when completed"), default=False
    )
    validity_basis = models.CharField(
        _("validity counted"),
        max_length=12,
        choices=ValidityBasis.choices,
        default=ValidityBasis.LAST_USE,
    )
    # 0: the card never expires.
    validity_months = models.PositiveSmallIntegerField(
        _("validity (months, 0 = none)"), default=12
    )
    welcome_points = models.PositiveSmallIntegerField(
        _("welcome bonus points"), default=0
    )
    scan_limit = models.CharField(
        _("scan limit"), max_length=8, choices=ScanLimit.choices, default="daily"
    )
    scan_limit_hours = models.PositiveSmallIntegerField(
        _("hours between scans"), default=1
    )
    background = models.ImageField(upload_to="shopcard/", blank=True)
    color = models.CharField(_("card colour"), max_length=7, default="#06c755")
    stamp_color = models.CharField(_("stamp colour"), max_length=7, default="#ffffff")
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["rank", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "rank"], name="shopcard_rank_unique"
            ),
            models.CheckConstraint(
                condition=Q(goal__gte=GOAL_MIN, goal__lte=GOAL_MAX),
                name="shopcard_goal_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED


class CardReward(models.Model):
    """A ticket issued when a friend's points on ``card`` reach ``points``
    (the goal, or an intermediate milestone)."""

    card = models.ForeignKey(ShopCard, on_delete=models.CASCADE, related_name="rewards")
    points = models.PositiveSmallIntegerField(_("at points"))
    title = models.CharField(_("reward"), max_length=60)
    validity_days = models.PositiveSmallIntegerField(_("ticket valid (days)"))

    class Meta:
        ordering = ["points", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["card", "points"], name="shopcard_reward_points_unique"
            )
        ]

    def __str__(self) -> str:
        return self.title


class PointCode(models.Model):
    """A printable point QR code: scanning it in the talk app grants
    ``points`` (once when ``single_use``), until ``expires_at``."""

    account = models.ForeignKey(
        OfficialAccount, on_delete=models.CASCADE, related_name="point_codes"
    )
    token = models.CharField(max_length=32, unique=True)
    label = models.CharField(_("label"), max_length=60, blank=True)
    points = models.PositiveSmallIntegerField(_("points"), default=1)
    single_use = models.BooleanField(_("single use"), default=False)
    expires_at = models.DateTimeField(_("expires"))
    used_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.label or self.token


class PointCard(models.Model):
    """A friend's card: the points on it now, kept in step with the ledger
    (``PointEntry``) under a row lock."""

    friend = models.OneToOneField(
        Friend, on_delete=models.CASCADE, related_name="point_card"
    )
    card = models.ForeignKey(ShopCard, on_delete=models.PROTECT, related_name="+")
    points = models.PositiveIntegerField(default=0)
    completed_count = models.PositiveIntegerField(default=0)
    first_use_at = models.DateTimeField(null=True, blank=True)
    last_use_at = models.DateTimeField(null=True, blank=True)
    last_scan_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["expires_at"], name="shopcard_pc_expires")]

    def __str__(self) -> str:
        return f"{self.card_id}:{self.friend_id}"


class PointEntry(models.Model):
    """One line of the append-only point ledger (never updated or deleted)."""

    class Kind(models.TextChoices):
        WELCOME = "welcome", _("Welcome bonus")
        SCAN = "scan", _("Point QR code")
        STAFF = "staff", _("Given by staff")
        REVOKE = "revoke", _("Taken back by staff")
        COMPLETE = "complete", _("Card completed")
        EXPIRE = "expire", _("Expired")

    point_card = models.ForeignKey(
        PointCard, on_delete=models.CASCADE, related_name="entries"
    )
    card = models.ForeignKey(ShopCard, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    delta = models.IntegerField()
    balance = models.PositiveIntegerField()
    reason = models.CharField(max_length=200, blank=True)
    code = models.ForeignKey(
        PointCode, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.delta:+d}"


class RewardTicket(models.Model):
    """A reward ticket a friend holds; used once, confirmed by staff."""

    class Status(models.TextChoices):
        ISSUED = "issued", _("Ready to use")
        USED = "used", _("Used")

    friend = models.ForeignKey(
        Friend, on_delete=models.CASCADE, related_name="reward_tickets"
    )
    reward = models.ForeignKey(
        CardReward, on_delete=models.PROTECT, related_name="tickets"
    )
    title = models.CharField(max_length=60)
    status = models.CharField(
        max_length=8, choices=Status.choices, default=Status.ISSUED
    )
    issued_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["friend", "status"], name="shopcard_ticket_friend"),
            models.Index(fields=["expires_at"], name="shopcard_ticket_expires"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_usable(self) -> bool:
        return self.status == self.Status.ISSUED and self.expires_at > timezone.now()
