"""The Insight API through the official SDK against a live server (issue 12)."""

import datetime as dt
import json

import httpx
import pytest
from django.utils import timezone
from linebot.v3.insight import ApiClient, Configuration, Insight
from linebot.v3.insight.exceptions import ApiException
from linebot.v3.messaging import BroadcastRequest, MessagingApi, TextMessage

from analytics.rollups import demographics_refresh, rollup_days
from messaging.friends.models import Friend
from messaging.store.services import messages_mark_opened
from tests.messaging.api.factories import customer, token_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def insight(live_server, account):
    config = Configuration(host=live_server.url, access_token=token_for(account))
    with ApiClient(config) as client:
        yield Insight(client)


def _yesterday(account) -> dt.date:
    return timezone.localtime(timezone.now(), account.tz).date() - dt.timedelta(days=1)


def test_followers_and_deliveries_of_a_rolled_day(insight, account):
    day = _yesterday(account)
    since = dt.datetime.combine(day, dt.time(12), tzinfo=account.tz)
    friends = [customer(account) for _ in range(3)]
    Friend.objects.filter(pk__in=[f.pk for f in friends]).update(friend_since=since)
    Friend.objects.filter(pk=friends[0].pk).update(
        status="blocked", blocked_at=since + dt.timedelta(hours=1)
    )
    # before the rollup: unready, no figures
    assert insight.get_number_of_followers(
        var_date=day.strftime("%Y%m%d")
    ).to_dict() == {"status": "unready"}
    rollup_days(account=account, first=day, last=day)
    from analytics.models import RollupCursor

    RollupCursor.objects.update_or_create(account=account, defaults={"through": day})
    got = insight.get_number_of_followers(var_date=day.strftime("%Y%m%d"))
    assert (got.status, got.followers, got.targeted_reaches, got.blocks) == (
        "ready",
        3,
        2,
        1,
    )
    # the default date is yesterday
    assert insight.get_number_of_followers().followers == 3
    deliveries = insight.get_number_of_message_deliveries(day.strftime("%Y%m%d"))
    assert deliveries.status == "ready"
    assert deliveries.broadcast == 0 and deliveries.api_push == 0
    # a day before the figures begin is out of service; the future unready
    before = (day - dt.timedelta(days=30)).strftime("%Y%m%d")
    assert insight.get_number_of_followers(var_date=before).status == "out_of_service"
    future = (day + dt.timedelta(days=5)).strftime("%Y%m%d")
    assert insight.get_number_of_message_deliveries(future).status == "unready"


@pytest.mark.parametrize("bad", ["20260230", "abcdefgh", "2026-3-1"])
def test_a_bad_date_is_lines_400(insight, bad):
    with pytest.raises(ApiException) as excinfo:
        insight.get_number_of_message_deliveries(bad)
    assert excinfo.value.status == 400
    assert json.loads(excinfo.value.body) == {
        "message": "The value for the 'date' parameter is invalid"
    }


@pytest.mark.parametrize("query", ["date=2026-03-01", "date=", "", "date=2026031"])
def test_dates_the_sdk_would_refuse_are_400_on_the_wire(live_server, account, query):
    response = httpx.get(
        f"{live_server.url}/v2/bot/insight/message/delivery?{query}",
        headers={"Authorization": f"Bearer {token_for(account)}"},
    )
    assert response.status_code == 400
    assert response.json() == {
        "message": "The value for the 'date' parameter is invalid"
    }


def test_demographics_are_hidden_below_20_friends(insight, account):
    # before the first analytics run
    assert insight.get_friends_demographics().to_dict() == {"available": False}
    for _ in range(19):
        customer(account, gender="female", age=23, region="jp_13", os="ios")
    demographics_refresh(account=account)
    assert insight.get_friends_demographics().to_dict() == {"available": False}
    customer(account, gender="male", age=41, region="jp_27", os="android")
    demographics_refresh(account=account)
    got = insight.get_friends_demographics().to_dict()
    assert got["available"] is True
    assert got["genders"] == [
        {"gender": "female", "percentage": 95.0},
        {"gender": "male", "percentage": 5.0},
    ]
    assert {"age": "from20to24", "percentage": 95.0} in got["ages"]
    assert {"age": "from40to44", "percentage": 5.0} in got["ages"]
    # LINE names areas in Japanese
    assert got["areas"] == [
        {"area": "東京都", "percentage": 95.0},
        {"area": "大阪府", "percentage": 5.0},
    ]
    assert got["appTypes"] == [
        {"appType": "android", "percentage": 5.0},
        {"appType": "ios", "percentage": 95.0},
    ]
    assert got["subscriptionPeriods"] == [
        {"subscriptionPeriod": "within7days", "percentage": 100.0}
    ]


def test_message_event_of_an_api_broadcast(live_server, insight, account):
    friends = [customer(account) for _ in range(21)]
    config = Configuration(host=live_server.url, access_token=token_for(account))
    from linebot.v3.messaging import ApiClient as MessagingClient

    with MessagingClient(config) as client:
        response = MessagingApi(client).broadcast_with_http_info(
            BroadcastRequest(messages=[TextMessage(text="Sale https://shop.example/a")])
        )
    request_id = response.headers["X-Line-Request-Id"]
    for friend in friends[:7]:
        last = friend.messages.order_by("-id").first()
        messages_mark_opened(friend=friend, up_to_id=last.pk)
    got = insight.get_message_event(request_id).to_dict()
    assert got["overview"]["requestId"] == request_id
    assert got["overview"]["delivered"] == 21
    assert got["overview"]["uniqueImpression"] == 7
    assert got["overview"]["uniqueClick"] == 0
    assert got["messages"][0]["seq"] == 1
    assert got["messages"][0]["impression"] == 7
    assert len(got["messages"]) == 1
    assert got["clicks"] == [
        {
            "seq": 1,
            "url": "https://shop.example/a",
            "click": 0,
            "uniqueClick": 0,
            "uniqueClickOfRequest": 0,
        }
    ]
    # another account's request ID, or an unknown one, is LINE's 404
    with pytest.raises(ApiException) as excinfo:
        insight.get_message_event("00000000-0000-0000-0000-000000000000")
    assert excinfo.value.status == 404
