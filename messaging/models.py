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
    """A LINE user's relation to one account: following or blocked."""

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
