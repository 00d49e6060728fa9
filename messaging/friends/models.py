"""LINE users and their friendship with an account, with the Manager's
friend data: sources, tags, custom fields and notes."""

from django.conf import settings
from django.core.validators import MaxValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.ids import USER_ID
from accounts.models import OfficialAccount
from messaging.friends.regions import PREFECTURES


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
        validators=[RegexValidator(rf"^{USER_ID}$")],
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
    # The staff member whose own LINE this friend is: test sends go here
    # (LINE's test recipients are the account's members, issue 14 #2).
    staff_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Copies of the LINE user's targeting attributes, so that audiences
    # (segments, narrowcast filters, the friends list) filter one table: at
    # a million friends the join to messaging_lineuser was most of a
    # segment's count (docs/broadcasts.md, "Audience counts"). Database
    # triggers keep them equal to the LineUser's on every INSERT and UPDATE
    # of either table (migration 0018_friend_targeting_copy), whoever writes;
    # code never sets them, and an unsaved instance holds the defaults. For
    # display read ``line_user``.
    user_gender = models.CharField(
        max_length=8,
        choices=LineUser.Gender.choices,
        default=LineUser.Gender.UNKNOWN,
        editable=False,
    )
    user_age = models.PositiveSmallIntegerField(null=True, editable=False)
    user_region = models.CharField(
        max_length=5, choices=PREFECTURES, blank=True, editable=False
    )
    user_os = models.CharField(
        max_length=8,
        choices=LineUser.OS.choices,
        default=LineUser.OS.IOS,
        editable=False,
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "line_user"], name="friend_unique_per_account"
            ),
            models.UniqueConstraint(
                fields=["account", "staff_user"],
                condition=models.Q(staff_user__isnull=False),
                name="friend_one_per_staff_member",
            ),
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


class LinkToken(models.Model):
    """A link token for account linking (LINE's ``linkToken``).

    Issued by the bot for one friend (``POST /v2/bot/user/{userId}/linkToken``),
    valid for 10 minutes and used at most once, by the account-link dialog
    (``/dialog/bot/accountLink``). docs/bot-developers.md.
    """

    account = models.ForeignKey(
        OfficialAccount, on_delete=models.CASCADE, related_name="+"
    )
    friend = models.ForeignKey(Friend, on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=32, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["expires_at"], name="linktoken_expiry")]

    def __str__(self) -> str:
        return self.token
