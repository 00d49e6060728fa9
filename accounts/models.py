"""Staff users, official accounts (the tenant), plans, memberships, tokens."""

import zoneinfo
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel

TIME_ZONE_CHOICES = sorted(
    (name, name) for name in zoneinfo.available_timezones() if "/" in name
)


class User(AbstractUser):
    """A staff member or an operator; customers are ``messaging.LineUser``."""

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"


class Plan(models.Model):
    """A price plan. Rows are seeded by a data migration and edited in admin.

    ``additional_price_tiers`` is a list of ``[up_to_total, yen_per_message]``
    pairs ordered by ``up_to_total``; ``null`` as the last bound means "and
    above". Additional messages are priced by the tier the month's total
    falls in, message by message, as LINE's Standard plan does.
    """

    class Code(models.TextChoices):
        COMMUNICATION = "communication", _("Communication")
        LIGHT = "light", _("Light")
        STANDARD = "standard", _("Standard")

    code = models.SlugField(unique=True)
    name = models.CharField(_("name"), max_length=50)
    monthly_fee_yen = models.PositiveIntegerField(_("monthly fee (yen)"))
    free_messages = models.PositiveIntegerField(_("free messages per month"))
    allows_additional = models.BooleanField(_("additional messages allowed"))
    additional_price_tiers = models.JSONField(default=list, blank=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return str(self.label)

    @property
    def label(self) -> str:
        """The plan's name in the viewer's language; an operator's own plan
        (a code LINE does not have) shows its ``name``."""
        return str(dict(self.Code.choices).get(self.code, self.name))

    def additional_cost_yen(self, *, free_used_total: int, count: int) -> Decimal:
        """Price of ``count`` additional messages sent after ``free_used_total``.

        ``free_used_total`` is the month's total before these messages; the
        free allowance is never charged.
        """
        if not self.allows_additional or count <= 0:
            return Decimal(0)
        cost = Decimal(0)
        position = max(free_used_total, self.free_messages)
        remaining = count - max(0, self.free_messages - free_used_total)
        for bound, price in self.additional_price_tiers:
            if remaining <= 0:
                break
            if bound is not None and position >= bound:
                continue
            room = remaining if bound is None else min(remaining, bound - position)
            cost += Decimal(str(price)) * room
            position += room
            remaining -= room
        return cost


def _basic_id_default() -> str:
    from accounts.ids import new_basic_id

    return new_basic_id()


class ChannelAuthCached(models.Model):
    """A model that API requests read from ``accounts.channel_auth``'s cache.

    Cache invalidation, not domain logic: every ``save()`` and ``delete()``
    moves the channel-auth epoch, whichever service, admin form or shell
    wrote, so no process keeps answering with the old row. (Queryset
    ``update()``/``delete()`` bypass this; the services that use them call
    ``channel_auth_changed`` themselves.)
    """

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        _channel_auth_changed()

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        _channel_auth_changed()
        return result


class OfficialAccount(ChannelAuthCached, TimeStampedModel):
    """A LINE Official Account: the tenant every other row belongs to."""

    class Badge(models.TextChoices):
        UNVERIFIED = "unverified", _("Unverified")
        VERIFIED = "verified", _("Verified")
        PREMIUM = "premium", _("Premium")

    basic_id = models.CharField(
        _("basic ID"),
        max_length=9,
        unique=True,
        validators=[RegexValidator(r"^@[a-z0-9]{8}$")],
    )
    premium_id = models.CharField(
        _("premium ID"),
        max_length=19,
        unique=True,
        null=True,
        blank=True,
        validators=[RegexValidator(r"^@[a-z0-9._-]{3,18}$")],
    )
    display_name = models.CharField(_("display name"), max_length=20)
    status_message = models.CharField(_("status message"), max_length=500, blank=True)
    picture_large = models.ImageField(upload_to="accounts/", blank=True)
    picture_small = models.ImageField(upload_to="accounts/", blank=True)
    badge = models.CharField(
        _("badge"), max_length=12, choices=Badge.choices, default=Badge.UNVERIFIED
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, choices=TIME_ZONE_CHOICES, default="Asia/Tokyo"
    )
    channel_id = models.CharField(max_length=10, unique=True)
    channel_secret = models.CharField(max_length=32)
    bot_user_id = models.CharField(max_length=33, unique=True)
    is_suspended = models.BooleanField(_("suspended"), default=False)
    # LINE's "Allow bot to join group chats" (off for a new channel).
    allow_group_join = models.BooleanField(
        _("allow the account to join group chats"),
        default=False,
        help_text=_(
            "Customers can invite the account into their group chats and "
            "multi-person chats; the bot receives their events."
        ),
    )
    suspended_reason = models.CharField(max_length=200, blank=True)

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="+")
    # A plan change applies from the 1st of the next month in the account's
    # time zone; until then it waits here.
    next_plan = models.ForeignKey(
        Plan, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    next_plan_from = models.DateField(null=True, blank=True)
    # Cap on additional (paid) messages per month, set by the account admin.
    additional_cap = models.PositiveIntegerField(
        _("cap on additional messages per month"), default=0
    )
    # Operator override of the whole monthly limit (free + additional).
    quota_override = models.PositiveIntegerField(
        _("monthly limit override"), null=True, blank=True
    )

    class Meta:
        ordering = ["display_name", "id"]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.basic_id})"

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def slug(self) -> str:
        """The basic ID without its ``@``, as used in Manager URLs."""
        return self.basic_id.lstrip("@")

    def local_today(self):
        return timezone.now().astimezone(self.tz).date()


