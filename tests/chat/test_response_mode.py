"""Response mode (応答設定, issue 14 #15): four switches the door obeys."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from freezegun import freeze_time

from accounts.models import AuditLog, Membership
from chat import selectors
from chat.inbound import customer_follow
from chat.models import ChatSettings
from chat.services import chat_settings_update, response_mode_set
from core.exceptions import ApplicationError
from messaging.automation.services import autoresponse_save, greeting_update
from messaging.store.models import Message
from messaging.webhooks.models import WebhookDelivery
from messaging.webhooks.services import webhook_endpoint_set
from tests.chat.factories import customer_says, make_friend
from tests.factories import LineUserFactory, UserFactory, add_member
from tests.unchanged import assert_unchanged

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)  # Monday 10:00 in Tokyo
AWAY = "We are closed; we answer tomorrow."


def _url(account):
    return reverse("response:settings", args=[account.slug])


def _mode(account, actor, **changes):
    values = {"chat": True, "auto_response": True, "greeting": False, "webhook": False}
    values.update(changes)
    return response_mode_set(account=account, actor=actor, **values)


def _sent(friend, source) -> list[str]:
    return list(
        Message.objects.filter(friend=friend, source=source)
        .order_by("id")
        .values_list("text", flat=True)
    )


def test_a_new_account_has_chat_and_auto_response_on(account):
    mode = selectors.response_mode_get(account=account)
    assert (mode.chat, mode.auto_response, mode.greeting, mode.webhook) == (
        True,
        True,
        False,
        False,
    )


def test_auto_response_off_leaves_keywords_unanswered(account, alice):
    autoresponse_save(
        account=account,
        actor=alice,
        name="Hours",
        match="exact",
        keywords=["hours"],
        messages=[{"type": "text", "text": "10:00-18:00"}],
    )
    friend = make_friend(account)
    customer_says(friend, "hours")
    assert _sent(friend, Message.Source.AUTO_RESPONSE) == ["10:00-18:00"]
    # when auto-responses are switched off
    _mode(account, alice, auto_response=False)
    customer_says(friend, "hours")
    assert _sent(friend, Message.Source.AUTO_RESPONSE) == ["10:00-18:00"]
    # and back on
    _mode(account, alice, auto_response=True)
    customer_says(friend, "hours")
    assert _sent(friend, Message.Source.AUTO_RESPONSE) == ["10:00-18:00"] * 2


def test_chat_off_sends_the_away_message_once_per_off_period(account, alice):
    # given an away message, business hours off (always open)
    chat_settings_update(
        account=account,
        actor=alice,
        business_hours_enabled=False,
        away_message_enabled=True,
        away_message=AWAY,
        intervals=[],
    )
    friend = make_friend(account)
    customer_says(friend, "hello")
    assert _sent(friend, Message.Source.AWAY) == []
    # when chat is turned off: one away message however often they write
    with freeze_time(T0):
        _mode(account, alice, chat=False)
    customer_says(friend, "hello?")
    customer_says(friend, "anyone?")
    assert _sent(friend, Message.Source.AWAY) == [AWAY]
    # back on: no away message; off again: a new period, one more
    _mode(account, alice, chat=True)
    customer_says(friend, "hi")
    assert _sent(friend, Message.Source.AWAY) == [AWAY]
    with freeze_time(T0 + dt.timedelta(days=1)):
        _mode(account, alice, chat=False)
    customer_says(friend, "hi again")
    assert _sent(friend, Message.Source.AWAY) == [AWAY, AWAY]


def test_greeting_off_greets_nobody(account, alice):
    greeting_update(
        account=account,
        actor=alice,
        enabled=True,
        send_on_unblock=True,
        messages=[{"type": "text", "text": "Welcome!"}],
    )
    _mode(account, alice, greeting=False)
    friend = customer_follow(account=account, line_user=LineUserFactory()).friend
    assert _sent(friend, Message.Source.GREETING) == []
    _mode(account, alice, greeting=True)
    other = customer_follow(account=account, line_user=LineUserFactory()).friend
    assert _sent(other, Message.Source.GREETING) == ["Welcome!"]


def test_webhook_off_sends_the_bot_nothing(account, alice, settings):
    webhook_endpoint_set(
        account=account, actor=alice, url="https://bot.example.com/hook", active=True
    )
    _mode(account, alice, webhook=False)
    customer_says(make_friend(account), "hello")
    assert WebhookDelivery.objects.count() == 0


@pytest.mark.parametrize(
    ("change", "field", "error"),
    [
        ({"greeting": True}, "greeting", "Write the greeting message first"),
        ({"webhook": True}, "webhook", "Set a webhook URL before turning"),
    ],
)
def test_a_switch_that_cannot_turn_on_saves_nothing(
    account, alice, alice_client, change, field, error
):
    audit_before = AuditLog.objects.count()
    with assert_unchanged(), pytest.raises(ApplicationError) as excinfo:
        _mode(account, alice, chat=False, **change)
    assert field in excinfo.value.details
    assert not ChatSettings.objects.filter(account=account).exists()
    # the page shows the error by the switch and changes nothing either
    data = {"auto_response": "on", **dict.fromkeys(change, "on")}
    response = alice_client.post(_url(account), data)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert f'data-testid="error-{field}"' in response.content.decode()
    assert not ChatSettings.objects.filter(account=account).exists()
    assert AuditLog.objects.count() == audit_before


def test_the_page_saves_all_switches_with_one_audit_entry(account, alice_client):
    response = alice_client.post(_url(account), {"auto_response": "on"})
    assert response.status_code == 302
    mode = selectors.response_mode_get(account=account)
    assert (mode.chat, mode.auto_response, mode.greeting, mode.webhook) == (
        False,
        True,
        False,
        False,
    )
    entry = AuditLog.objects.get(action="response_mode.update")
    assert entry.data == {
        "chat": False,
        "auto_response": True,
        "greeting": False,
        "webhook": False,
    }


def test_chat_off_hides_the_inbox_and_the_unread_badge(account, alice, alice_client):
    customer_says(make_friend(account, "Ann"), "hello")
    inbox = reverse("chat:inbox", args=[account.slug])
    unread = reverse("chat:unread-json", args=[account.slug])
    assert alice_client.get(unread).json() == {"unread": 1}
    _mode(account, alice, chat=False)
    html = alice_client.get(inbox).content.decode()
    assert 'data-testid="chat-off"' in html
    assert "Ann" not in html
    assert alice_client.get(unread).json() == {"unread": 0}


def test_operators_keep_the_webhook_switch_as_it_is(account, alice, bob, bob_client):
    # bob is an operator: no API rights
    webhook_endpoint_set(
        account=account, actor=alice, url="https://bot.example.com/hook", active=True
    )
    response = bob_client.post(_url(account), {"chat": "on"})
    assert response.status_code == 302
    mode = selectors.response_mode_get(account=account)
    assert (mode.chat, mode.auto_response, mode.webhook) == (True, False, True)


def test_roles_without_delivery_may_look_but_not_change(account):
    viewer = UserFactory(username="viewer")
    add_member(account, viewer, Membership.Role.OPERATOR_NO_DELIVERY)
    client = _login(viewer)
    assert client.get(_url(account)).status_code == 200
    with assert_unchanged():
        assert client.post(_url(account), {"chat": "on"}).status_code == 403
    assert not ChatSettings.objects.filter(account=account).exists()


def test_staff_of_another_account_get_404(account, charlie_client):
    assert charlie_client.get(_url(account)).status_code == 404
    with assert_unchanged():
        assert charlie_client.post(_url(account), {"chat": "on"}).status_code == 404
    assert not ChatSettings.objects.filter(account=account).exists()


def _login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client
