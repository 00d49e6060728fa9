"""Pinned query counts of the hot paths (STYLE rule 9)."""

from messaging.services import message_receive
from tests.api.factories import text


def test_push_queries(api, friend, django_assert_num_queries):
    body = {"to": friend.line_user.user_id, "messages": [text(), text("b")]}
    api.call("POST", "/v2/bot/message/push", body)  # creates the month's usage row
    # token, friend, quota UPDATE … RETURNING, insert, touch, 2 savepoints x2
    with django_assert_num_queries(9):
        response = api.call("POST", "/v2/bot/message/push", body)
    assert response.status_code == 200


def test_multicast_queries_do_not_grow_with_recipients(
    api, account, django_assert_num_queries
):
    from tests.api.factories import customer

    friends = [customer(account) for _i in range(20)]
    body = {"to": [f.line_user.user_id for f in friends], "messages": [text()]}
    api.call("POST", "/v2/bot/message/multicast", body)
    with django_assert_num_queries(9):
        response = api.call("POST", "/v2/bot/message/multicast", body)
    assert response.status_code == 200


def test_webhook_ingest_queries(friend, webhook_on, django_assert_num_queries):
    # the customer's message is stored and its webhook queued in one go:
    # insert, touch, endpoint, delivery, reply token, savepoint pair
    with django_assert_num_queries(7):
        message_receive(friend=friend, message={"type": "text", "text": "hi"})
