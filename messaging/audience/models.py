"""Saved segments: named audience definitions."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import OfficialAccount
from core.public_ids import public_number


class Segment(models.Model):
    """A saved, reusable audience: conditions joined with AND/OR.

    ``definition`` is the JSON understood by ``messaging.audience.conditions``; it is
    evaluated each time a broadcast using it starts, never materialised.
    """

    account = models.ForeignKey(
        OfficialAccount, on_delete=models.CASCADE, related_name="segments"
    )
    name = models.CharField(_("name"), max_length=60)
    definition = models.JSONField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "name"], name="segment_unique_name"
            )
        ]

    def __str__(self) -> str:
        return self.name


class AudienceGroup(models.Model):
    """A LINE audience (``ManageAudience``): a fixed list of user IDs.

    Made from uploaded user IDs (``UPLOAD``), or from the friends who
    clicked a link in (``CLICK``) or opened (``IMP``) an earlier API
    broadcast or narrowcast, or exported from a saved segment in the
    Manager (``UPLOAD`` with route ``OA_MANAGER``). Members are stored, not
    evaluated: an audience is the list it was made with plus what was
    added. Bots see ``public_id`` (13 digits), never the key.
    """

    class Type(models.TextChoices):
        UPLOAD = "UPLOAD", _("User IDs")
        CLICK = "CLICK", _("Clicked a link")
        IMP = "IMP", _("Opened a message")

    class Status(models.TextChoices):
        IN_PROGRESS = "IN_PROGRESS", _("In progress")
        READY = "READY", _("Ready")
        FAILED = "FAILED", _("Failed")
        EXPIRED = "EXPIRED", _("Expired")

    class Route(models.TextChoices):
        MESSAGING_API = "MESSAGING_API", _("Messaging API")
        OA_MANAGER = "OA_MANAGER", _("Manager")

    account = models.ForeignKey(
        OfficialAccount, on_delete=models.CASCADE, related_name="audience_groups"
    )
    description = models.CharField(_("name"), max_length=120)
    type = models.CharField(max_length=8, choices=Type.choices)
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.READY
    )
    failed_type = models.CharField(max_length=40, blank=True)
    create_route = models.CharField(
        max_length=16, choices=Route.choices, default=Route.MESSAGING_API
    )
    is_ifa_audience = models.BooleanField(default=False)
    # CLICK and IMP: the broadcast's X-Line-Request-Id and clicked URL.
    request_id = models.CharField(max_length=64, blank=True)
    click_url = models.CharField(max_length=2000, blank=True)
    audience_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["account", "-created_at"], name="audience_account_new")
        ]

    def __str__(self) -> str:
        return self.description

    @property
    def public_id(self) -> int:
        """``audienceGroupId``: 13 opaque digits (``core.public_ids``)."""
        return int(public_number(self.pk, namespace="audience", digits=13))


class AudienceMember(models.Model):
    """One user ID (or IFA) of an audience; need not be a friend."""

    group = models.ForeignKey(
        AudienceGroup, on_delete=models.CASCADE, related_name="members"
    )
    user_id = models.CharField(max_length=100)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["group", "user_id"], name="audience_member_unique"
            )
        ]
        indexes = [models.Index(fields=["user_id"], name="audience_member_user")]

    def __str__(self) -> str:
        return self.user_id


class AudienceJob(models.Model):
    """One upload into an audience (``jobs`` of the get-audience answer)."""

    group = models.ForeignKey(
        AudienceGroup, on_delete=models.CASCADE, related_name="jobs"
    )
    description = models.CharField(max_length=300, blank=True)
    # Accounts the job added (LINE's ``audienceCount`` of a DIFF_ADD job).
    audience_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.description

    @property
    def public_id(self) -> int:
        return int(public_number(self.pk, namespace="audience-job", digits=13))
