"""The analytics dashboard (issue 12): tabs, ranges, CSV, roles, privacy."""

import datetime as dt

import pytest
from django.urls import reverse
from freezegun import freeze_time

from accounts.models import Membership
from analytics.models import RollupCursor
from analytics.rollups import demographics_refresh, rollup_days
from tests.analytics.test_rollups import DAY, at, day_of_activity  # noqa: F401
from tests.factories import UserFactory, add_member
from tests.messaging.factories import make_friend

pytestmark = pytest.mark.django_db

NOW = at(24 * 2 + 10)  # DAY + 2, 10:00 Tokyo


def _url(account, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return reverse("analytics:dashboard", args=[account.slug]) + (
        f"?{query}" if query else ""
    )


@pytest.fixture
def rolled(account, day_of_activity):  # noqa: F811
    rollup_days(account=account, first=DAY - dt.timedelta(days=1), last=DAY)
    RollupCursor.objects.create(account=account, through=DAY)


def test_friends_tab_shows_the_days_and_the_chart_data(alice_client, account, rolled):
    with freeze_time(NOW):
        response = alice_client.get(
            _url(account, preset="custom", start="2026-03-01", end="2026-03-02")
        )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<td>2026-03-02</td><td>3</td><td>1</td><td>1</td><td>5</td><td>4</td>" in (
        html
    )
    assert 'id="chart-data"' in html
    assert 'data-testid="not-computed"' in html  # no analytics run yet


def test_days_not_rolled_up_yet_show_a_dash_not_zero(alice_client, account, rolled):
    with freeze_time(NOW):
        csv = alice_client.get(
            _url(
                account,
                tab="messages",
                preset="custom",
                start="2026-03-02",
                end="2026-03-03",
                format="csv",
            )
        )
    lines = b"".join(csv.streaming_content).decode().splitlines()
    assert lines[1:] == ["2026-03-02,2,2,1,5,4", "2026-03-03,,,,,"]


def test_messages_tab_and_its_csv(alice_client, account, rolled):
    with freeze_time(NOW):
        page = alice_client.get(
            _url(
                account,
                tab="messages",
                preset="custom",
                start="2026-03-02",
                end="2026-03-02",
            )
        )
        csv = alice_client.get(
            _url(
                account,
                tab="messages",
                preset="custom",
                start="2026-03-02",
                end="2026-03-02",
                format="csv",
            )
        )
    assert page.status_code == 200
    body = b"".join(csv.streaming_content).decode()
    assert body.splitlines() == [
        "\ufeffDay,API push,Broadcast,API reply,Total,Counted",
        "2026-03-02,2,2,1,5,4",  # equal volumes: kinds by code
    ]


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"preset": "custom", "start": "2026-03-05", "end": "2026-03-01"}, "before"),
        ({"preset": "custom", "start": "2026-03-01", "end": "2026-03-09"}, "future"),
        ({"preset": "custom", "start": "2024-01-01", "end": "2026-03-01"}, "at most"),
        ({"preset": "custom", "start": "2026-02-30", "end": "2026-03-01"}, "valid"),
        ({"preset": "yesterday-ish"}, "valid choice"),
        ({"preset": "custom"}, "both dates"),
    ],
)
def test_a_bad_range_is_a_clear_400(alice_client, account, params, error):
    with freeze_time(NOW):
        response = alice_client.get(_url(account, **params))
    assert response.status_code == 400
    assert error in response.content.decode()


def test_presets_end_yesterday_in_the_account_time_zone(alice_client, account):
    with freeze_time(NOW):
        html = alice_client.get(_url(account, preset="7")).content.decode()
        month = alice_client.get(_url(account, preset="last_month")).content.decode()
    assert 'data-testid="range">2026-02-25 – 2026-03-03' in html
    assert 'data-testid="range">2026-02-01 – 2026-02-28' in month


def test_operators_without_insights_get_403_and_strangers_404(
    account, charlie_client, client
):
    user = UserFactory(username="noinsight")
    add_member(account, user, Membership.Role.OPERATOR_NO_INSIGHTS)
    client.force_login(user)
    assert client.get(_url(account)).status_code == 403
    assert client.get(_url(account, format="csv")).status_code == 403
    home = client.get(reverse("analytics:home", args=[account.slug]))
    assert 'data-testid="nav-analytics"' not in home.content.decode()
    assert charlie_client.get(_url(account)).status_code == 404


def test_attributes_show_from_20_friends(alice_client, account):
    for i in range(20):
        make_friend(
            account,
            gender="female" if i < 15 else "male",
            age=25,
            region="jp_13",
        )
    # before the first analytics run: nothing computed yet
    html = alice_client.get(_url(account)).content.decode()
    assert 'data-testid="not-computed"' in html
    demographics_refresh(account=account)
    html = alice_client.get(_url(account)).content.decode()
    assert 'id="shares-data"' in html
    assert '["Female", 15, 75.0]' in html
    assert "<td>Tokyo</td><td>100.0</td>" in html
    # labels follow the viewer's language; the snapshot stores codes
    html = alice_client.get(_url(account), headers={"accept-language": "ja"})
    assert "<td>東京都</td><td>100.0</td>" in html.content.decode()


@pytest.mark.parametrize(
    ("tab", "queries"), [("friends", 8), ("messages", 7), ("chat", 7)]
)
def test_each_tab_query_count_is_pinned(
    alice_client, account, rolled, django_assert_num_queries, tab, queries
):
    with freeze_time(NOW), django_assert_num_queries(queries):
        response = alice_client.get(_url(account, tab=tab, preset="90"))
    assert response.status_code == 200
