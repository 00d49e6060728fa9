"""The Manager's home page (issue 14, #17): today at a glance, each a link."""

import datetime as dt

import pytest
from django.urls import reverse
from freezegun import freeze_time

from accounts import quota
from accounts.models import Membership
from analytics.selectors import home_figures
from chat.services import response_mode_set
from messaging.broadcasts.models import Broadcast
from messaging.friends.models import Friend
from tests.chat.factories import customer_says, make_friend
from tests.factories import UserFactory, add_member

pytestmark = pytest.mark.django_db

# 2026-03-02 00:30 in Tokyo is 2026-03-01 15:30 UTC.
NOW = dt.datetime(2026, 3, 1, 15, 30, tzinfo=dt.UTC)


def _friend(account, *, since, status=Friend.Status.FOLLOWING, blocked_at=None):
    return make_friend(
        account, friend_since=since, status=status, blocked_at=blocked_at
    )


def _broadcast(account, when, title, status=Broadcast.Status.SCHEDULED):
    return Broadcast.objects.create(
        account=account,
        title=title,
        status=status,
        scheduled_at=when,
        messages=[{"type": "text", "text": title}],
    )


def test_today_starts_at_midnight_in_the_account_time_zone(account):
    before_midnight = NOW - dt.timedelta(minutes=31)  # 23:59 Tokyo, yesterday
    after_midnight = NOW - dt.timedelta(minutes=29)  # 00:01 Tokyo, today
    _friend(account, since=before_midnight)
    _friend(account, since=after_midnight)
    _friend(account, since=after_midnight)
    _friend(
        account,
        since=before_midnight,
        status=Friend.Status.BLOCKED,
        blocked_at=after_midnight,
    )
    _friend(
        account,
        since=before_midnight,
        status=Friend.Status.BLOCKED,
        blocked_at=before_midnight,
    )
    figures = home_figures(account=account, with_chat=True, now=NOW)
    assert figures.today == dt.date(2026, 3, 2)
    assert (figures.following, figures.blocked) == (3, 2)
    assert (figures.added_today, figures.blocked_today) == (2, 1)


def test_next_broadcast_is_the_earliest_scheduled_one(account, other_account):
    _broadcast(account, NOW + dt.timedelta(days=2), "Later")
    soon = _broadcast(account, NOW + dt.timedelta(hours=3), "Soon")
    _broadcast(account, NOW + dt.timedelta(hours=1), "Draft", Broadcast.Status.DRAFT)
    _broadcast(other_account, NOW + dt.timedelta(minutes=5), "Not ours")
    figures = home_figures(account=account, with_chat=True, now=NOW)
    assert figures.next_broadcast == soon


def test_unread_chats_are_left_out_when_chat_is_off(account, alice):
    customer_says(make_friend(account), "hello")
    assert home_figures(account=account, with_chat=True).unread_chats == 1
    assert home_figures(account=account, with_chat=False).unread_chats is None
    response_mode_set(
        account=account,
        actor=alice,
        chat=False,
        auto_response=True,
        greeting=False,
        webhook=False,
    )
    assert home_figures(account=account, with_chat=True).unread_chats is None


def test_the_page_links_every_figure_to_its_page(alice_client, account):
    with freeze_time(NOW):
        _friend(account, since=NOW)
        customer_says(make_friend(account, "Ann"), "hello")
        scheduled = _broadcast(account, NOW + dt.timedelta(hours=3), "Spring menu")
        quota.quota_consume(account=account, count=5)
        html = alice_client.get(
            reverse("analytics:home", args=[account.slug])
        ).content.decode()
    slug = account.slug
    added = (
        f'href="/manager/{slug}/friends/?status=following&amp;since_from=2026-03-02"'
    )
    assert added in html
    assert f'href="/manager/{slug}/chat/" data-testid="tile-unread"' in html
    assert (
        f'href="/manager/{slug}/broadcasts/{scheduled.pk}/" '
        'data-testid="tile-next-broadcast"'
    ) in html
    assert "Spring menu" in html
    # Light: 5,000 a month, 5 used
    assert (
        '<span class="label">Messages left this month</span><strong>4,995</strong>'
        in html
    )


def test_every_role_sees_the_home_page_with_its_unread_tile(account, client):
    # every LINE role may chat, so every role gets the unread tile
    for role in Membership.Role.values:
        user = UserFactory(username=f"u-{role}")
        add_member(account, user, role)
        client.force_login(user)
        response = client.get(reverse("analytics:home", args=[account.slug]))
        assert response.status_code == 200
        assert 'data-testid="tile-unread"' in response.content.decode()


def test_the_home_page_query_count_is_pinned(
    alice_client, account, django_assert_num_queries
):
    _broadcast(account, NOW + dt.timedelta(days=400), "Far")
    url = reverse("analytics:home", args=[account.slug])
    alice_client.get(url)  # the month's usage row is created on first view
    # session, user, membership, switcher, quota banner, usage, plan,
    # friends, chat on?, unread, next broadcast; 30 days of friends and two
    # days of messages (insights)
    with django_assert_num_queries(13):
        assert alice_client.get(url).status_code == 200


def test_roles_with_insights_see_yesterday_with_trends_and_a_friends_chart(
    alice_client, account, client
):
    from analytics.rollups import rollup_days

    # in Tokyo: one friend added on 03-01, three on 03-02 (yesterday)
    _friend(account, since=dt.datetime(2026, 3, 1, 1, tzinfo=dt.UTC))
    for _ in range(3):
        _friend(account, since=dt.datetime(2026, 3, 2, 3, tzinfo=dt.UTC))
    rollup_days(account=account, first=dt.date(2026, 3, 1), last=dt.date(2026, 3, 2))
    with freeze_time(dt.datetime(2026, 3, 3, 1, tzinfo=dt.UTC)):
        html = alice_client.get(
            reverse("analytics:home", args=[account.slug])
        ).content.decode()
    added = html[html.index('data-testid="trend-added"') :]
    added = added[: added.index("</a>")]
    assert "<strong>3</strong>" in added
    assert '<span class="trend up" aria-label="up">▲</span>' in added
    following = html[html.index('data-testid="trend-following"') :]
    assert "<strong>4</strong>" in following[: following.index("</a>")]
    assert 'id="chart-data"' in html
    # operators without insights see today's tiles only
    user = UserFactory(username="noinsights")
    add_member(account, user, Membership.Role.OPERATOR_NO_INSIGHTS)
    client.force_login(user)
    html = client.get(reverse("analytics:home", args=[account.slug])).content.decode()
    assert 'data-testid="trends"' not in html
    assert 'data-testid="tile-added"' in html
