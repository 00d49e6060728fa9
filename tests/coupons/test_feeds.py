"""Coupons feed the rest: segment conditions, step triggers, the composer
and chat replies."""

import datetime as dt

import pytest
from freezegun import freeze_time

from chat.services import chat_message_send
from core.exceptions import ApplicationError
from coupons.models import CouponTicket
from coupons.services import coupon_acquire, coupon_close, coupon_use
from coupons.tasks import start_unused_coupon_steps_task
from messaging.audience.conditions import audience_friends, segment_clean
from messaging.automation.models import StepEnrollment
from messaging.automation.services import step_sequence_save, steps_send_due
from messaging.store.bubbles import bubbles_clean
from messaging.store.models import Message
from tests.chat.factories import talk
from tests.coupons.factories import lottery, make_coupon
from tests.messaging.factories import make_friend
from tests.unchanged import assert_unchanged

pytestmark = pytest.mark.django_db


def _names(account, definition, now=None) -> list[str]:
    friends = audience_friends(
        account=account,
        definition=segment_clean(account=account, definition=definition),
        now=now or dt.datetime.now(dt.UTC),
    )
    return sorted(friends.values_list("line_user__display_name", flat=True))


def test_segment_conditions(account):
    coupon = make_coupon(account, acquisitionCondition=lottery(50, 10))
    ann, bob, cat, _dan = (make_friend(account, display_name=n) for n in "ABCD")
    coupon_acquire(coupon=coupon, friend=ann, draw=0.0)  # won
    coupon_acquire(coupon=coupon, friend=bob, draw=0.0)  # won
    coupon_acquire(coupon=coupon, friend=cat, draw=0.9)  # lost
    coupon_use(ticket=CouponTicket.objects.get(friend=bob))

    def cond(kind, negate=False):
        c = {"type": kind, "values": [coupon.pk]}
        return {"match": "all", "conditions": [{**c, "negate": True} if negate else c]}

    assert _names(account, cond("coupon_acquired")) == ["A", "B"]
    assert _names(account, cond("coupon_used")) == ["B"]
    assert _names(account, cond("coupon_lottery_won")) == ["A", "B"]
    assert _names(account, cond("coupon_lottery_lost")) == ["C"]
    assert _names(account, cond("coupon_acquired", negate=True)) == ["C", "D"]


def test_another_accounts_coupon_is_refused_in_a_segment(account, other_account):
    theirs = make_coupon(other_account)
    with (
        assert_unchanged(),
        pytest.raises(ApplicationError, match="A coupon in the audience"),
    ):
        segment_clean(
            account=account,
            definition={
                "match": "all",
                "conditions": [{"type": "coupon_acquired", "values": [theirs.pk]}],
            },
        )


def _sequence(account, alice, coupon, trigger, days=None):
    return step_sequence_save(
        account=account,
        actor=alice,
        name=f"After {trigger}",
        is_active=True,
        steps=[
            {
                "delay_value": 0,
                "delay_unit": "minutes",
                "messages": [{"type": "text", "text": f"{trigger} step"}],
            }
        ],
        trigger=trigger,
        trigger_ref=coupon.coupon_id,
        trigger_days=days,
    )


def test_coupon_acquired_starts_its_sequence(account, alice):
    coupon = make_coupon(account)
    other = make_coupon(account, title="Other")
    _sequence(account, alice, coupon, "coupon_acquired")
    ann, bob = make_friend(account), make_friend(account)
    coupon_acquire(coupon=coupon, friend=ann)
    coupon_acquire(coupon=other, friend=bob)
    assert list(StepEnrollment.objects.values_list("friend_id", flat=True)) == [ann.pk]
    steps_send_due()
    assert list(
        Message.objects.filter(source="step").values_list("friend_id", "text")
    ) == [(ann.pk, "coupon_acquired step")]


def test_coupon_unused_n_days_starts_once(account, alice):
    t0 = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)
    ann, bob, cat = (make_friend(account) for _ in range(3))
    with freeze_time(t0):
        coupon = make_coupon(account)
        _sequence(account, alice, coupon, "coupon_unused", days=3)
        for friend in (ann, bob, cat):
            coupon_acquire(coupon=coupon, friend=friend)
        coupon_use(ticket=CouponTicket.objects.get(friend=bob))
    with freeze_time(t0 + dt.timedelta(days=2, hours=23)):
        assert start_unused_coupon_steps_task() == 0
    with freeze_time(t0 + dt.timedelta(days=3)):
        assert start_unused_coupon_steps_task() == 2
        assert start_unused_coupon_steps_task() == 0
    assert sorted(StepEnrollment.objects.values_list("friend_id", flat=True)) == [
        ann.pk,
        cat.pk,
    ]


