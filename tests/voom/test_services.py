"""VOOM posts: compose limits, scheduling, reactions, comments, moderation."""

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone
from freezegun import freeze_time

from accounts.models import AuditLog
from accounts.quota import usage_get
from core.exceptions import ApplicationError, NotFound
from messaging.friends.models import Friend
from tests.factories import UserFactory, make_account
from tests.talk.factories import befriend, image_bytes, make_persona, mp4_bytes, upload
from tests.unchanged import assert_unchanged
from voom import selectors, services
from voom.models import CommentBlock, Post, PostComment, PostPhoto, PostReaction
from voom.tasks import publish_due_posts_task

pytestmark = pytest.mark.django_db


def _photos(n):
    return [upload(image_bytes(size=(64, 48)), name=f"p{i}.jpg") for i in range(n)]


def _post(account, actor, **kwargs):
    kwargs.setdefault("text", "New autumn menu!")
    return services.post_create(account=account, actor=actor, **kwargs)


def test_a_post_with_photos_is_published_at_once_and_costs_no_quota(account, alice):
    used = usage_get(account=account).used
    post = _post(account, alice, photos=_photos(2), link_url="https://example.com/c")
    assert post.status == Post.Status.PUBLISHED
    assert post.published_at is not None
    assert PostPhoto.objects.filter(post=post).count() == 2
    photo = post.photos.first()
    assert photo.preview.name.endswith("-preview.jpg")
    assert usage_get(account=account).used == used
    assert AuditLog.objects.filter(action="voom.post_publish").count() == 1


def test_a_scheduled_post_goes_live_when_beat_finds_it_due(account, alice):
    with freeze_time("2026-12-04 10:00:00+00:00"):
        post = _post(
            account,
            alice,
            publish_at=dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.UTC),
        )
        assert post.status == Post.Status.SCHEDULED
        assert publish_due_posts_task() == 0
    with freeze_time("2026-12-04 11:59:59+00:00"):
        assert publish_due_posts_task() == 0
    with freeze_time("2026-12-04 12:00:30+00:00"):
        assert publish_due_posts_task() == 1
        assert publish_due_posts_task() == 0  # idempotent
    post.refresh_from_db()
    assert post.status == Post.Status.PUBLISHED
    assert post.published_at == dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.UTC)


def _video(size=None):
    video = upload(mp4_bytes(), name="clip.mp4", content_type="video/mp4")
    if size is not None:
        video.size = size
    return video


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"text": "x" * 10_001}, "text"),
        ({"photos": "21"}, "photos"),
        ({"video": "big", "video_poster": "poster"}, "video"),
        ({"video": "ok"}, "video_poster"),
        ({"photos": "1", "video": "ok", "video_poster": "poster"}, "video"),
        ({"photos": "bad"}, "photos"),
        ({"text": "", "photos": "0"}, "text"),
        ({"link_title": "A card"}, "link_url"),
    ],
)
def test_bad_posts_are_refused_and_write_nothing(account, alice, kwargs, field):
    args = dict(kwargs)
    if "photos" in args:
        args["photos"] = (
            [upload(b"not an image")]
            if args["photos"] == "bad"
            else _photos(int(args["photos"]))
        )
    if "video" in args:
        args["video"] = _video(
            size=200 * 1024 * 1024 + 1 if args["video"] == "big" else None
        )
    if "video_poster" in args:
        args["video_poster"] = upload(image_bytes(size=(64, 48)))
    with assert_unchanged(), pytest.raises(ApplicationError) as caught:
        _post(account, alice, **args)
    assert field in caught.value.details
    assert Post.objects.count() == 0
    assert PostPhoto.objects.count() == 0
    assert AuditLog.objects.filter(action__startswith="voom.").count() == 0


def test_a_video_post_keeps_its_poster(account, alice):
    post = _post(
        account, alice, video=_video(), video_poster=upload(image_bytes(size=(64, 48)))
    )
    assert post.video.name.endswith(".mp4")
    assert post.video_poster.name.endswith("-preview.jpg")


@pytest.fixture
def hanako(account):
    return befriend(account, make_persona("Hanako"))


@pytest.fixture
def post(account, alice):
    return _post(account, alice)


