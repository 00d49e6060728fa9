"""customer_postback: a tapped postback reaches the bot, and only the bot."""

import pytest

from accounts.services import account_suspend
from chat.inbound import customer_block, customer_postback
from chat.models import Conversation
from core.exceptions import ApplicationError
from messaging.friends.services import AccountUnavailable
from messaging.store.models import Message
from messaging.webhooks.models import WebhookDelivery
from messaging.webhooks.services import webhook_endpoint_set
from tests.chat.factories import make_friend

pytestmark = pytest.mark.django_db


@pytest.fixture
def hooked(account, settings):
    # a local URL: allowed for bots on this machine (docs/security.md)
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    webhook_endpoint_set(
        account=account, actor=None, url="http://127.0.0.1:9/cb", active=True
    )
    return account


def test_postback_with_display_text_is_shown_and_sent_as_postback(hooked):
    """displayText becomes the customer's message; the bot gets a postback."""
    # given a friend of an account with a webhook
    friend = make_friend(hooked)
    # when they tap a postback button with a display text
    row = customer_postback(
        friend=friend, data="action=reserve", display_text="Reserve, please"
    )
    # then the text is in the room and the inbox, and one postback event
    # (no message event) goes to the bot
    assert row.direction == Message.Direction.INBOUND
    assert row.payload == {"type": "text", "text": "Reserve, please"}
    assert Conversation.objects.get(friend=friend).unread_count == 1
    delivery = WebhookDelivery.objects.get()
    assert delivery.event_types == "postback"
    [event] = delivery.payload["events"]
    assert event["postback"] == {"data": "action=reserve"}
    assert event["source"]["userId"] == friend.line_user.user_id
    assert event["replyToken"]


def test_picker_postback_carries_params_and_stores_nothing(hooked):
    friend = make_friend(hooked)
    row = customer_postback(friend=friend, data="pick", params={"date": "2026-12-24"})
    assert row is None
    assert not Message.objects.exists()
    assert not Conversation.objects.exists()
    [event] = WebhookDelivery.objects.get().payload["events"]
    assert event["postback"] == {"data": "pick", "params": {"date": "2026-12-24"}}


def test_postback_to_a_blocked_account_writes_and_sends_nothing(hooked):
    """A button tapped in the room of a blocked account is refused."""
    # given a friend who blocked the account (its unfollow event is sent)
    friend = make_friend(hooked)
    customer_block(friend=friend)
    deliveries = WebhookDelivery.objects.count()
    # when they tap a postback button in the old bubble
    with pytest.raises(ApplicationError, match="Unblock this account"):
        customer_postback(friend=friend, data="x", display_text="Hello")
    # then nothing is stored and nothing goes to the bot
    assert not Message.objects.exists()
    assert not Conversation.objects.exists()
    assert WebhookDelivery.objects.count() == deliveries


def test_postback_to_a_suspended_account_is_refused(hooked, alice):
    friend = make_friend(hooked)
    account_suspend(account=hooked, actor=alice, reason="test")
    with pytest.raises(AccountUnavailable):
        customer_postback(friend=friend, data="x")
    assert not WebhookDelivery.objects.exists()
