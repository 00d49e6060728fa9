"""Taps in the talk app act as the customer, and the bot hears them.

A bot pushes through the real ``line-bot-sdk`` to the live server; its
webhook is a local HTTP server (``BotServer``). The customer taps a Flex
postback button, a quick-reply chip and a date-time picker, and shares a
location; the bot receives LINE's event shapes.
"""

import json

import pytest
from django.contrib.sessions.backends.db import SessionStore
from linebot.v3.messaging import PushMessageRequest
from playwright.sync_api import expect

from messaging.store.models import Message
from messaging.store.services import messages_send
from messaging.webhooks.services import webhook_endpoint_set
from tests.messaging.api.factories import sdk_apis, sdk_client, token_for
from tests.messaging.conftest import BotServer
from tests.talk.factories import befriend, make_persona, talk_session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FLEX = {
    "type": "flex",
    "altText": "Seasonal tart",
    "contents": {
        "type": "bubble",
        "body": {
            "type": "box",
            "layout": "vertical",
            "contents": [
                {"type": "text", "text": "Seasonal tart", "weight": "bold"},
                {"type": "text", "text": "Reserve one for today?", "wrap": True},
            ],
        },
        "footer": {
            "type": "box",
            "layout": "vertical",
            "spacing": "sm",
            "contents": [
                {
                    "type": "button",
                    "style": "primary",
                    "action": {
                        "type": "postback",
                        "label": "Reserve",
                        "data": "action=reserve&item=tart",
                        "displayText": "Reserve a tart, please",
                    },
                },
                {
                    "type": "button",
                    "style": "secondary",
                    "action": {
                        "type": "datetimepicker",
                        "label": "Pick a time",
                        "data": "action=pick",
                        "mode": "datetime",
                        "initial": "2026-12-24T18:00",
                        "min": "2026-12-01T00:00",
                        "max": "2027-01-31T23:59",
                    },
                },
            ],
        },
    },
}
QUICK = {
    "type": "text",
    "text": "Anything else?",
    "quickReply": {
        "items": [
            {
                "type": "action",
                "action": {
                    "type": "postback",
                    "label": "Coffee too",
                    "data": "add=coffee",
                },
            },
            {
                "type": "action",
                "action": {"type": "message", "label": "No thanks", "text": "no"},
            },
            {"type": "action", "action": {"type": "location", "label": "Where?"}},
        ]
    },
}


@pytest.fixture
def bot(settings):
    # a bot on this machine: allowed by WEBHOOK_ALLOW_PRIVATE_NETWORKS
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    server = BotServer()
    yield server
    server.close()


@pytest.fixture
def room(browser, live_server, account, bot):
    """Hanako's open talk room with Demo Café, whose bot listens at ``bot``."""
    hanako = make_persona("Hanako")
    friend = befriend(account, hanako)
    webhook_endpoint_set(account=account, actor=None, url=bot.url, active=True)
    session = SessionStore()
    talk_session(session, hanako)
    session.create()
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 375, "height": 812}
    )
    context.add_cookies(
        [{"name": "sessionid", "value": session.session_key, "url": live_server.url}]
    )
    page = context.new_page()
    yield page, friend
    context.close()


def _events(bot) -> list[dict]:
    return json.loads(bot.get(timeout=10).body)["events"]


def test_bot_flex_postback_quick_reply_and_picker_round_trip(
    room, live_server, account, bot
):
    page, friend = room
    # given the bot pushed a Flex bubble and a text with quick replies
    with sdk_client(live_server.url, token_for(account)) as client:
        line, _blob = sdk_apis(client)
        line.push_message(
            PushMessageRequest.from_dict(
                {"to": friend.line_user.user_id, "messages": [FLEX, QUICK]}
            )
        )
    page.goto(f"/talk/rooms/{friend.pk}/")
    flex = page.locator(".lb-flex")
    expect(flex.locator(".fx-text").first).to_have_text("Seasonal tart")
    # the bubble's layout is applied under the strict CSP (bubbles.js sets
    # data-style through the CSSOM): every styled element has its style
    styled = flex.locator("[data-style]")
    assert styled.count() > 0
    assert page.evaluate(
        "() => [...document.querySelectorAll('.lb-flex [data-style]')]"
        ".every(el => el.style.cssText !== '' || el.dataset.style === '')"
    )
    chips = page.get_by_test_id("quick-reply").locator("[data-chip]")
    expect(chips).to_have_text(["Coffee too", "No thanks", "Where?"])
    # when Hanako taps the "Coffee too" chip
    chips.first.click()
    # then the bot gets a postback event and the chips are gone
    [event] = _events(bot)
    assert event["type"] == "postback"
    assert event["postback"] == {"data": "add=coffee"}
    assert event["source"] == {"type": "user", "userId": friend.line_user.user_id}
    assert event["replyToken"]
    expect(chips).to_have_count(0)
    # when she taps the Flex bubble's "Reserve" button
    flex.get_by_role("button", name="Reserve").click()
    # then the bot gets its data and her room shows the display text as hers
    [event] = _events(bot)
    assert event["postback"] == {"data": "action=reserve&item=tart"}
    expect(page.locator(".msg.mine .bubble").last).to_have_text(
        "Reserve a tart, please"
    )
    # when she picks a date and time in the picker
    flex.get_by_role("button", name="Pick a time").click()
    picker = page.get_by_test_id("picker-input")
    expect(picker).to_have_value("2026-12-24T18:00")
    picker.fill("2026-12-25T10:30")
    page.get_by_test_id("picker-ok").click()
    # then the bot gets the chosen datetime as params
    [event] = _events(bot)
    assert event["postback"] == {
        "data": "action=pick",
        "params": {"datetime": "2026-12-25T10:30"},
    }
    expect(page.get_by_test_id("picker-dialog")).to_be_hidden()
    # and only the display text was stored as a customer message
    assert list(
        Message.objects.filter(friend=friend, direction="in").values_list(
            "text", flat=True
        )
    ) == ["Reserve a tart, please"]


