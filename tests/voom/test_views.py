"""VOOM pages: the Manager's posts and the talk app's VOOM tab."""

import datetime as dt
import json

import pytest
from django.test import Client
from django.urls import reverse
from freezegun import freeze_time

from accounts.models import Membership
from tests.factories import UserFactory, add_member
from tests.htmlquery import parse
from tests.talk.factories import (
    befriend,
    image_bytes,
    make_persona,
    talk_client,
    upload,
)
from tests.unchanged import assert_unchanged
from voom import services
from voom.models import Post, PostComment, PostReaction
from voom.selectors import FEED_PAGE_SIZE

pytestmark = pytest.mark.django_db


@pytest.fixture
def dora_client(account):
    user = UserFactory(username="dora")
    add_member(account, user, Membership.Role.OPERATOR_NO_DELIVERY)
    client = Client()
    client.force_login(user)
    return client


def _url(account, name="voom:post-list", *args):
    return reverse(name, args=[account.slug, *args])


def test_staff_publish_a_post_with_a_photo(alice_client, account):
    response = alice_client.post(
        _url(account, "voom:post-create"),
        {
            "text": "今週のケーキ 🍰",
            "photos": [upload(image_bytes(size=(80, 60)))],
            "link_url": "https://example.com/coupon",
            "link_title": "10% off",
            "allow_comments": "on",
        },
    )
    post = Post.objects.get()
    assert response.status_code == 302
    assert response["Location"] == _url(account, "voom:post-detail", post.pk)
    assert (post.status, post.text, post.photos.count()) == (
        "published",
        "今週のケーキ 🍰",
        1,
    )
    html = alice_client.get(_url(account)).content.decode()
    assert "今週のケーキ 🍰" in html


def test_too_long_text_is_a_form_error_and_writes_nothing(alice_client, account):
    response = alice_client.post(
        _url(account, "voom:post-create"), {"text": "x" * 10_001}
    )
    assert response.status_code == 200
    assert "A post can have at most 10000 characters." in response.content.decode()
    assert Post.objects.count() == 0


@freeze_time("2026-12-04 10:00:30+00:00")
def test_a_publish_time_in_the_past_is_refused(alice_client, account, alice):
    """Found by QA: a past time published the post at once, silently (LINE
    refuses past scheduling)."""
    # when staff post with a publish time a day ago
    with assert_unchanged():
        response = alice_client.post(
            _url(account, "voom:post-create"),
            {"text": "Late", "publish_at": "2026-12-03T10:00", "allow_comments": "on"},
        )
    # then it is a form error on that field and nothing is posted
    html = parse(response.content.decode())
    [error] = html.cssselect("[data-testid='post-form'] .field .error")
    assert error.text_content() == (
        "This time has passed. Choose a later time, or leave it empty to publish now."
    )
    assert Post.objects.count() == 0
    # and moving a scheduled post into the past is refused too
    post = services.post_create(
        account=account,
        actor=alice,
        text="Soon",
        publish_at=dt.datetime(2026, 12, 5, 9, 0, tzinfo=dt.UTC),
    )
    with assert_unchanged():
        response = alice_client.post(
            _url(account, "voom:post-detail", post.pk),
            {"text": "Soon", "publish_at": "2026-12-03T10:00", "allow_comments": "on"},
        )
    assert "This time has passed." in response.content.decode()
    post.refresh_from_db()
    assert (post.status, post.publish_at) == (
        Post.Status.SCHEDULED,
        dt.datetime(2026, 12, 5, 9, 0, tzinfo=dt.UTC),
    )


def test_a_publish_time_in_this_minute_publishes_now(account, alice):
    with freeze_time("2026-12-04 10:00:30+00:00"):
        post = services.post_create(
            account=account,
            actor=alice,
            text="Now",
            publish_at=dt.datetime(2026, 12, 4, 10, 0, tzinfo=dt.UTC),
        )
    assert post.status == Post.Status.PUBLISHED


def test_roles_and_tenancy(dora_client, charlie_client, account, alice):
    post = services.post_create(account=account, actor=alice, text="Hello")
    assert dora_client.get(_url(account)).status_code == 200
    assert dora_client.get(_url(account, "voom:post-create")).status_code == 403
    with assert_unchanged():
        assert (
            dora_client.post(_url(account, "voom:post-delete", post.pk)).status_code
            == 403
        )
    assert (
        charlie_client.get(_url(account, "voom:post-detail", post.pk)).status_code
        == 404
    )
    assert Post.objects.count() == 1


def test_staff_see_counts_hide_reply_and_block(alice_client, account, alice):
    post = services.post_create(account=account, actor=alice, text="Hello")
    hanako = befriend(account, make_persona("Hanako"))
    services.post_react(friend=hanako, post=post, kind="love")
    comment = services.comment_create(friend=hanako, post=post, text="Yummy")
    detail = alice_client.get(
        _url(account, "voom:post-detail", post.pk)
    ).content.decode()
    assert 'data-testid="likes">1<' in detail
    assert 'data-testid="comments">1<' in detail
    assert "Yummy" in detail
    base = (account, "voom:comment-reply", post.pk, comment.pk)
    alice_client.post(_url(*base), {"text": "Thank you!"})
    alice_client.post(_url(account, "voom:comment-hide", post.pk, comment.pk))
    comment.refresh_from_db()
    assert (comment.reply_text, comment.hidden) == ("Thank you!", True)
    alice_client.post(_url(account, "voom:comment-block", post.pk, comment.pk))
    customer = talk_client(hanako.line_user)
    response = customer.post(
        reverse("talk:voom-comment", args=[post.pk]), {"text": "again"}, follow=True
    )
    assert (
        "You cannot comment on this account&#x27;s posts." in response.content.decode()
    )
    assert PostComment.objects.count() == 1


