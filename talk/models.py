"""Who may act as a customer in the talk app (issue 19, #1).

A ``TalkAccount`` is a talk-app customer's own login, separate from staff
logins; it owns the personas (``LineUser`` rows) it created. A browser acts
as a persona only when its talk account owns it, or when a staff member
rehearses as a friend of their own account from the Manager.
"""

from django.contrib.auth.hashers import check_password, make_password
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from messaging.friends.models import LineUser


class TalkAccount(models.Model):
    login = models.CharField(_("login"), max_length=150, unique=True)
    password = models.CharField(max_length=128)
    is_demo = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("talk app customer login")

    def __str__(self) -> str:
        return self.login

    def set_password(self, raw: str) -> None:
        self.password = make_password(raw)

    def check_password(self, raw: str) -> bool:
        return check_password(raw, self.password)


class PersonaOwner(models.Model):
    """The talk account a persona belongs to (one owner per persona)."""

    line_user = models.OneToOneField(
        LineUser, on_delete=models.CASCADE, related_name="talk_owner"
    )
    owner = models.ForeignKey(
        TalkAccount, on_delete=models.CASCADE, related_name="personas"
    )

    def __str__(self) -> str:
        return f"{self.line_user_id} owned by {self.owner_id}"
