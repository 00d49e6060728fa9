"""customer_postback: a tapped postback reaches the bot, and only the bot."""

import pytest

from accounts.services import account_suspend
from chat.inbound import customer_block, customer_postback
from chat.models import Conversation
from core.exceptions import ApplicationError
from messaging.friends.services import AccountUnavailable
from messaging.store.models import Message
from messaging.webhooks.models import WebhookDelivery
from tests.unchanged import assert_unchanged

pytestmark = pytest.mark.django_db


def test_postback_with_display_text_is_shown_and_sent_as_postback(webhook_friend):
    """displayText becomes the customer's message; the bot gets a postback."""
    # given a friend of an account with a webhook
    # when they tap a postback button with a display text
    row = customer_postback(
        friend=webhook_friend, data="action=reserve", display_text="Reserve, please"
    )
    # then the text is in the room and the inbox, and one postback event
    # (no message event) goes to the bot
    assert row.direction == Message.Direction.INBOUND
    assert row.payload == {"type": "text", "text": "Reserve, please"}
    assert Conversation.objects.get(friend=webhook_friend).unread_count == 1
    delivery = WebhookDelivery.objects.get()
    assert delivery.event_types == "postback"
    [event] = delivery.payload["events"]
    assert event["postback"] == {"data": "action=reserve"}
    assert event["source"]["userId"] == webhook_friend.line_user.user_id
    assert event["replyToken"]


def test_picker_postback_carries_params_and_stores_nothing(webhook_friend):
    row = customer_postback(
        friend=webhook_friend, data="pick", params={"date": "2026-12-24"}
    )
    assert row is None
    assert not Message.objects.exists()
    assert not Conversation.objects.exists()
    [event] = WebhookDelivery.objects.get().payload["events"]
    assert event["postback"] == {"data": "pick", "params": {"date": "2026-12-24"}}


def test_postback_to_a_blocked_account_writes_and_sends_nothing(webhook_friend):
    """A button tapped in the room of a blocked account is refused."""
    # given a friend who blocked the account (its unfollow event is sent)
    customer_block(friend=webhook_friend)
    deliveries = WebhookDelivery.objects.count()
    # when they tap a postback button in the old bubble
    with (
        assert_unchanged(),
        pytest.raises(ApplicationError, match="Unblock this account"),
    ):
        customer_postback(friend=webhook_friend, data="x", display_text="Hello")
    # then nothing is stored and nothing goes to the bot
    assert not Message.objects.exists()
    assert not Conversation.objects.exists()
    assert WebhookDelivery.objects.count() == deliveries


def test_postback_to_a_suspended_account_is_refused(webhook_friend, alice):
    account_suspend(account=webhook_friend.account, actor=alice, reason="test")
    with assert_unchanged(), pytest.raises(AccountUnavailable):
        customer_postback(friend=webhook_friend, data="x")
    assert not WebhookDelivery.objects.exists()