def test_voom_tab_pages_by_keyset_and_shows_followed_accounts_only(
    account, other_account, alice
):
    persona = make_persona("Hanako")
    befriend(account, persona)
    charlie = other_account.memberships.first().user
    services.post_create(account=other_account, actor=charlie, text="not followed")
    posts = [
        services.post_create(account=account, actor=alice, text=f"post {i}")
        for i in range(FEED_PAGE_SIZE + 2)
    ]
    client = talk_client(persona)
    page1 = client.get(reverse("talk:voom")).content.decode()
    assert page1.count('data-testid="voom-post"') == FEED_PAGE_SIZE
    assert "not followed" not in page1
    assert f"?before={posts[2].pk}" in page1
    page2 = client.get(reverse("talk:voom") + f"?before={posts[2].pk}").content.decode()
    assert page2.count('data-testid="voom-post"') == 2
    assert "post 1" in page2 and "post 0" in page2
    assert 'data-testid="voom-more"' not in page2
    assert client.get(reverse("talk:voom") + "?before=x").status_code == 404


def test_customer_reacts_comments_and_counts(account, alice, other_account):
    post = services.post_create(
        account=account, actor=alice, text="Hi", link_url="https://example.com/"
    )
    persona = make_persona("Hanako")
    befriend(account, persona)
    client = talk_client(persona)
    url = reverse("talk:voom-react", args=[post.pk])
    client.post(url, {"kind": "nice"})
    client.post(url, {"kind": "nice"})  # the same reaction again takes it back
    assert PostReaction.objects.count() == 0
    client.post(url, {"kind": "love"})
    assert list(PostReaction.objects.values_list("kind", flat=True)) == ["love"]
    client.post(reverse("talk:voom-comment", args=[post.pk]), {"text": "Lovely"})
    page = client.get(reverse("talk:voom-post", args=[post.pk])).content.decode()
    assert "Lovely" in page
    assert 'aria-pressed="true" aria-label="Love"' in page
    seen = client.post(
        reverse("talk:voom-seen"),
        json.dumps({"posts": [post.pk]}),
        content_type="application/json",
    )
    assert seen.json() == {"counted": 1}
    tap = client.get(reverse("talk:voom-link", args=[post.pk]))
    assert tap["Location"] == "https://example.com/"
    post.refresh_from_db()
    assert (post.impressions, post.link_taps) == (1, 1)
    # the account's profile shows the post
    profile = client.get(
        reverse("talk:account-profile", args=[account.basic_id[1:]])
    ).content.decode()
    assert 'data-testid="profile-posts"' in profile


def test_customers_of_other_accounts_cannot_react_or_comment(account, alice):
    post = services.post_create(account=account, actor=alice, text="Hi")
    stranger = talk_client(make_persona("Stranger"))
    with assert_unchanged():
        assert (
            stranger.post(
                reverse("talk:voom-react", args=[post.pk]), {"kind": "nice"}
            ).status_code
            == 404
        )
        assert (
            stranger.post(
                reverse("talk:voom-comment", args=[post.pk]), {"text": "x"}
            ).status_code
            == 404
        )
    assert stranger.get(reverse("talk:voom-post", args=[987654])).status_code == 404
    assert PostReaction.objects.count() == PostComment.objects.count() == 0


def test_analytics_posts_tab(alice_client, account, alice):
    post = services.post_create(account=account, actor=alice, text="Sale")
    hanako = befriend(account, make_persona("Hanako"))
    services.post_react(friend=hanako, post=post, kind="nice")
    response = alice_client.get(
        reverse("analytics:dashboard", args=[account.slug]) + "?tab=posts&preset=30"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<td>Sale</td><td>0</td><td>1</td><td>0</td><td>0</td>" in html


def _queries(client, url, django_assert_num_queries, n):
    with django_assert_num_queries(n):
        response = client.get(url)
    assert response.status_code == 200


@pytest.mark.parametrize("posts", [1, 6])
def test_feed_and_manager_list_query_counts_are_pinned(
    account, alice, alice_client, posts, django_assert_num_queries
):
    persona = make_persona("Hanako")
    friend = befriend(account, persona)
    for i in range(posts):
        post = services.post_create(
            account=account,
            actor=alice,
            text=f"post {i}",
            photos=[upload(image_bytes(size=(40, 30)))],
        )
        services.post_react(friend=friend, post=post, kind="nice")
    client = talk_client(persona)
    client.get(reverse("talk:voom"))  # session warm-up
    _queries(client, reverse("talk:voom"), django_assert_num_queries, 4)
    _queries(alice_client, _url(account), django_assert_num_queries, 7)