def test_message_action_and_location_quick_reply(room, bot):
    page, friend = room
    # given the account asked with a confirm template and a location chip
    messages_send(
        account=friend.account,
        friends=[friend],
        messages=[
            {
                "type": "template",
                "altText": "Deliver?",
                "template": {
                    "type": "confirm",
                    "text": "Deliver to you?",
                    "actions": [
                        {"type": "message", "label": "Yes", "text": "yes please"},
                        {"type": "message", "label": "No", "text": "no"},
                    ],
                },
                "quickReply": {
                    "items": [
                        {
                            "type": "action",
                            "action": {"type": "location", "label": "Send my place"},
                        }
                    ]
                },
            }
        ],
        source=Message.Source.CHAT,
    )
    page.goto(f"/talk/rooms/{friend.pk}/")
    # when Hanako taps "Yes"
    page.locator(".lb-confirm").get_by_role("button", name="Yes").click()
    # then the text is sent as hers and the bot gets a text message event
    expect(page.locator(".msg.mine .bubble").last).to_have_text("yes please")
    [event] = _events(bot)
    assert event["message"]["type"] == "text"
    assert event["message"]["text"] == "yes please"
    # and the quick reply went with the newer message
    expect(page.get_by_test_id("quick-reply").locator("[data-chip]")).to_have_count(0)


def test_customer_sends_a_location_and_the_bot_gets_a_location_event(room, bot):
    page, friend = room
    # given the account's last message offers a location quick reply
    messages_send(
        account=friend.account,
        friends=[friend],
        messages=[
            {
                "type": "text",
                "text": "Where are you?",
                "quickReply": {
                    "items": [
                        {
                            "type": "action",
                            "action": {"type": "location", "label": "Send my place"},
                        }
                    ]
                },
            }
        ],
        source=Message.Source.CHAT,
    )
    page.goto(f"/talk/rooms/{friend.pk}/")
    # when Hanako taps the chip and shares a place through the location form
    page.get_by_test_id("quick-reply").get_by_text("Send my place").click()
    dialog = page.get_by_test_id("location-dialog")
    dialog.locator("input[name=title]").fill("Café Lumière")
    dialog.locator("input[name=address]").fill("1-2-3 Shibuya, Tokyo")
    dialog.locator("input[name=latitude]").fill("35.658")
    dialog.locator("input[name=longitude]").fill("139.7016")
    page.get_by_test_id("location-send").click()
    # then it shows in her room as a location card
    card = page.locator(".msg.mine .lb-location")
    expect(card).to_contain_text("Café Lumière")
    # and the bot gets LINE's location message event
    [event] = _events(bot)
    assert event["type"] == "message"
    message = event["message"]
    assert message["type"] == "location"
    assert message["title"] == "Café Lumière"
    assert message["address"] == "1-2-3 Shibuya, Tokyo"
    assert message["latitude"] == 35.658
    assert message["longitude"] == 139.7016
    # and the location button in the composer opens the same form
    page.get_by_test_id("location-button").click()
    expect(dialog).to_be_visible()


def test_a_photo_opens_full_size_in_the_room(room):
    page, friend = room
    # given the account sent a photo
    messages_send(
        account=friend.account,
        friends=[friend],
        messages=[
            {
                "type": "image",
                "originalContentUrl": "/static/talk/stickers/1.svg",
                "previewImageUrl": "/static/talk/stickers/2.svg",
            }
        ],
        source=Message.Source.CHAT,
    )
    page.goto(f"/talk/rooms/{friend.pk}/")
    # when Hanako taps it
    page.locator(".msg.theirs .lb-photo").click()
    # then the original shows full screen, and closes again
    viewer = page.get_by_test_id("photo-viewer")
    expect(viewer).to_be_visible()
    src = viewer.locator("img").get_attribute("src")
    assert src.endswith("/static/talk/stickers/1.svg")
    viewer.get_by_role("button", name="Close").click()
    expect(viewer).to_be_hidden()
    assert page.url.endswith(f"/talk/rooms/{friend.pk}/")
