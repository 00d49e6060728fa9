"""Saved segments: named audience definitions."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import OfficialAccount


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
