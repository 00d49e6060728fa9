"""Writes of VOOM posts: compose, schedule, publish, react, comment, moderate.

Staff functions take the account and the acting user and record an audit
entry; customer functions take the ``Friend`` (the persona's friendship
with the post's account), so a foreign post is a ``NotFound``. Every input
is checked before the first write: a bad one raises ``ApplicationError``
and writes nothing. Posts never touch the message quota.
"""

import datetime as dt
import secrets

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import OfficialAccount, User
from accounts.services import audit_record
from core.exceptions import ApplicationError, NotFound
from core.images import PHOTO, image_check, image_original, image_preview
from core.media import media_check
from messaging.friends.models import Friend
from voom.models import (
    COMMENT_MAX,
    LINK_TITLE_MAX,
    PHOTOS_MAX,
    TEXT_MAX,
    VIDEO_MAX_BYTES,
    CommentBlock,
    Post,
    PostComment,
    PostPhoto,
    PostReaction,
    Reaction,
)

PREVIEW_SIDE = 480


def _bad(message: str, field: str) -> ApplicationError:
    return ApplicationError(message, {field: message})


def _clean(
    *, text: str, link_url: str, link_title: str, photos: list, video, poster
) -> tuple[str, list, object]:
    text = (text or "").strip()
    if len(text) > TEXT_MAX:
        raise _bad(
            _("A post can have at most %(n)d characters.") % {"n": TEXT_MAX}, "text"
        )
    if len(photos) > PHOTOS_MAX:
        raise _bad(
            _("A post can have at most %(n)d photos.") % {"n": PHOTOS_MAX}, "photos"
        )
    if photos and video:
        raise _bad(_("A post has photos or one video, not both."), "video")
    if link_title and not link_url:
        raise _bad(_("Enter the link's URL."), "link_url")
    if len(link_title or "") > LINK_TITLE_MAX:
        raise _bad(
            _("Use at most %(n)d characters.") % {"n": LINK_TITLE_MAX}, "link_title"
        )
    checked = []
    for upload in photos:
        try:
            checked.append((upload, image_check(upload, use=PHOTO)))
        except ApplicationError as exc:
            raise _bad(exc.message, "photos") from None
    poster_checked = None
    if video:
        if video.size > VIDEO_MAX_BYTES:
            raise _bad(_("A video can be at most 200 MB."), "video")
        try:
            media_check(video, max_bytes=VIDEO_MAX_BYTES, kinds=("video",))
        except ApplicationError as exc:
            raise _bad(exc.message, "video") from None
        if not poster:
            raise _bad(_("Add a poster image for the video."), "video_poster")
        try:
            poster_checked = image_check(poster, use=PHOTO)
        except ApplicationError as exc:
            raise _bad(exc.message, "video_poster") from None
    return text, checked, poster_checked


def _photos_save(post: Post, checked: list, start: int) -> None:
    for offset, (upload, image) in enumerate(checked):
        name = secrets.token_hex(8)
        PostPhoto.objects.create(
            post=post,
            image=image_original(upload, image, name=name),
            preview=image_preview(image, side=PREVIEW_SIDE, name=name),
            position=start + offset,
        )


def _publish_at_check(publish_at: dt.datetime | None, now: dt.datetime) -> None:
    """Refuse a publish time in the past, as LINE refuses past scheduling.

    The form picks minutes, so a time in the current minute means "now".
    """
    if publish_at is not None and publish_at < now.replace(second=0, microsecond=0):
        raise _bad(
            _(
                "This time has passed. Choose a later time, or leave it empty "
                "to publish now."
            ),
            "publish_at",
        )


