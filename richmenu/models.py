"""Rich menus (spec section 4; docs/richmenus.md).

A menu is LINE's rich menu object plus its write-once image. Which menu a
friend sees is decided by ``richmenu.selectors.richmenu_for_friend``:
per-friend link > default set by the API > default set in the Manager,
each within its display period.
"""

import secrets

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# LINE's limits (REF#rich-menu-object, REF#create-rich-menu-alias).
MAX_MENUS = 1000
MAX_ALIASES = 1000
MAX_AREAS = 20
CHAT_BAR_TEXT_MAX = 14
NAME_MAX = 300
ALIAS_ID_PATTERN = r"[a-z0-9_-]{1,32}"


def new_rich_menu_id() -> str:
    """``richmenu-`` and 32 lowercase hex digits, as LINE's IDs look."""
    return "richmenu-" + secrets.token_hex(16)


def _image_path(menu: "RichMenu", filename: str) -> str:
    ext = "png" if filename.endswith(".png") else "jpg"
    return f"richmenus/{menu.account_id}/{menu.rich_menu_id}.{ext}"


class RichMenu(models.Model):
    """LINE's rich menu object with its image (write-once, as on LINE)."""

    class Origin(models.TextChoices):
        # API-made and Manager-made menus do not see each other (spec 4).
        API = "api", _("Messaging API")
        MANAGER = "manager", _("Manager")

    account = models.ForeignKey(
        "accounts.OfficialAccount", on_delete=models.CASCADE, related_name="+"
    )
    rich_menu_id = models.CharField(
        max_length=41, unique=True, default=new_rich_menu_id, editable=False
    )
    origin = models.CharField(max_length=8, choices=Origin.choices)
    name = models.CharField(_("name"), max_length=NAME_MAX)
    chat_bar_text = models.CharField(_("chat bar text"), max_length=CHAT_BAR_TEXT_MAX)
    selected = models.BooleanField(_("open by default"), default=False)
    width = models.PositiveSmallIntegerField()
    height = models.PositiveSmallIntegerField()
    # LINE's ``areas``: [{"bounds": {x, y, width, height}, "action": {...}}]
    areas = models.JSONField(default=list)
    image = models.FileField(upload_to=_image_path, blank=True)
    image_type = models.CharField(max_length=16, blank=True)
    display_from = models.DateTimeField(_("display from"), null=True, blank=True)
    display_until = models.DateTimeField(_("display until"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # The Manager's editor: its template (or ``free-*``), every area's
    # bounds, colour and label (``tiles``, also areas without an action),
    # whether the image maker drew the image, and the version, counted up
    # by each edit (a new ``rich_menu_id`` each time).
    layout = models.CharField(max_length=20, blank=True)
    tiles = models.JSONField(default=list, blank=True)
    image_made = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        indexes = [
            # The API's list and the Manager's list: one account's menus
            # of one origin, newest first.
            models.Index(fields=["account", "origin", "-id"], name="richmenu_list"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(display_from__isnull=True)
                | models.Q(display_until__isnull=True)
                | models.Q(display_from__lt=models.F("display_until")),
                name="richmenu_period_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.rich_menu_id})"

    @property
    def has_image(self) -> bool:
        return bool(self.image)

    def as_line(self) -> dict:
        """LINE's rich menu response object."""
        return {
            "richMenuId": self.rich_menu_id,
            "size": {"width": self.width, "height": self.height},
            "selected": self.selected,
            "name": self.name,
            "chatBarText": self.chat_bar_text,
            "areas": self.areas,
        }


class RichMenuAlias(models.Model):
    """An alias naming a menu, the target of ``richmenuswitch`` actions."""

    account = models.ForeignKey(
        "accounts.OfficialAccount", on_delete=models.CASCADE, related_name="+"
    )
    alias_id = models.CharField(max_length=32)
    rich_menu = models.ForeignKey(
        RichMenu, on_delete=models.CASCADE, related_name="aliases"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # Also the index of alias lookups (get, switch) by (account, id).
            models.UniqueConstraint(
                fields=["account", "alias_id"], name="richmenu_alias_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.alias_id} → {self.rich_menu_id}"


class RichMenuDefault(models.Model):
    """An account's default menu, one per origin (API and Manager)."""

    account = models.ForeignKey(
        "accounts.OfficialAccount", on_delete=models.CASCADE, related_name="+"
    )
    origin = models.CharField(max_length=8, choices=RichMenu.Origin.choices)
    rich_menu = models.ForeignKey(
        RichMenu, on_delete=models.CASCADE, related_name="defaults"
    )

    class Meta:
        constraints = [
            # Also the index the talk room's menu resolution uses.
            models.UniqueConstraint(
                fields=["account", "origin"], name="richmenu_default_per_origin"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.origin} → {self.rich_menu_id}"


class FriendRichMenu(models.Model):
    """A menu linked to one friend (the API's per-user link)."""

    friend = models.OneToOneField(
        "messaging.Friend",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="+",
    )
    rich_menu = models.ForeignKey(
        RichMenu, on_delete=models.CASCADE, related_name="links"
    )
    linked_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.friend_id} → {self.rich_menu_id}"


class RichMenuTagRule(models.Model):
    """ "Friends with tag X see menu Y" (the Manager's per-friend menus).

    Read at resolution time (``richmenu_for_friend``), so a rule applies as
    soon as a friend's tags change; no rule writes per-friend rows.
    """

    account = models.ForeignKey(
        "accounts.OfficialAccount", on_delete=models.CASCADE, related_name="+"
    )
    tag = models.ForeignKey("messaging.Tag", on_delete=models.CASCADE, related_name="+")
    rich_menu = models.ForeignKey(
        RichMenu, on_delete=models.CASCADE, related_name="tag_rules"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # One menu per tag; also the index the resolution's tag lookup
            # uses (account, tag).
            models.UniqueConstraint(
                fields=["account", "tag"], name="richmenu_tag_rule_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tag_id} → {self.rich_menu_id}"


class RichMenuDailyStat(models.Model):
    """Impressions (``area`` -1) and taps per area of a menu per day."""

    IMPRESSION = -1

    rich_menu = models.ForeignKey(
        RichMenu, on_delete=models.CASCADE, related_name="daily_stats"
    )
    day = models.DateField()
    area = models.SmallIntegerField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            # Also the index of the per-menu daily series (analytics).
            models.UniqueConstraint(
                fields=["rich_menu", "day", "area"], name="richmenu_stat_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rich_menu_id} {self.day} area {self.area}: {self.count}"


class RichMenuBatch(models.Model):
    """One ``/v2/bot/richmenu/batch`` request: its operations and progress.

    ``request_id`` is the request's ``X-Line-Request-Id``, which the
    progress endpoint takes. Runs once on a worker
    (``richmenu_batch_run_task``); ``phase`` is LINE's.
    """

    class Phase(models.TextChoices):
        ONGOING = "ongoing"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    account = models.ForeignKey(
        "accounts.OfficialAccount", on_delete=models.CASCADE, related_name="+"
    )
    request_id = models.CharField(max_length=36, unique=True)
    operations = models.JSONField()
    resume_request_key = models.CharField(max_length=100, blank=True)
    phase = models.CharField(max_length=10, choices=Phase.choices, default="ongoing")
    accepted_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.request_id} ({self.phase})"
