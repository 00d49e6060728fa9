"""Step messages and auto-responses are wired into the customer flows."""

from chat.inbound import customer_block, customer_follow, customer_message_send
from messaging.automation.models import StepEnrollment
from messaging.automation.services import autoresponse_save, step_sequence_save
from messaging.store.models import Message
from tests.factories import LineUserFactory
from tests.messaging.broadcasts.helpers import text, usage_pair


def _welcome(account, alice):
    return step_sequence_save(
        account=account,
        actor=alice,
        name="Welcome",
        is_active=True,
        steps=[{"delay_value": 1, "delay_unit": "days", "messages": [text("Hi")]}],
    )


def test_following_enrolls_the_new_friend_once(account, alice):
    sequence = _welcome(account, alice)
    # when a customer adds the account, blocks it and adds it again
    friend = customer_follow(account=account, line_user=LineUserFactory()).friend
    customer_block(friend=friend)
    customer_follow(account=account, line_user=friend.line_user)
    # then they were enrolled once, by the first add
    assert list(
        StepEnrollment.objects.values_list("sequence_id", "friend_id", "next_position")
    ) == [(sequence.pk, friend.pk, 1)]


def test_customer_text_gets_the_keyword_auto_response_free(account, alice):
    autoresponse_save(
        account=account,
        actor=alice,
        name="hours",
        match="partial",
        keywords=["open"],
        messages=[text("We open at 9.")],
    )
    friend = customer_follow(account=account, line_user=LineUserFactory()).friend
    before = usage_pair(account)
    # when the customer asks, and then sends a sticker
    customer_message_send(friend=friend, message=text("When do you open?"))
    customer_message_send(
        friend=friend,
        message={"type": "sticker", "packageId": "446", "stickerId": "1988"},
    )
    # then exactly one auto-response follows the question, free of quota
    rows = list(
        Message.objects.filter(friend=friend)
        .order_by("id")
        .values_list("source", "text")
    )
    assert rows == [
        ("customer", "When do you open?"),
        ("auto_response", "We open at 9."),
        ("customer", "[Sticker]"),
    ]
    assert usage_pair(account) == before