@transaction.atomic
def post_create(
    *,
    account: OfficialAccount,
    actor: User,
    text: str,
    publish_at: dt.datetime | None = None,
    allow_comments: bool = True,
    link_url: str = "",
    link_title: str = "",
    photos: list | None = None,
    video=None,
    video_poster=None,
    now: dt.datetime | None = None,
) -> Post:
    """A post, published at once (``publish_at`` None or within the current
    minute) or scheduled; a ``publish_at`` already past is refused.

    Raises ``ApplicationError`` (details keyed by form field) for over-long
    text, more than 20 photos, photos with a video, a video over 200 MB or
    without a poster, a bad image; nothing is written then.
    """
    now = now or timezone.now()
    photos = list(photos or [])
    text, checked, poster_checked = _clean(
        text=text,
        link_url=link_url,
        link_title=link_title,
        photos=photos,
        video=video,
        poster=video_poster,
    )
    if not (text or checked or video or link_url):
        raise _bad(_("Write something, or add photos, a video or a link."), "text")
    _publish_at_check(publish_at, now)
    due = publish_at is None or publish_at <= now
    post = Post.objects.create(
        account=account,
        author=actor,
        text=text,
        allow_comments=allow_comments,
        link_url=link_url or "",
        link_title=link_title or "",
        publish_at=now if publish_at is None else publish_at,
        status=Post.Status.PUBLISHED if due else Post.Status.SCHEDULED,
        published_at=now if due else None,
    )
    _photos_save(post, checked, 0)
    if video:
        name = secrets.token_hex(8)
        video.name = f"{name}.mp4"
        post.video = video
        post.video_poster = image_preview(poster_checked, side=1024, name=name)
        post.save(update_fields=["video", "video_poster"])
    audit_record(
        account=account,
        actor=actor,
        action="voom.post_publish" if due else "voom.post_schedule",
        target=str(post.pk),
        target_label=text[:40],
    )
    return post


@transaction.atomic
def post_update(
    *,
    account: OfficialAccount,
    actor: User,
    post: Post,
    text: str,
    allow_comments: bool,
    link_url: str = "",
    link_title: str = "",
    publish_at: dt.datetime | None = None,
    add_photos: list | None = None,
    remove_photo_ids: list[int] | None = None,
    now: dt.datetime | None = None,
) -> Post:
    """Edit a post; a scheduled one may move its time (None: publish now;
    a time already past is refused)."""
    if post.account_id != account.pk:
        raise NotFound
    now = now or timezone.now()
    post = Post.objects.select_for_update().get(pk=post.pk)
    remove = set(remove_photo_ids or [])
    kept = post.photos.exclude(pk__in=remove).count()
    add_photos = list(add_photos or [])
    if add_photos and post.video:
        raise _bad(_("A post has photos or one video, not both."), "video")
    if kept + len(add_photos) > PHOTOS_MAX:
        raise _bad(
            _("A post can have at most %(n)d photos.") % {"n": PHOTOS_MAX}, "photos"
        )
    text, checked, _poster = _clean(
        text=text,
        link_url=link_url,
        link_title=link_title,
        photos=add_photos,
        video=None,
        poster=None,
    )
    if not (text or kept or checked or post.video or link_url):
        raise _bad(_("Write something, or add photos, a video or a link."), "text")
    post.text = text
    post.allow_comments = allow_comments
    post.link_url = link_url or ""
    post.link_title = link_title or ""
    if post.status == Post.Status.SCHEDULED:
        _publish_at_check(publish_at, now)
        if publish_at is None or publish_at <= now:
            post.status = Post.Status.PUBLISHED
            post.publish_at = post.published_at = now
        else:
            post.publish_at = publish_at
    post.save()
    post.photos.filter(pk__in=remove).delete()
    last = post.photos.order_by("-position").values_list("position", flat=True)
    _photos_save(post, checked, (last.first() or 0) + 1)
    audit_record(
        account=account,
        actor=actor,
        action="voom.post_update",
        target=str(post.pk),
        target_label=text[:40],
    )
    return post


@transaction.atomic
def post_delete(*, account: OfficialAccount, actor: User, post: Post) -> None:
    if post.account_id != account.pk:
        raise NotFound
    label = post.text[:40]
    pk = post.pk
    post.delete()
    audit_record(
        account=account,
        actor=actor,
        action="voom.post_delete",
        target=str(pk),
        target_label=label,
    )


def posts_publish_due(*, now: dt.datetime | None = None) -> int:
    """Publish every scheduled post whose time has come; idempotent.

    Returns how many posts this call published (0 when run twice).
    """
    now = now or timezone.now()
    return Post.objects.filter(
        status=Post.Status.SCHEDULED, publish_at__lte=now
    ).update(status=Post.Status.PUBLISHED, published_at=F("publish_at"))


# Customers ----------------------------------------------------------------


def _visible(post: Post, friend: Friend) -> None:
    """``NotFound`` unless ``friend`` (following) may act on ``post``."""
    if (
        post.account_id != friend.account_id
        or post.status != Post.Status.PUBLISHED
        or friend.status != Friend.Status.FOLLOWING
    ):
        raise NotFound


