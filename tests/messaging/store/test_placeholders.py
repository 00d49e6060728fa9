"""One placeholder engine for every sender (messaging/store/placeholders.py)."""

import json

import pytest

from messaging.automation.services import greeting_update
from messaging.store.models import Message
from messaging.store.placeholders import placeholders_fill_json, placeholders_render
from messaging.store.services import messages_send
from tests.messaging.api.factories import customer

pytestmark = pytest.mark.django_db

CARD = {
    "type": "template",
    "altText": "{Nickname}, a card from {AccountName}",
    "template": {
        "type": "carousel",
        "columns": [
            {
                "title": "For {Nickname}",
                "text": "{AccountName} autumn menu",
                "actions": [
                    {"type": "message", "label": "Hi {Nickname}", "text": "hi"}
                ],
            }
        ],
    },
}


def test_every_string_of_every_message_is_filled():
    out = placeholders_render([CARD], nickname="Hana", account_name="Café")
    assert out[0]["altText"] == "Hana, a card from Café"
    column = out[0]["template"]["columns"][0]
    assert (column["title"], column["text"]) == ("For Hana", "Café autumn menu")
    assert column["actions"][0]["label"] == "Hi Hana"
    assert CARD["altText"].startswith("{Nickname}")  # the input is untouched


def test_names_with_quotes_and_backslashes_keep_the_json_valid():
    name = 'Ta"ro\\'
    payload = json.dumps({"type": "text", "text": "Hi {Nickname}"})
    assert json.loads(placeholders_fill_json(payload, nickname=name)) == {
        "type": "text",
        "text": 'Hi Ta"ro\\',
    }


def test_a_placeholder_left_as_none_is_kept():
    out = placeholders_render(
        [{"type": "text", "text": "{Nickname} at {AccountName}"}], account_name="Café"
    )
    assert out == [{"type": "text", "text": "{Nickname} at Café"}]


def test_a_card_sent_outside_broadcasts_is_filled_too(account):
    """Greetings, steps, auto-responses and chat go through messages_send."""
    friend = customer(account, display_name="Hana")
    rows = messages_send(
        account=account, friends=[friend], messages=[CARD], source="greeting"
    )
    payload = Message.objects.get(pk=rows[0].pk).payload
    assert payload["altText"] == f"Hana, a card from {account.display_name}"
    assert payload["template"]["columns"][0]["title"] == "For Hana"


def test_the_greeting_card_reaches_a_new_friend_filled(account, alice):
    greeting_update(
        account=account,
        actor=alice,
        enabled=True,
        send_on_unblock=False,
        messages=[{"type": "text", "text": "Welcome {Nickname} to {AccountName}"}],
    )
    friend = customer(account, display_name="Ken")
    texts = list(
        Message.objects.filter(friend=friend, source="greeting").values_list(
            "text", flat=True
        )
    )
    assert texts == [f"Welcome Ken to {account.display_name}"]
