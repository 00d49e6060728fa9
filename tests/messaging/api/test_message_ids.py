"""LINE-shaped message IDs in API answers (issue 16 #4)."""

import pytest
from linebot.v3.messaging import PushMessageRequest, TextMessage

from messaging.store.models import Message

pytestmark = pytest.mark.django_db(transaction=True)


def test_sent_message_ids_are_18_opaque_digits_in_no_order(line, friend):
    # when a bot pushes five bubbles, stored with consecutive keys
    response = line.push_message(
        PushMessageRequest(
            to=friend.line_user.user_id,
            messages=[TextMessage(text=f"m{i}") for i in range(5)],
        )
    )
    ids = [m.id for m in response.sent_messages]
    rows = list(Message.objects.filter(friend=friend).order_by("pk"))
    keys = [r.pk for r in rows]
    assert keys == list(range(keys[0], keys[0] + 5))
    # then the bot sees five distinct 18-digit numbers, none of them a key,
    # and not a constant step apart (the unit tests in tests/core check
    # order and spread over 2,000 keys)
    assert ids == [r.public_id for r in rows]
    assert all(len(i) == 18 and i.isascii() and i.isdigit() for i in ids)
    assert len(set(ids)) == 5
    assert not set(ids) & {str(k) for k in keys}
    numbers = [int(i) for i in ids]
    steps = {b - a for a, b in zip(numbers, numbers[1:], strict=False)}
    assert len(steps) == 4