def post_react(*, friend: Friend, post: Post, kind: str | None) -> str | None:
    """Set (or with ``kind`` None, take back) ``friend``'s reaction.

    One row per friend and post (a unique constraint): two concurrent likes
    by one friend count once. Returns the reaction now standing.
    """
    _visible(post, friend)
    if kind is None:
        PostReaction.objects.filter(post=post, friend=friend).delete()
        return None
    if kind not in Reaction.values:
        raise _bad(_("Choose a reaction."), "kind")
    PostReaction.objects.bulk_create(
        [PostReaction(post=post, friend=friend, kind=kind)],
        update_conflicts=True,
        unique_fields=["post", "friend"],
        update_fields=["kind"],
    )
    return kind


@transaction.atomic
def comment_create(*, friend: Friend, post: Post, text: str) -> PostComment:
    """A friend's comment; refused on a post with comments off or for a
    friend staff blocked from commenting."""
    _visible(post, friend)
    text = (text or "").strip()
    if not text:
        raise _bad(_("Write a comment."), "text")
    if len(text) > COMMENT_MAX:
        raise _bad(
            _("A comment can have at most %(n)d characters.") % {"n": COMMENT_MAX},
            "text",
        )
    if not post.allow_comments:
        raise _bad(_("Comments are turned off for this post."), "text")
    if CommentBlock.objects.filter(account_id=post.account_id, friend=friend).exists():
        raise _bad(_("You cannot comment on this account's posts."), "text")
    return PostComment.objects.create(post=post, friend=friend, text=text)


SEEN_TTL_SECONDS = 26 * 3600  # a day, and the hours a time zone shifts it


def post_seen(*, friend: Friend, post_ids: list[int]) -> int:
    """Count impressions for the published posts of ``friend``'s account in
    ``post_ids`` (the feed reports what it showed). Returns the count.

    One impression per friend, post and day (the account's date): scrolling
    past a post again, or reloading the feed, is not another impression
    (QA found 19 from one customer). The "seen today" marks live in the
    cache (``cache.add``: one atomic set-if-absent each, kept a day).
    """
    ids = [i for i in post_ids if isinstance(i, int)][:50]
    if not ids or friend.status != Friend.Status.FOLLOWING:
        return 0
    day = timezone.localdate(timezone=friend.account.tz).isoformat()
    fresh = [
        i
        for i in dict.fromkeys(ids)
        if cache.add(f"voom:seen:{i}:{friend.pk}:{day}", 1, SEEN_TTL_SECONDS)
    ]
    if not fresh:
        return 0
    return Post.objects.filter(
        pk__in=fresh, account_id=friend.account_id, status=Post.Status.PUBLISHED
    ).update(impressions=F("impressions") + 1)


def post_link_tap(*, post: Post) -> None:
    Post.objects.filter(pk=post.pk).update(link_taps=F("link_taps") + 1)


# Moderation ---------------------------------------------------------------


def _comment_of(account: OfficialAccount, comment: PostComment) -> PostComment:
    if comment.post.account_id != account.pk:
        raise NotFound
    return comment


@transaction.atomic
def comment_hide(
    *, account: OfficialAccount, actor: User, comment: PostComment, hidden: bool = True
) -> PostComment:
    _comment_of(account, comment)
    comment.hidden = hidden
    comment.save(update_fields=["hidden"])
    audit_record(
        account=account,
        actor=actor,
        action="voom.comment_hide" if hidden else "voom.comment_show",
        target=str(comment.pk),
        target_label=comment.text[:40],
    )
    return comment


@transaction.atomic
def comment_reply(
    *, account: OfficialAccount, actor: User, comment: PostComment, text: str
) -> PostComment:
    _comment_of(account, comment)
    text = (text or "").strip()
    if not text or len(text) > COMMENT_MAX:
        raise _bad(
            _("Write a reply of at most %(n)d characters.") % {"n": COMMENT_MAX},
            "text",
        )
    comment.reply_text = text
    comment.replied_at = timezone.now()
    comment.save(update_fields=["reply_text", "replied_at"])
    audit_record(
        account=account,
        actor=actor,
        action="voom.comment_reply",
        target=str(comment.pk),
        target_label=text[:40],
    )
    return comment


@transaction.atomic
def commenter_block(
    *, account: OfficialAccount, actor: User, comment: PostComment
) -> None:
    """Stop the comment's author commenting on the account's posts; the
    comments they wrote are hidden too."""
    _comment_of(account, comment)
    try:
        with transaction.atomic():
            CommentBlock.objects.create(account=account, friend_id=comment.friend_id)
    except IntegrityError:
        pass
    PostComment.objects.filter(
        post__account=account, friend_id=comment.friend_id
    ).update(hidden=True)
    audit_record(
        account=account,
        actor=actor,
        action="voom.commenter_block",
        target=comment.friend.line_user.user_id,
        target_label=comment.friend.line_user.display_name,
    )
