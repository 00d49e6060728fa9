"""LINE VOOM (timeline) posts, reactions and comments (docs/voom.md).

A post belongs to one account; followers see it in the talk app's VOOM tab
once ``published_at`` has passed (a scheduled post is published by the
``voom.publish_due_posts_task`` beat task). Posts cost no message quota.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import OfficialAccount
from core.models import TimeStampedModel

TEXT_MAX = 10_000
PHOTOS_MAX = 20
VIDEO_MAX_BYTES = 200 * 1024 * 1024
COMMENT_MAX = 500
LINK_TITLE_MAX = 100


def _photo_path(photo: "PostPhoto", filename: str) -> str:
    return f"voom/{photo.post.account_id}/{filename}"


def _post_path(post: "Post", filename: str) -> str:
    return f"voom/{post.account_id}/{filename}"


class Post(TimeStampedModel):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        PUBLISHED = "published", _("Published")

    account = models.ForeignKey(
        OfficialAccount, on_delete=models.CASCADE, related_name="voom_posts"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    text = models.TextField(_("text"), max_length=TEXT_MAX, blank=True)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.SCHEDULED
    )
    publish_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    allow_comments = models.BooleanField(_("allow comments"), default=True)
    # A URL card (a coupon or shop-card link, a web page): title and URL.
    link_url = models.URLField(_("link URL"), max_length=1000, blank=True)
    link_title = models.CharField(
        _("link title"), max_length=LINK_TITLE_MAX, blank=True
    )
    video = models.FileField(upload_to=_post_path, blank=True)
    video_poster = models.ImageField(upload_to=_post_path, blank=True)
    # Counters kept for the analytics dashboard; likes and comments are
    # counted from their rows (exact under concurrency).
    impressions = models.PositiveIntegerField(default=0)
    link_taps = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(
                fields=["account", "status", "-published_at", "-id"],
                name="voom_post_feed",
            ),
            models.Index(fields=["status", "publish_at"], name="voom_post_due"),
        ]

    def __str__(self) -> str:
        return self.text[:40] or f"post {self.pk}"


class PostPhoto(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(upload_to=_photo_path)
    preview = models.ImageField(upload_to=_photo_path)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"photo {self.pk}"


class Reaction(models.TextChoices):
    """LINE's reaction set on VOOM posts."""

    NICE = "nice", _("Nice")
    LOVE = "love", _("Love")
    FUN = "fun", _("Fun")
    AMAZING = "amazing", _("Amazing")
    SAD = "sad", _("Sad")
    OMG = "omg", _("Oh no")


REACTION_EMOJI = {
    "nice": "👍",
    "love": "❤️",
    "fun": "😆",
    "amazing": "😲",
    "sad": "😢",
    "omg": "😱",
}


class PostReaction(models.Model):
    """One friend's reaction to a post: one row per friend (a new one
    replaces the old, as on LINE)."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="reactions")
    friend = models.ForeignKey(
        "messaging.Friend", on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=Reaction.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["post", "friend"], name="voom_reaction_once"
            )
        ]

    def __str__(self) -> str:
        return self.kind


class PostComment(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="comments")
    friend = models.ForeignKey(
        "messaging.Friend", on_delete=models.CASCADE, related_name="+"
    )
    text = models.CharField(max_length=COMMENT_MAX)
    hidden = models.BooleanField(default=False)
    reply_text = models.CharField(max_length=COMMENT_MAX, blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.text[:40]


class CommentBlock(models.Model):
    """A friend the account's staff stopped from commenting on its posts."""

    account = models.ForeignKey(
        OfficialAccount, on_delete=models.CASCADE, related_name="+"
    )
    friend = models.ForeignKey(
        "messaging.Friend", on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "friend"], name="voom_comment_block_once"
            )
        ]

    def __str__(self) -> str:
        return f"block {self.friend_id}"
