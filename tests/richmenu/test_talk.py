"""The friend's rich menu in the talk room: shown, toggled, tapped, switched."""

import pytest

from messaging.store.models import Message
from messaging.webhooks.models import WebhookDelivery
from richmenu.models import RichMenu, RichMenuDailyStat
from richmenu.services import (
    richmenu_alias_create,
    richmenu_default_set,
    richmenu_link,
)
from tests.htmlquery import parse
from tests.richmenu.factories import menu_object, published
from tests.talk.factories import talk_client
from tests.unchanged import assert_unchanged

pytestmark = pytest.mark.django_db

FETCH = {"HTTP_X_REQUESTED_WITH": "fetch"}


@pytest.fixture
def client(webhook_friend):
    return talk_client(webhook_friend.line_user)


def _one(html: str, selector: str):
    [node] = parse(html).cssselect(selector)
    return node


def _tabs(account):
    """Two tabs switching to each other through aliases, as LINE's example."""
    tab_b = published(account, chatBarText="Tab B")
    richmenu_alias_create(account=account, alias_id="tab-b", menu=tab_b)
    switch = {
        "bounds": {"x": 0, "y": 0, "width": 1250, "height": 843},
        "action": {"type": "richmenuswitch", "richMenuAliasId": "tab-b", "data": "t=b"},
    }
    text = {
        "bounds": {"x": 1250, "y": 0, "width": 1250, "height": 843},
        "action": {"type": "message", "text": "Opening hours"},
    }
    tab_a = published(
        account,
        origin=RichMenu.Origin.MANAGER,
        chatBarText="Tab A",
        areas=[switch, text],
    )
    richmenu_default_set(menu=tab_a)
    return tab_a, tab_b


def test_the_room_shows_the_friends_menu_open_when_selected(
    client, webhook_friend, account
):
    tab_a, _tab_b = _tabs(account)
    html = client.get(f"/talk/rooms/{webhook_friend.pk}/").content.decode()
    menu = _one(html, "[data-testid='richmenu']")
    assert menu.attrs["data-richmenu"] == tab_a.rich_menu_id
    assert "open" in menu.attrs["class"].split()
    assert (
        _one(html, "[data-testid='richmenu-bar']").text_content().strip() == "Tab A ▾"
    )
    panel = _one(html, ".richmenu-panel")
    assert panel.attrs["data-style"] == "aspect-ratio:2500 / 843"
    left = _one(html, "[data-testid='richmenu-area-0']")
    assert left.attrs["data-style"] == "left:0%;top:0%;width:50%;height:100%"
    assert left.attrs["data-action"] == (
        '{"data": "t=b", "richMenuAliasId": "tab-b", "type": "richmenuswitch"}'
    )
    right = _one(html, "[data-testid='richmenu-area-1']")
    assert right.attrs["data-action"] == '{"text": "Opening hours", "type": "message"}'


def test_no_menu_no_markup_and_a_closed_menu_is_closed(client, webhook_friend, account):
    html = client.get(f"/talk/rooms/{webhook_friend.pk}/").content.decode()
    assert 'data-testid="richmenu"' not in html
    closed = published(account, selected=False)
    richmenu_link(menu=closed, friend=webhook_friend)
    html = client.get(f"/talk/rooms/{webhook_friend.pk}/").content.decode()
    assert "open" not in _one(html, "[data-testid='richmenu']").attrs["class"]


def test_switching_tab_sends_lines_postback_and_answers_the_new_menu(
    client, webhook_friend, account
):
    _tab_a, tab_b = _tabs(account)
    response = client.post(
        f"/talk/rooms/{webhook_friend.pk}/richmenu/switch",
        {"alias": "tab-b", "data": "t=b"},
        **FETCH,
    )
    assert response.status_code == 200
    menu = _one(response.json()["html"], "[data-testid='richmenu']")
    assert menu.attrs["data-richmenu"] == tab_b.rich_menu_id
    [event] = WebhookDelivery.objects.get().payload["events"]
    assert (event["type"], event["postback"]) == (
        "postback",
        {"data": "t=b", "params": {"newRichMenuAliasId": "tab-b", "status": "SUCCESS"}},
    )
    assert Message.objects.count() == 0


def test_a_switch_to_a_missing_alias_keeps_the_menu_and_tells_the_bot(
    client, webhook_friend, account
):
    _tabs(account)
    response = client.post(
        f"/talk/rooms/{webhook_friend.pk}/richmenu/switch",
        {"alias": "tab-x", "data": "t=x"},
        **FETCH,
    )
    assert response.json() == {"html": None}
    [event] = WebhookDelivery.objects.get().payload["events"]
    assert event["postback"]["params"] == {
        "newRichMenuAliasId": "tab-x",
        "status": "RICHMENU_ALIAS_ID_NOTFOUND",
    }


def test_impressions_and_taps_are_counted(client, webhook_friend, account):
    tab_a, _tab_b = _tabs(account)
    url = f"/talk/rooms/{webhook_friend.pk}/richmenu/seen"
    for area in ("-1", "1", "1"):
        response = client.post(url, {"menu": tab_a.rich_menu_id, "area": area}, **FETCH)
        assert response.json() == {"counted": True}
    with assert_unchanged():
        for bad in (
            {"menu": tab_a.rich_menu_id, "area": "2"},
            {"menu": "x", "area": "0"},
        ):
            assert client.post(url, bad, **FETCH).status_code == 400
    rows = RichMenuDailyStat.objects.values_list("rich_menu_id", "area", "count")
    assert sorted(rows) == [(tab_a.pk, -1, 1), (tab_a.pk, 1, 2)]


def test_another_accounts_menu_is_not_counted(client, webhook_friend, other_account):
    theirs = published(other_account, areas=menu_object()["areas"])
    with assert_unchanged():
        response = client.post(
            f"/talk/rooms/{webhook_friend.pk}/richmenu/seen",
            {"menu": theirs.rich_menu_id, "area": "0"},
            **FETCH,
        )
    assert response.status_code == 400
    assert RichMenuDailyStat.objects.count() == 0


def test_a_blocked_friend_sees_no_menu_and_cannot_switch(
    client, webhook_friend, account
):
    from chat.inbound import customer_block

    _tabs(account)
    customer_block(friend=webhook_friend)
    deliveries = WebhookDelivery.objects.count()  # the unfollow event
    html = client.get(f"/talk/rooms/{webhook_friend.pk}/").content.decode()
    assert 'data-testid="richmenu"' not in html
    with assert_unchanged():
        response = client.post(
            f"/talk/rooms/{webhook_friend.pk}/richmenu/switch",
            {"alias": "tab-b"},
            **FETCH,
        )
    assert response.status_code == 400
    assert WebhookDelivery.objects.count() == deliveries
