"""Free-drawn rich menu areas and the date-time picker, end to end.

Staff draw two rectangles on the editor's preview (a "draw the areas
yourself" template), give one a date-time picker and one a text, publish
the menu; the customer taps the picker area in the talk app, picks a date
and the bot receives LINE's postback event with ``params.date``.
"""

import json

import pytest
from django.contrib.sessions.backends.db import SessionStore
from playwright.sync_api import expect

from messaging.webhooks.services import webhook_endpoint_set
from richmenu.models import RichMenu
from tests.conftest import browser_login
from tests.messaging.conftest import BotServer
from tests.talk.factories import befriend, make_persona, talk_session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def bot(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    server = BotServer()
    yield server
    server.close()


def _drag(page, panel, x1, y1, x2, y2):
    """Drag from (x1, y1) to (x2, y2), fractions of the preview panel."""
    panel.scroll_into_view_if_needed()
    box = panel.bounding_box()
    page.mouse.move(box["x"] + x1 * box["width"], box["y"] + y1 * box["height"])
    page.mouse.down()
    page.mouse.move(
        box["x"] + x2 * box["width"], box["y"] + y2 * box["height"], steps=5
    )
    page.mouse.up()


def _bounds(page, i) -> dict:
    return {
        k: int(page.input_value(f"input[name=area{i}_{k}]"))
        for k in ("x", "y", "width", "height")
    }


def test_staff_draw_two_areas_and_a_customer_picks_a_date(
    page, browser, live_server, account, alice, bot
):
    hanako = make_persona("Hanako")
    friend = befriend(account, hanako)
    webhook_endpoint_set(account=account, actor=None, url=bot.url, active=True)

    # when staff choose a free compact layout and draw two rectangles
    browser_login(page, alice)
    page.goto(f"/manager/{account.slug}/richmenus/new/")
    page.fill("input[name=name]", "Drawn")
    page.select_option("select[name=layout]", "free-compact")
    page.fill("input[name=chat_bar_text]", "予約")
    page.check("input[name=selected]")
    panel = page.get_by_test_id("richmenu-preview").locator(".richmenu-panel")
    taps = page.get_by_test_id("richmenu-preview").locator(".richmenu-tap")
    expect(taps).to_have_count(0)
    _drag(page, panel, 0.02, 0.1, 0.48, 0.9)
    expect(taps).to_have_count(1)
    _drag(page, panel, 0.52, 0.1, 0.98, 0.9)
    expect(taps).to_have_count(2)
    # an overlapping rectangle is refused in the editor
    _drag(page, panel, 0.4, 0.2, 0.6, 0.8)
    expect(taps).to_have_count(2)
    first, second = _bounds(page, 0), _bounds(page, 1)
    assert 30 <= first["x"] <= 70 and 1150 <= first["width"] <= 1150 + 40
    assert second["x"] > first["x"] + first["width"]
    assert 60 <= first["y"] <= 110 and 640 <= first["height"] <= 710
    # the numeric fields show; the third area waits for the next rectangle
    expect(page.get_by_test_id("richmenu-area-fields-2")).to_be_visible()
    expect(page.get_by_test_id("richmenu-area-fields-3")).to_be_hidden()
    page.select_option("select[name=area0_type]", "datetimepicker")
    page.fill("input[name=area0_value]", "action=book")
    expect(page.locator("select[name=area0_mode]")).to_be_visible()
    page.select_option("select[name=area0_mode]", "date")
    page.fill("input[name=area0_initial]", "2026-12-24")
    page.fill("input[name=area0_label]", "日付を選ぶ")
    page.select_option("select[name=area1_type]", "message")
    page.fill("input[name=area1_value]", "Opening hours")
    page.check("input[name=make_default]")
    page.get_by_test_id("richmenu-save").click()
    expect(page.get_by_test_id("richmenu-list")).to_contain_text("Drawn")
    menu = RichMenu.objects.get(name="Drawn")
    assert [a["bounds"] for a in menu.areas] == [first, second]
    assert menu.areas[0]["action"] == {
        "type": "datetimepicker",
        "data": "action=book",
        "mode": "date",
        "initial": "2026-12-24",
    }

    # then Hanako taps the picker area and picks a date
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
    expect(room.get_by_test_id("richmenu")).to_have_attribute(
        "data-richmenu", menu.rich_menu_id
    )
    room.get_by_test_id("richmenu-area-0").click()
    picker = room.get_by_test_id("picker-input")
    expect(picker).to_have_value("2026-12-24")
    picker.fill("2026-12-26")
    room.get_by_test_id("picker-ok").click()
    [event] = json.loads(bot.get(timeout=10).body)["events"]
    assert (event["type"], event["postback"]) == (
        "postback",
        {"data": "action=book", "params": {"date": "2026-12-26"}},
    )
    context.close()


def test_an_overlapping_rectangle_says_why_it_was_not_added(page, account, alice):
    """Found by QA: a rectangle drawn over an area vanished without a word."""
    browser_login(page, alice)
    page.goto(f"/manager/{account.slug}/richmenus/new/")
    page.select_option("select[name=layout]", "free-compact")
    preview = page.get_by_test_id("richmenu-preview")
    panel, taps = preview.locator(".richmenu-panel"), preview.locator(".richmenu-tap")
    message = page.get_by_test_id("richmenu-draw-message")
    _drag(page, panel, 0.02, 0.1, 0.48, 0.9)
    expect(taps).to_have_count(1)
    expect(message).to_be_hidden()
    # when staff draw a rectangle over area A
    _drag(page, panel, 0.4, 0.2, 0.6, 0.8)
    # then it is not added, and the editor says why
    expect(taps).to_have_count(1)
    expect(message).to_have_text(
        "Not added: the new area overlaps area A. Areas may not overlap; "
        "draw it on a free part of the image."
    )
    # and the message goes once a rectangle fits
    _drag(page, panel, 0.52, 0.1, 0.98, 0.9)
    expect(taps).to_have_count(2)
    expect(message).to_be_hidden()
