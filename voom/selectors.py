"""Reads of VOOM posts: the Manager's lists and the talk app's feed."""

import datetime as dt

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery

from accounts.models import OfficialAccount
from core.selectors import get_or_not_found
from messaging.friends.models import Friend, LineUser
from voom.models import Post, PostComment, PostPhoto, PostReaction

FEED_PAGE_SIZE = 10


def _with_counts(qs: QuerySet[Post]) -> QuerySet[Post]:
    return qs.annotate(
        like_count=Count("reactions", distinct=True),
        comment_count=Count(
            "comments", filter=Q(comments__hidden=False), distinct=True
        ),
    )


def post_list(*, account: OfficialAccount) -> list[Post]:
    """Every post of the account, newest first, with its counts."""
    return list(
        _with_counts(Post.objects.filter(account=account))
        .prefetch_related("photos")
        .order_by("-publish_at", "-id")
    )


def post_get(*, account: OfficialAccount, post_id: int) -> Post:
    return get_or_not_found(
        _with_counts(Post.objects.filter(account=account)).prefetch_related("photos"),
        pk=post_id,
    )


def comment_list(*, post: Post) -> list[PostComment]:
    return list(
        PostComment.objects.filter(post=post)
        .select_related("friend__line_user")
        .order_by("created_at", "id")
    )


def comment_get(*, account: OfficialAccount, post_id: int, comment_id: int):
    return get_or_not_found(
        PostComment.objects.filter(
            post__account=account, post_id=post_id
        ).select_related("post", "friend__line_user"),
        pk=comment_id,
    )


def post_stats(
    *,
    account: OfficialAccount,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    limit: int = 100,
) -> list[Post]:
    """Published posts (in ``[since, until)`` when given), newest first, with
    impressions, reactions, comments and link taps: the analytics tab."""
    qs = Post.objects.filter(account=account, status=Post.Status.PUBLISHED)
    if since is not None:
        qs = qs.filter(published_at__gte=since)
    if until is not None:
        qs = qs.filter(published_at__lt=until)
    return list(_with_counts(qs).order_by("-published_at", "-id")[:limit])


def _feed(qs: QuerySet[Post], *, friend_of, before: Post | None) -> QuerySet[Post]:
    if before is not None:
        qs = qs.filter(
            Q(published_at__lt=before.published_at)
            | Q(published_at=before.published_at, pk__lt=before.pk)
        )
    qs = _with_counts(qs).select_related("account")
    if friend_of is not None:
        mine = PostReaction.objects.filter(
            post=OuterRef("pk"), friend__line_user=friend_of
        )
        qs = qs.annotate(my_reaction=Subquery(mine.values("kind")[:1]))
    return qs.prefetch_related(
        Prefetch("photos", queryset=PostPhoto.objects.order_by("position", "id"))
    ).order_by("-published_at", "-id")


def feed_cursor_post(*, post_id: int | None) -> Post | None:
    if post_id is None:
        return None
    return Post.objects.filter(pk=post_id, status=Post.Status.PUBLISHED).first()


def feed_for(
    *, line_user: LineUser, before: Post | None = None, scope: int | None = None
) -> list[Post]:
    """The VOOM tab: published posts of accounts ``line_user`` follows,
    newest first, ``FEED_PAGE_SIZE`` at a time before ``before`` (keyset on
    ``(published_at, id)``, stable while new posts arrive)."""
    following = Friend.objects.filter(
        line_user=line_user,
        account_id=OuterRef("account_id"),
        status=Friend.Status.FOLLOWING,
    )
    qs = Post.objects.filter(Exists(following), status=Post.Status.PUBLISHED)
    qs = qs.filter(account__is_suspended=False)
    if scope:
        qs = qs.filter(account_id=scope)
    return list(_feed(qs, friend_of=line_user, before=before)[:FEED_PAGE_SIZE])


def account_posts(
    *, account: OfficialAccount, line_user: LineUser | None, before: Post | None = None
) -> list[Post]:
    """An account's published posts, for its profile in the talk app."""
    qs = Post.objects.filter(account=account, status=Post.Status.PUBLISHED)
    return list(_feed(qs, friend_of=line_user, before=before)[:FEED_PAGE_SIZE])


def post_for_customer(*, post_id: int) -> Post:
    """A published post (any account: the caller checks the friendship)."""
    return get_or_not_found(
        _with_counts(Post.objects.filter(status=Post.Status.PUBLISHED))
        .select_related("account")
        .prefetch_related("photos"),
        pk=post_id,
    )


def visible_comments(*, post: Post) -> list[PostComment]:
    return list(
        PostComment.objects.filter(post=post, hidden=False)
        .select_related("friend__line_user")
        .order_by("created_at", "id")
    )


def reaction_of(*, post: Post, friend: Friend | None) -> str | None:
    if friend is None:
        return None
    return (
        PostReaction.objects.filter(post=post, friend=friend)
        .values_list("kind", flat=True)
        .first()
    )
