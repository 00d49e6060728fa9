"""Webhook retries on a real Celery worker and the real broker (issue 19,
#9 and #12): the bot is down, the worker that holds the retry dies, the bot
comes back — the event arrives once more, flagged as a redelivery, and is
not lost. Worker fixtures: tests/messaging/broadcasts/test_worker.py."""

import datetime as dt
import json
import queue
import time

import pytest
from django.utils import timezone

from chat.inbound import customer_message_send
from messaging.webhooks.models import WebhookAttempt, WebhookDelivery
from messaging.webhooks.services import RESUME_GRACE, webhook_deliveries_resume
from tests.messaging.broadcasts.test_worker import (  # noqa: F401 - fixtures
    _wait_for,
    broker,
    workers,
)

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
]


def test_a_retry_lost_with_its_worker_is_delivered_once_when_the_bot_is_back(
    account, friend, bot, monkeypatch, request
):
    from messaging.webhooks.services import webhook_endpoint_set

    start_worker = request.getfixturevalue("workers")

    # given a bot that is down (503) and redelivery on; retries after 2 s, 6 s
    monkeypatch.setenv("WEBHOOK_RETRY_BACKOFF_SECONDS", "2")
    monkeypatch.setenv("WEBHOOK_ALLOW_PRIVATE_NETWORKS", "1")
    webhook_endpoint_set(
        account=account, actor=None, url=bot.url, active=True, redelivery=True
    )
    bot.script += [(503, 0), (503, 0)]
    first = start_worker()
    # when a customer writes
    customer_message_send(friend=friend, message={"type": "text", "text": "open?"})
    bot.get(timeout=30)
    bot.get(timeout=30)
    delivery = WebhookDelivery.objects.get()
    _wait_for(
        lambda: WebhookAttempt.objects.filter(delivery=delivery).count() == 2,
        10,
        "the second failure to be recorded",
    )
    # and the worker holding the third attempt (due in 6 s) is killed
    first.kill()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempt_count) == ("pending", 2)
    # then nothing arrives by itself (the task died with the worker)
    start_worker()
    with pytest.raises(queue.Empty):
        bot.get(timeout=8)
    # until beat's sweep finds the delivery overdue
    later = timezone.now() + RESUME_GRACE + dt.timedelta(seconds=1)
    assert webhook_deliveries_resume(now=later) == [delivery.pk]
    third = bot.get(timeout=30)
    event = json.loads(third.body)["events"][0]
    assert event["message"]["text"] == "open?"
    assert event["deliveryContext"] == {"isRedelivery": True}
    _wait_for(
        lambda: WebhookDelivery.objects.get().status == "succeeded",
        10,
        "the delivery to be recorded",
    )
    assert list(
        WebhookAttempt.objects.filter(delivery=delivery)
        .order_by("id")
        .values_list("status_code", "is_redelivery")
    ) == [(503, False), (503, True), (200, True)]
    # and exactly once: no copy follows
    time.sleep(1)
    with pytest.raises(queue.Empty):
        bot.get(timeout=1)


def test_a_burst_reaches_the_bot_in_full_posts_each_event_once(
    account, bot, monkeypatch, request
):
    """Issue 18, #9 on a real worker and broker: thirty deliveries committed
    together share one queued task, go in POSTs of ``WEBHOOK_BATCH_SIZE``
    (20, then the 10 left), in order, each event once."""
    from django.db import transaction

    from messaging.webhooks.services import webhook_endpoint_set
    from tests.messaging.api.factories import customer

    start_worker = request.getfixturevalue("workers")
    monkeypatch.setenv("WEBHOOK_ALLOW_PRIVATE_NETWORKS", "1")
    friends = [customer(account) for _i in range(3)]
    webhook_endpoint_set(account=account, actor=None, url=bot.url, active=True)
    start_worker()
    # when thirty messages of three customers commit together
    texts = [f"m{i}" for i in range(30)]
    with transaction.atomic():
        for i, text in enumerate(texts):
            customer_message_send(
                friend=friends[i % 3], message={"type": "text", "text": text}
            )
    # then two POSTs carry them all, in order
    bodies = [json.loads(bot.get(timeout=30).body)["events"] for _i in range(2)]
    with pytest.raises(queue.Empty):
        bot.get(timeout=2)
    assert [len(events) for events in bodies] == [20, 10]
    assert [e["message"]["text"] for events in bodies for e in events] == texts
    _wait_for(
        lambda: (
            set(WebhookDelivery.objects.values_list("status", flat=True))
            == {"succeeded"}
        ),
        10,
        "the deliveries to be recorded",
    )
    assert set(WebhookDelivery.objects.values_list("attempt_count", flat=True)) == {1}
    assert WebhookAttempt.objects.count() == 30