def test_reactions_one_per_friend_and_can_change_or_go(post, hanako):
    assert services.post_react(friend=hanako, post=post, kind="nice") == "nice"
    assert services.post_react(friend=hanako, post=post, kind="nice") == "nice"
    assert services.post_react(friend=hanako, post=post, kind="love") == "love"
    assert list(PostReaction.objects.values_list("kind", flat=True)) == ["love"]
    assert selectors.post_get(account=post.account, post_id=post.pk).like_count == 1
    services.post_react(friend=hanako, post=post, kind=None)
    assert PostReaction.objects.count() == 0
    with assert_unchanged(), pytest.raises(ApplicationError):
        services.post_react(friend=hanako, post=post, kind="wow")


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_likes_by_one_friend_count_once():
    admin = UserFactory(username="racer")
    account = make_account(admin=admin, name="Race")
    post = _post(account, admin)
    friend = befriend(account, make_persona("Taro"))
    other = befriend(account, make_persona("Jiro"))
    barrier = threading.Barrier(6)
    errors = []

    def worker(friend_id):
        try:
            me = Friend.objects.get(pk=friend_id)
            barrier.wait()
            services.post_react(friend=me, post=post, kind="nice")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    ids = [friend.pk] * 4 + [other.pk] * 2
    threads = [threading.Thread(target=worker, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert PostReaction.objects.filter(post=post).count() == 2
    assert selectors.post_get(account=account, post_id=post.pk).like_count == 2


def test_comments_moderation_hide_reply_block(account, alice, post, hanako):
    comment = services.comment_create(friend=hanako, post=post, text=" Looks great ")
    assert comment.text == "Looks great"
    services.comment_reply(
        account=account, actor=alice, comment=comment, text="Thanks!"
    )
    services.comment_hide(account=account, actor=alice, comment=comment)
    assert selectors.visible_comments(post=post) == []
    assert selectors.post_get(account=account, post_id=post.pk).comment_count == 0
    services.comment_hide(account=account, actor=alice, comment=comment, hidden=False)
    assert [c.reply_text for c in selectors.visible_comments(post=post)] == ["Thanks!"]
    services.commenter_block(account=account, actor=alice, comment=comment)
    services.commenter_block(account=account, actor=alice, comment=comment)
    assert CommentBlock.objects.count() == 1
    assert selectors.visible_comments(post=post) == []
    with assert_unchanged(), pytest.raises(ApplicationError) as caught:
        services.comment_create(friend=hanako, post=post, text="again")
    assert caught.value.message == "You cannot comment on this account's posts."
    assert PostComment.objects.count() == 1
    codes = set(AuditLog.objects.values_list("action", flat=True))
    assert {"voom.comment_reply", "voom.comment_hide", "voom.commenter_block"} <= codes


def test_bad_comments_write_nothing(account, alice, other_account, hanako):
    closed = _post(account, alice, allow_comments=False)
    for post, text, message in [
        (closed, "hi", "Comments are turned off for this post."),
        (_post(account, alice), "", "Write a comment."),
        (
            _post(account, alice),
            "x" * 501,
            "A comment can have at most 500 characters.",
        ),
    ]:
        with assert_unchanged(), pytest.raises(ApplicationError) as caught:
            services.comment_create(friend=hanako, post=post, text=text)
        assert caught.value.message == message
    foreign = _post(other_account, other_account.memberships.first().user)
    with assert_unchanged(), pytest.raises(NotFound):
        services.comment_create(friend=hanako, post=foreign, text="hi")
    with assert_unchanged(), pytest.raises(NotFound):
        services.post_react(friend=hanako, post=foreign, kind="nice")
    scheduled = _post(account, alice, publish_at=timezone.now() + dt.timedelta(days=1))
    with assert_unchanged(), pytest.raises(NotFound):
        services.comment_create(friend=hanako, post=scheduled, text="early")
    assert PostComment.objects.count() == 0
    assert PostReaction.objects.count() == 0


def test_staff_of_another_account_cannot_moderate(account, other_account, post, hanako):
    comment = services.comment_create(friend=hanako, post=post, text="hello")
    charlie = other_account.memberships.first().user
    with assert_unchanged(), pytest.raises(NotFound):
        services.comment_hide(account=other_account, actor=charlie, comment=comment)
    with assert_unchanged(), pytest.raises(NotFound):
        services.post_delete(account=other_account, actor=charlie, post=post)
    comment.refresh_from_db()
    assert comment.hidden is False


def test_seen_and_link_taps_count(account, alice, hanako):
    post = _post(account, alice, link_url="https://example.com/card")
    assert services.post_seen(friend=hanako, post_ids=[post.pk, 987654]) == 1
    services.post_link_tap(post=post)
    stats = selectors.post_stats(account=account)
    assert [(p.impressions, p.link_taps, p.like_count) for p in stats] == [(1, 1, 0)]


def test_an_impression_counts_once_per_friend_post_and_day(account, alice, hanako):
    """Found by QA: one customer scrolling and reloading made 19 impressions."""
    post = _post(account, alice)
    taro = befriend(account, make_persona("Taro"))
    with freeze_time("2026-12-04 01:00:00+00:00"):  # 10:00 in Tokyo
        counts = [
            services.post_seen(friend=hanako, post_ids=[post.pk, post.pk]),
            services.post_seen(friend=hanako, post_ids=[post.pk]),
            services.post_seen(friend=taro, post_ids=[post.pk]),
        ]
    with freeze_time("2026-12-04 14:59:00+00:00"):  # 23:59 the same Tokyo day
        counts.append(services.post_seen(friend=hanako, post_ids=[post.pk]))
    with freeze_time("2026-12-04 15:00:00+00:00"):  # the next day in Tokyo
        counts.append(services.post_seen(friend=hanako, post_ids=[post.pk]))
    assert counts == [1, 0, 1, 0, 1]
    post.refresh_from_db()
    assert post.impressions == 3
