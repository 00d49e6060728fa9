"""Rich menu statistics on the analytics dashboard (issue 15, #7)."""

import datetime as dt
import json

import pytest
from django.urls import reverse
from freezegun import freeze_time

from accounts.models import Membership
from analytics.selectors import richmenu_table
from richmenu.models import RichMenu
from richmenu.services import richmenu_stat_record
from tests.factories import UserFactory, add_member
from tests.htmlquery import parse
from tests.richmenu.factories import published

pytestmark = pytest.mark.django_db

D1, D2, D3 = dt.date(2026, 3, 1), dt.date(2026, 3, 2), dt.date(2026, 3, 3)


def _url(account, **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return reverse("analytics:dashboard", args=[account.slug]) + f"?{query}"


@pytest.fixture
def stats(account, other_account):
    tabs = published(account, origin=RichMenu.Origin.MANAGER, name="Tabs")
    api = published(account, name="Bot menu")
    for menu, day, area, times in (
        (tabs, D1, -1, 5),
        (tabs, D1, 0, 2),
        (tabs, D1, 1, 1),
        (api, D1, -1, 3),
        (tabs, D3, -1, 4),
        (tabs, D3, 1, 3),
    ):
        for _n in range(times):
            richmenu_stat_record(menu=menu, area=area, day=day)
    # another account's figures never show
    richmenu_stat_record(menu=published(other_account), area=-1, day=D1)
    return tabs, api


def test_the_table_is_one_query(account, stats, django_assert_num_queries):
    with django_assert_num_queries(1):
        table = richmenu_table(account=account, first=D1, last=D3)
    assert table["areas"] == 2
    assert [
        (r["day"], r["menu"], r["impressions"], r["taps"], r["areas"])
        for r in table["rows"]
    ] == [
        (D1, "Tabs", 5, 3, [2, 1]),
        (D1, "Bot menu", 3, 0, [0, 0]),
        (D3, "Tabs", 4, 3, [0, 3]),
    ]
    assert table["days"] == [
        {"day": D1, "impressions": 8, "taps": 3},
        {"day": D2, "impressions": 0, "taps": 0},
        {"day": D3, "impressions": 4, "taps": 3},
    ]


def test_the_tab_shows_a_chart_a_table_and_a_csv(alice_client, account, stats):
    params = {"tab": "richmenus", "preset": "custom", "start": D1, "end": D3}
    with freeze_time("2026-03-04 10:00"):
        page = alice_client.get(_url(account, **params))
        csv = alice_client.get(_url(account, format="csv", **params))
    assert page.status_code == 200
    html = parse(page.content.decode())
    head = [
        th.text_content() for th in html.cssselect("[data-testid='analytics-table'] th")
    ]
    assert head == [
        "Day",
        "Rich menu",
        "Impressions",
        "Taps",
        "Area A taps",
        "Area B taps",
    ]
    cells = [
        [td.text_content() for td in tr.cssselect("td")]
        for tr in html.cssselect("[data-testid='analytics-table'] tbody tr")
    ]
    assert cells == [
        ["2026-03-01", "Tabs", "5", "3", "2", "1"],
        ["2026-03-01", "Bot menu", "3", "0", "0", "0"],
        ["2026-03-03", "Tabs", "4", "3", "0", "3"],
    ]
    [script] = html.cssselect("#chart-data")
    assert json.loads(script.text_content()) == {
        "type": "line",
        "labels": ["2026-03-01", "2026-03-02", "2026-03-03"],
        "series": [
            {"label": "Impressions", "data": [8, 0, 4]},
            {"label": "Taps", "data": [3, 0, 3]},
        ],
    }
    lines = b"".join(csv.streaming_content).decode().splitlines()
    assert lines == [
        "\ufeffDay,Rich menu,Impressions,Taps,Area A taps,Area B taps",  # Excel BOM
        "2026-03-01,Tabs,5,3,2,1",
        "2026-03-01,Bot menu,3,0,0,0",
        "2026-03-03,Tabs,4,3,0,3",
    ]


def test_the_presets_take_in_todays_live_figures(alice_client, account):
    """Found by QA: the tab's presets ended yesterday, so a menu published
    today showed nothing although its taps are counted as they happen."""
    # given taps counted today (the account's day)
    menu = published(account, origin=RichMenu.Origin.MANAGER, name="Today")
    with freeze_time("2026-03-04 10:00"):
        richmenu_stat_record(menu=menu, area=-1, day=dt.date(2026, 3, 4))
        richmenu_stat_record(menu=menu, area=0, day=dt.date(2026, 3, 4))
        # when staff open the tab (default: the last 30 days) or pick 7 days
        pages = [
            alice_client.get(_url(account, tab="richmenus")),
            alice_client.get(_url(account, tab="richmenus", preset="7")),
        ]
        friends = alice_client.get(_url(account, tab="friends", preset="7"))
    # then the range ends today and today's figures are in the table
    for page, first in zip(pages, ("2026-02-03", "2026-02-26"), strict=True):
        html = parse(page.content.decode())
        [shown] = html.cssselect("[data-testid='range']")
        assert shown.text_content().startswith(f"{first} – 2026-03-04")
        cells = [
            [td.text_content() for td in tr.cssselect("td")]
            for tr in html.cssselect("[data-testid='analytics-table'] tbody tr")
        ]
        assert cells == [["2026-03-04", "Today", "1", "1", "1"]]
    # and rolled-up tabs still end yesterday (today is not finished there)
    [shown] = parse(friends.content.decode()).cssselect("[data-testid='range']")
    assert shown.text_content().startswith("2026-02-25 – 2026-03-03")


def test_a_range_without_figures_says_so(alice_client, account, stats):
    with freeze_time("2026-03-04 10:00"):
        page = alice_client.get(
            _url(account, tab="richmenus", preset="custom", start=D2, end=D2)
        )
    html = page.content.decode()
    assert 'data-testid="richmenu-empty"' in html
    assert 'data-testid="analytics-table"' not in html


def test_roles_without_insights_get_403(client, account, stats):
    user = UserFactory(username="noinsights")
    add_member(account, user, Membership.Role.OPERATOR_NO_INSIGHTS)
    client.force_login(user)
    assert client.get(_url(account, tab="richmenus")).status_code == 403