def test_trigger_needs_a_running_coupon_and_days(account, alice):
    coupon = make_coupon(account)
    with (
        assert_unchanged(),
        pytest.raises(ApplicationError, match="Enter 1 to 365 days."),
    ):
        _sequence(account, alice, coupon, "coupon_unused", days=0)
    coupon_close(coupon=coupon)
    with (
        assert_unchanged(),
        pytest.raises(ApplicationError, match="Choose a coupon that is running."),
    ):
        _sequence(account, alice, coupon, "coupon_acquired")


def test_composer_bubbles_take_only_running_coupons_of_the_account(
    account, other_account
):
    mine = make_coupon(account)
    assert bubbles_clean(
        account=account, messages=[{"type": "coupon", "couponId": mine.coupon_id}]
    ) == [{"type": "coupon", "couponId": mine.coupon_id}]
    theirs = make_coupon(other_account)
    closed = make_coupon(account)
    coupon_close(coupon=closed)
    for coupon in (theirs, closed):
        with (
            assert_unchanged(),
            pytest.raises(
                ApplicationError, match="Bubble 1: choose a coupon that is running."
            ),
        ):
            bubbles_clean(
                account=account,
                messages=[{"type": "coupon", "couponId": coupon.coupon_id}],
            )


def test_chat_reply_with_a_coupon(account, alice, other_account):
    conversation = talk(account)
    coupon = make_coupon(account)
    sent = chat_message_send(
        account=account,
        actor=alice,
        conversation_id=conversation.pk,
        message={"type": "coupon", "couponId": coupon.coupon_id},
    )
    assert sent.payload == {"type": "coupon", "couponId": coupon.coupon_id}
    theirs = make_coupon(other_account)
    with (
        assert_unchanged(),
        pytest.raises(ApplicationError, match="Choose a coupon that is running."),
    ):
        chat_message_send(
            account=account,
            actor=alice,
            conversation_id=conversation.pk,
            message={"type": "coupon", "couponId": theirs.coupon_id},
        )
    assert Message.objects.filter(type="coupon").count() == 1


def test_greeting_with_a_coupon_and_a_closed_one_refused(account, alice):
    from messaging.automation.services import greeting_update
    from messaging.store.checks import MessagesInvalid

    coupon = make_coupon(account)
    bubble = {"type": "coupon", "couponId": coupon.coupon_id}
    greeting = greeting_update(
        account=account,
        actor=alice,
        enabled=True,
        send_on_unblock=True,
        messages=[bubble],
    )
    assert greeting.messages == [bubble]
    coupon_close(coupon=coupon)
    with assert_unchanged(), pytest.raises(MessagesInvalid) as excinfo:
        greeting_update(
            account=account,
            actor=alice,
            enabled=True,
            send_on_unblock=True,
            messages=[bubble, {"type": "text", "text": "hi"}],
        )
    assert excinfo.value.errors == [
        {"message": "Invalid couponId", "property": "messages[0].couponId"}
    ]


def test_step_editor_saves_a_coupon_trigger(alice_client, account):
    import json

    from messaging.automation.models import StepSequence

    coupon = make_coupon(account)
    url = f"/manager/{account.slug}/broadcasts/steps/new/"
    steps = [
        {
            "delay_value": 1,
            "delay_unit": "days",
            "messages": [{"type": "text", "text": "Use it!"}],
        }
    ]
    data = {
        "name": "Unused coupon nudge",
        "is_active": "on",
        "steps": json.dumps(steps),
        "trigger": "coupon_unused",
        "trigger_ref": coupon.coupon_id,
        "trigger_days": "400",
    }
    with assert_unchanged():
        response = alice_client.post(url, data)
    assert response.status_code == 400
    assert "Enter 1 to 365 days." in response.content.decode()
    assert StepSequence.objects.count() == 0
    response = alice_client.post(url, {**data, "trigger_days": "3"})
    assert response.status_code == 302
    sequence = StepSequence.objects.get()
    assert (sequence.trigger, sequence.trigger_ref, sequence.trigger_days) == (
        "coupon_unused",
        coupon.coupon_id,
        3,
    )
    page = alice_client.get(f"/manager/{account.slug}/broadcasts/steps/{sequence.pk}/")
    html = page.content.decode()
    assert f'<option value="{coupon.coupon_id}" selected>' in html
    assert 'value="3" data-testid="step-trigger-days"' in html
