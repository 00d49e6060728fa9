"""Two-tab rich menu: built in the Manager, switched and tapped in the talk app.

Staff build tab A from a template with the image maker (a text area and a
switch to tab B, which a bot made through the API with a switch back) and
set it as the default; the customer opens the talk app, switches tab (the
bot receives LINE's switch postback) and taps the text area (the keyword
auto-response answers).
"""

import json

import pytest
from django.contrib.sessions.backends.db import SessionStore
from playwright.sync_api import expect

from messaging.automation.services import autoresponse_save
from messaging.webhooks.services import webhook_endpoint_set
from richmenu.models import RichMenu
from richmenu.services import richmenu_alias_create
from tests.conftest import browser_login
from tests.messaging.conftest import BotServer
from tests.richmenu.factories import published
from tests.talk.factories import befriend, make_persona, talk_session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def bot(settings):
    # a bot on this machine: allowed by WEBHOOK_ALLOW_PRIVATE_NETWORKS
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    server = BotServer()
    yield server
    server.close()


def _events(bot) -> list[dict]:
    return json.loads(bot.get(timeout=10).body)["events"]


def test_staff_build_two_tabs_and_a_customer_switches_and_taps(
    page, browser, live_server, account, alice, bot
):
    # given tab B (API-made) switching back to "tab-a", and an auto-response
    back = {
        "bounds": {"x": 0, "y": 0, "width": 2500, "height": 843},
        "action": {
            "type": "richmenuswitch",
            "richMenuAliasId": "tab-a",
            "data": "to=a",
        },
    }
    tab_b = published(account, chatBarText="Tab B", areas=[back])
    richmenu_alias_create(account=account, alias_id="tab-b", menu=tab_b)
    autoresponse_save(
        account=account,
        actor=alice,
        name="Hours",
        match="exact",
        keywords=["Opening hours"],
        messages=[{"type": "text", "text": "We open at 9:00."}],
    )
    hanako = make_persona("Hanako")
    friend = befriend(account, hanako)
    webhook_endpoint_set(account=account, actor=None, url=bot.url, active=True)

    # when staff build tab A from the compact 2-area template
    browser_login(page, alice)
    page.goto(f"/manager/{account.slug}/richmenus/new/")
    page.fill("input[name=name]", "Tab A")
    page.select_option("select[name=layout]", "compact-2")
    page.fill("input[name=chat_bar_text]", "メニュー")
    page.check("input[name=selected]")
    page.fill("input[name=alias_id]", "tab-a")
    page.select_option("select[name=area0_type]", "message")
    page.fill("input[name=area0_value]", "Opening hours")
    page.fill("input[name=area0_label]", "営業時間")
    page.select_option("select[name=area1_type]", "richmenuswitch")
    page.fill("input[name=area1_value]", "tab-b")
    page.fill("input[name=area1_label]", "Tab B")
    expect(
        page.get_by_test_id("richmenu-preview").locator(".richmenu-tap")
    ).to_have_count(2)
    page.check("input[name=make_default]")
    page.get_by_test_id("richmenu-save").click()
    expect(page.get_by_test_id("richmenu-list")).to_contain_text("Tab A")
    tab_a = RichMenu.objects.get(name="Tab A")
    assert tab_a.image_type == "image/jpeg"  # made by the image maker

    # and Hanako opens her room with the account
    session = SessionStore()
    talk_session(session, hanako)
    session.create()
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 375, "height": 812}
    )
    context.add_cookies(
        [{"name": "sessionid", "value": session.session_key, "url": live_server.url}]
    )
    room = context.new_page()
    room.set_default_timeout(10_000)
    room.goto(f"/talk/rooms/{friend.pk}/")
    menu = room.get_by_test_id("richmenu")
    expect(menu).to_have_attribute("data-richmenu", tab_a.rich_menu_id)
    expect(room.get_by_test_id("richmenu-bar")).to_contain_text("メニュー")
    # the chat-bar text closes and opens it
    room.get_by_test_id("richmenu-bar").click()
    expect(room.locator(".richmenu-panel")).to_be_hidden()
    room.get_by_test_id("richmenu-bar").click()
    expect(room.locator(".richmenu-panel")).to_be_visible()

    # then switching tab shows tab B and the bot hears LINE's postback
    room.get_by_test_id("richmenu-area-1").click()
    expect(room.get_by_test_id("richmenu")).to_have_attribute(
        "data-richmenu", tab_b.rich_menu_id
    )
    [event] = _events(bot)
    assert event["postback"] == {
        "data": "tab-b",
        "params": {"newRichMenuAliasId": "tab-b", "status": "SUCCESS"},
    }
    # and switching back, then tapping the text area, gets the auto-response
    room.get_by_test_id("richmenu-area-0").click()
    expect(room.get_by_test_id("richmenu")).to_have_attribute(
        "data-richmenu", tab_a.rich_menu_id
    )
    [event] = _events(bot)
    assert event["postback"]["params"]["newRichMenuAliasId"] == "tab-a"
    room.get_by_test_id("richmenu-area-0").click()
    expect(room.locator(".msg.mine .bubble").last).to_have_text("Opening hours")
    expect(room.locator(".msg:not(.mine) .bubble").last).to_have_text(
        "We open at 9:00."
    )
    context.close()