class Membership(TimeStampedModel):
    """A staff user's role in one account. Permissions follow LINE's roles."""

    class Role(models.TextChoices):
        ADMIN = "admin", _("Admin")
        OPERATOR = "operator", _("Operator")
        OPERATOR_NO_DELIVERY = "operator_no_delivery", _("Operator (no delivery)")
        OPERATOR_NO_INSIGHTS = "operator_no_insights", _("Operator (no insights)")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    account = models.ForeignKey(
        OfficialAccount, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=24, choices=Role.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "user"], name="membership_unique_user"
            )
        ]
        ordering = ["account_id", "user__username"]

    def __str__(self) -> str:
        return f"{self.user} @ {self.account.basic_id} ({self.role})"


class Invitation(TimeStampedModel):
    """A single-use invite link; only the SHA-256 of its token is stored."""

    account = models.ForeignKey(
        OfficialAccount, on_delete=models.CASCADE, related_name="invitations"
    )
    role = models.CharField(max_length=24, choices=Membership.Role.choices)
    email = models.EmailField(blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"invite to {self.account.basic_id} as {self.role}"

    @property
    def is_open(self) -> bool:
        return (
            self.accepted_at is None
            and self.revoked_at is None
            and self.expires_at > timezone.now()
        )


class AuditLog(models.Model):
    """One row per staff write: who did what, when, in which account."""

    account = models.ForeignKey(
        OfficialAccount,
        on_delete=models.CASCADE,
        related_name="audit_entries",
        null=True,
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    action = models.CharField(max_length=64)
    target = models.CharField(max_length=200, blank=True)
    # What staff read for the target (a friend's display name at the time),
    # when ``target`` is an ID such as a LINE user ID.
    target_label = models.CharField(max_length=200, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The audit page lists one account's entries, newest first.
            models.Index(fields=["account", "-created_at"], name="audit_account_time"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.target}"

    @property
    def action_label(self) -> str:
        """The action in the viewer's language (``accounts.audit``)."""
        from accounts.audit import audit_action_label

        return audit_action_label(self.action)


class ChannelAccessToken(ChannelAuthCached, models.Model):
    """A Messaging API bearer token; only its SHA-256 is stored."""

    class Kind(models.TextChoices):
        LONG_LIVED = "long_lived", _("Long-lived")
        SHORT_LIVED = "short_lived", _("Short-lived (OAuth)")

    account = models.ForeignKey(
        OfficialAccount, on_delete=models.CASCADE, related_name="access_tokens"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    hint = models.CharField(max_length=12)
    label = models.CharField(_("label"), max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} token …{self.hint}"

    @property
    def is_active(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (
            self.expires_at is None or self.expires_at > now
        )


class MonthlyUsage(models.Model):
    """Counted messages of one account in one calendar month (account's TZ).

    ``limit`` is fixed when the row is created (plan of that month, admin
    cap, operator override) and updated when the cap or override changes.
    ``used + reserved <= limit`` is kept by conditional UPDATEs in
    ``accounts.quota``; the CHECK constraint guards against negative counts
    should a release ever be applied twice.
    """

    account = models.ForeignKey(
        OfficialAccount, on_delete=models.CASCADE, related_name="usages"
    )
    month = models.DateField(help_text="First day of the month, account time zone.")
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="+")
    limit = models.PositiveIntegerField(validators=[MinValueValidator(0)])
    used = models.PositiveIntegerField(default=0)
    reserved = models.PositiveIntegerField(default=0)
    warned_percent = models.PositiveSmallIntegerField(
        default=0,
        help_text="Highest quota warning (80 or 100 %) e-mailed this month.",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "month"], name="usage_one_row_per_month"
            ),
            models.CheckConstraint(
                condition=models.Q(used__gte=0) & models.Q(reserved__gte=0),
                name="usage_non_negative",
            ),
        ]
        ordering = ["-month"]

    def __str__(self) -> str:
        return f"{self.account.basic_id} {self.month:%Y-%m}: {self.used}/{self.limit}"

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used - self.reserved)


def _channel_auth_changed() -> None:
    from accounts.channel_auth import channel_auth_changed

    channel_auth_changed()
