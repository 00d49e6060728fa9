"""Step messages: delays from the friend add, conditions, quota, stopping."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from freezegun import freeze_time

from accounts import quota
from chat.inbound import customer_block, customer_follow
from core.exceptions import ApplicationError
from messaging.automation.models import StepDelivery, StepEnrollment
from messaging.automation.services import (
    step_enrollment_stop,
    step_sequence_save,
    step_sequence_stop,
    step_sequences_start_for_friend,
)
from messaging.automation.tasks import step_messages_send_task
from messaging.store.models import Message
from tests.factories import LineUserFactory
from tests.messaging.broadcasts.helpers import text, usage_pair
from tests.unchanged import assert_unchanged

TOKYO = ZoneInfo("Asia/Tokyo")
T0 = dt.datetime(2026, 11, 24, 10, 0, tzinfo=TOKYO)


def at(delta: dt.timedelta):
    return freeze_time(T0 + delta)


def texts(friend) -> list[str]:
    return list(
        Message.objects.filter(friend=friend, source=Message.Source.STEP)
        .order_by("id")
        .values_list("text", flat=True)
    )


@pytest.fixture
def sequence(account, alice):
    return step_sequence_save(
        account=account,
        actor=alice,
        name="Welcome",
        is_active=True,
        steps=[
            {
                "delay_value": 1,
                "delay_unit": "days",
                "messages": [text("Day 1 {Nickname}")],
            },
            {
                "delay_value": 3,
                "delay_unit": "hours",
                "messages": [text("For women")],
                "condition": {
                    "match": "all",
                    "conditions": [{"type": "gender", "values": ["female"]}],
                },
            },
            {"delay_value": 30, "delay_unit": "minutes", "messages": [text("Last")]},
        ],
    )


def follow(account, name, gender):
    """The real follow flow, then the hook the lead wires into it."""
    user = LineUserFactory(display_name=name, gender=gender)
    friend = customer_follow(account=account, line_user=user).friend
    step_sequences_start_for_friend(friend=friend)
    return friend


def test_steps_go_out_on_time_with_conditions_and_count_quota(account, sequence):
    # given two friends added at T0
    with at(dt.timedelta()):
        ann = follow(account, "Ann", "female")
        bob = follow(account, "Bob", "male")
    # a minute before the first step, nothing is due
    with at(dt.timedelta(hours=23, minutes=59)):
        assert step_messages_send_task() == 0
    assert texts(ann) == [] and usage_pair(account) == (0, 0)
    # a day later both get step 1
    with at(dt.timedelta(days=1)):
        assert step_messages_send_task() == 2
    assert texts(ann) == ["Day 1 Ann"] and texts(bob) == ["Day 1 Bob"]
    assert usage_pair(account) == (2, 0)
    # step 2 is 3 hours after step 1's time, for women only
    with at(dt.timedelta(days=1, hours=2, minutes=59)):
        assert step_messages_send_task() == 0
    with at(dt.timedelta(days=1, hours=3)):
        assert step_messages_send_task() == 2
    assert texts(ann) == ["Day 1 Ann", "For women"]
    assert texts(bob) == ["Day 1 Bob"]
    assert usage_pair(account) == (3, 0)
    # step 3 for both, then the sequence is complete
    with at(dt.timedelta(days=1, hours=3, minutes=30)):
        assert step_messages_send_task() == 2
        assert step_messages_send_task() == 0
    assert texts(bob) == ["Day 1 Bob", "Last"]
    assert usage_pair(account) == (5, 0)
    statuses = {
        (e.friend.line_user.display_name, e.status)
        for e in StepEnrollment.objects.select_related("friend__line_user")
    }
    assert statuses == {("Ann", "completed"), ("Bob", "completed")}
    outcomes = sorted(
        StepDelivery.objects.filter(enrollment__friend=bob).values_list(
            "step__position", "status"
        )
    )
    assert outcomes == [(1, "sent"), (2, "skipped"), (3, "sent")]


def test_late_runs_catch_up_without_sending_twice(account, sequence):
    with at(dt.timedelta()):
        ann = follow(account, "Ann", "female")
    # beat was down for two days: every due step goes, each once
    with at(dt.timedelta(days=3)):
        step_messages_send_task()
        step_messages_send_task()
    assert texts(ann) == ["Day 1 Ann", "For women", "Last"]
    assert StepDelivery.objects.count() == 3
    assert usage_pair(account) == (3, 0)


def test_enrolment_is_once_per_friend_and_only_in_active_sequences(
    account, alice, sequence
):
    step_sequence_save(
        account=account,
        actor=alice,
        name="Paused one",
        is_active=False,
        steps=[{"delay_value": 0, "delay_unit": "minutes", "messages": [text("x")]}],
    )
    with at(dt.timedelta()):
        ann = follow(account, "Ann", "female")
        step_sequences_start_for_friend(friend=ann)
    assert list(StepEnrollment.objects.values_list("sequence__name", flat=True)) == [
        "Welcome"
    ]
    assert StepEnrollment.objects.get().next_at == T0 + dt.timedelta(days=1)


def test_stop_for_one_friend_or_for_everyone(account, alice, sequence):
    with at(dt.timedelta()):
        ann = follow(account, "Ann", "female")
        bob = follow(account, "Bob", "male")
    ann_enrollment = StepEnrollment.objects.get(friend=ann)
    step_enrollment_stop(account=account, actor=alice, enrollment=ann_enrollment)
    with at(dt.timedelta(days=1)):
        assert step_messages_send_task() == 1
    assert texts(ann) == [] and texts(bob) == ["Day 1 Bob"]
    stopped = step_sequence_stop(account=account, actor=alice, sequence=sequence)
    assert stopped == 1
    with at(dt.timedelta(days=5)):
        assert step_messages_send_task() == 0
        carl = follow(account, "Carl", "male")
    assert texts(bob) == ["Day 1 Bob"]
    assert not StepEnrollment.objects.filter(friend=carl).exists()
    assert usage_pair(account) == (1, 0)


def test_blocked_friends_skip_steps_and_are_not_counted(account, sequence):
    with at(dt.timedelta()):
        ann = follow(account, "Ann", "female")
        customer_block(friend=ann)
    with at(dt.timedelta(days=1)):
        assert step_messages_send_task() == 1
    assert texts(ann) == []
    assert StepDelivery.objects.get().status == StepDelivery.Status.SKIPPED
    assert usage_pair(account) == (0, 0)


def test_step_the_quota_cannot_cover_is_recorded_not_sent(account, sequence):
    with at(dt.timedelta()):
        ann = follow(account, "Ann", "female")
        quota.quota_consume(account=account, count=5000)  # the month is full
    with at(dt.timedelta(days=1)):
        assert step_messages_send_task() == 1
    assert texts(ann) == []
    assert StepDelivery.objects.get().status == StepDelivery.Status.FAILED
    assert StepEnrollment.objects.get().next_position == 2
    assert usage_pair(account) == (5000, 0)


@pytest.mark.parametrize(
    ("steps", "error"),
    [
        ([], "Add at least one step."),
        (
            [{"delay_value": -1, "delay_unit": "days", "messages": [text("x")]}],
            "Step 1: enter a delay of up to a year.",
        ),
        (
            [{"delay_value": 1, "delay_unit": "weeks", "messages": [text("x")]}],
            "Step 1: enter a delay of up to a year.",
        ),
        (
            [{"delay_value": 1, "delay_unit": "days", "messages": []}],
            "Step 1: Add at least one message bubble.",
        ),
    ],
)
def test_bad_steps_are_refused(account, alice, steps, error):
    # when the sequence is saved, then it is refused and nothing is written
    with assert_unchanged(), pytest.raises(ApplicationError) as excinfo:
        step_sequence_save(
            account=account, actor=alice, name="x", is_active=True, steps=steps
        )
    assert excinfo.value.message == error


def test_editing_steps_keeps_positions_and_history(account, alice, sequence):
    with at(dt.timedelta()):
        follow(account, "Ann", "female")
    with at(dt.timedelta(days=1)):
        step_messages_send_task()
    step_sequence_save(
        account=account,
        actor=alice,
        name="Welcome",
        is_active=True,
        sequence=sequence,
        steps=[
            {"delay_value": 1, "delay_unit": "days", "messages": [text("Day 1 v2")]},
            {"delay_value": 1, "delay_unit": "hours", "messages": [text("Only two")]},
        ],
    )
    assert StepDelivery.objects.filter(status="sent").count() == 1
    with at(dt.timedelta(days=1, hours=3)):
        step_messages_send_task()
    ann = StepEnrollment.objects.get()
    assert ann.status == StepEnrollment.Status.COMPLETED
    assert texts(ann.friend) == ["Day 1 Ann", "Only two"]
