"""Step messages sent by beat's task on a real Celery worker (issue 19,
#12). Worker fixtures: tests/messaging/broadcasts/test_worker.py."""

import datetime as dt

import pytest
from django.utils import timezone

from messaging.automation.models import StepEnrollment
from messaging.automation.services import step_sequence_save
from messaging.automation.tasks import step_messages_send_task
from messaging.store.models import Message
from tests.factories import UserFactory, make_account
from tests.messaging.automation.test_steps import follow
from tests.messaging.broadcasts.helpers import text, usage_pair
from tests.messaging.broadcasts.test_worker import (  # noqa: F401 - fixtures
    _wait_for,
    broker,
    workers,
)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_due_step_messages_go_out_from_the_worker_once(request):
    start_worker = request.getfixturevalue("workers")
    admin = UserFactory(username="steps-admin")
    account = make_account(admin=admin, name="Steps Café")
    step_sequence_save(
        account=account,
        actor=admin,
        name="Welcome",
        is_active=True,
        steps=[
            {
                "delay_value": 1,
                "delay_unit": "days",
                "messages": [text("Day 1 {Nickname}")],
            }
        ],
    )
    friends = [follow(account, f"F{i}", "female") for i in range(3)]
    # the day has passed for every enrollment
    StepEnrollment.objects.update(next_at=timezone.now() - dt.timedelta(seconds=1))
    start_worker()
    # when beat's task reaches the worker, twice (a repeated tick)
    step_messages_send_task.delay()
    step_messages_send_task.delay()

    def sent() -> int:
        return Message.objects.filter(source=Message.Source.STEP).count()

    _wait_for(lambda: sent() == 3, 60, "the step messages")
    _wait_for(
        lambda: (
            set(StepEnrollment.objects.values_list("status", flat=True))
            == {StepEnrollment.Status.COMPLETED}
        ),
        30,
        "the enrollments to complete",
    )
    assert sorted(
        Message.objects.filter(source=Message.Source.STEP).values_list(
            "friend_id", "text"
        )
    ) == sorted((f.pk, f"Day 1 {f.line_user.display_name}") for f in friends)
    assert usage_pair(account) == (3, 0)
