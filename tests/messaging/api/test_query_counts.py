"""Pinned query counts of the hot paths (STYLE rule 9)."""

from chat.inbound import customer_message_send
from chat.models import Conversation
from messaging.store.models import Message
from messaging.store.services import message_receive
from messaging.webhooks.models import WebhookDelivery
from tests.messaging.api.factories import text


def test_push_queries(api, friend, django_assert_num_queries):
    body = {"to": friend.line_user.user_id, "messages": [text(), text("b")]}
    api.call("POST", "/v2/bot/message/push", body)  # creates the month's usage row
    # friend, quota UPDATE … RETURNING, message ids, touch, and the test's
    # own savepoint pair (no savepoint of messages_send's own); the rows'
    # COPY (messaging.store.bulk) goes past Django's query capture; the
    # token was cached by the first request (accounts.channel_auth)
    with django_assert_num_queries(6):
        response = api.call("POST", "/v2/bot/message/push", body)
    assert response.status_code == 200


def test_multicast_queries_do_not_grow_with_recipients(
    api, account, django_assert_num_queries
):
    from tests.messaging.api.factories import customer

    friends = [customer(account) for _i in range(20)]
    body = {"to": [f.line_user.user_id for f in friends], "messages": [text()]}
    api.call("POST", "/v2/bot/message/multicast", body)
    # friends, quota, message ids, touch, the test's savepoint pair; the
    # COPY goes past Django's query capture; the token was cached by the
    # first request (accounts.channel_auth)
    with django_assert_num_queries(6):
        response = api.call("POST", "/v2/bot/message/multicast", body)
    assert response.status_code == 200


def test_webhook_ingest_queries(friend, webhook_on, django_assert_num_queries):
    # a customer's first message through the door, webhook on: savepoint,
    # friend lock (+ account, LINE user); store: savepoint pair, insert,
    # touch; conversation: lock, insert; away message: chat settings;
    # keyword rules: savepoint pair, rules; webhook: endpoint, delivery,
    # reply token; release
    with django_assert_num_queries(16):
        customer_message_send(friend=friend, message={"type": "text", "text": "hi"})


def test_the_store_alone_queues_no_webhook(
    friend, webhook_on, django_assert_num_queries
):
    """``message_receive`` stores only; the door decides who reacts."""
    # savepoint pair, insert, touch
    with django_assert_num_queries(4):
        message_receive(friend=friend, message={"type": "text", "text": "hi"})
    assert Message.objects.filter(friend=friend).count() == 1
    assert not WebhookDelivery.objects.exists()
    assert not Conversation.objects.exists()


def test_reply_queries(api, friend, webhook_on, django_assert_num_queries):
    from messaging.webhooks.models import ReplyToken

    customer_message_send(friend=friend, message={"type": "text", "text": "hi"})
    token = ReplyToken.objects.get(friend=friend).token
    body = {"replyToken": token, "messages": [text(), text("b")]}
    # token, reply token locked with its friend, mark used, message ids,
    # touch, and the test's own savepoint pair (the COPY goes past Django's
    # query capture)
    with django_assert_num_queries(7):
        response = api.call("POST", "/v2/bot/message/reply", body)
    assert response.status_code == 200
