"""Several deliveries in one webhook POST (issue 18, #9): when deliveries to
one bot wait together, a task claims them in one statement and sends their
events in one body, as LINE does (spec 3.1), on a real local bot."""

import datetime as dt
import json

import pytest
from django.db import transaction
from django.utils import timezone
from linebot.v3.webhook import WebhookParser
from linebot.v3.webhooks import MessageEvent

from chat.inbound import customer_message_send
from messaging.webhooks.models import WebhookAttempt, WebhookDelivery
from messaging.webhooks.services import webhook_endpoint_set
from messaging.webhooks.tasks import deliver_webhook_task
from tests.messaging.api.factories import customer

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def hanako_and_taro(account, bot):
    """Two friends, then the webhook switched on (no follow events)."""
    friends = customer(account, display_name="Hanako"), customer(account)
    webhook_endpoint_set(account=account, actor=None, url=bot.url, active=True)
    return friends


def _send_together(hanako, taro):
    """Three customer messages committed at once: their deliveries wait
    together when the first task runs."""
    with transaction.atomic():
        for friend, text in ((hanako, "a1"), (taro, "b1"), (hanako, "a2")):
            customer_message_send(friend=friend, message={"type": "text", "text": text})


def _texts(received) -> list[str]:
    return [e["message"]["text"] for e in json.loads(received.body)["events"]]


def test_deliveries_waiting_together_go_in_one_signed_post_in_order(
    account, bot, hanako_and_taro
):
    hanako, taro = hanako_and_taro
    # when three messages of two customers commit together
    _send_together(hanako, taro)
    # then the bot gets one POST with the three events in order
    received = bot.get()
    bot.assert_nothing()
    events = WebhookParser(account.channel_secret).parse(
        received.body.decode(), received.headers["x-line-signature"]
    )
    assert [e.message.text for e in events] == ["a1", "b1", "a2"]
    assert all(isinstance(e, MessageEvent) for e in events)
    assert [e.source.user_id for e in events] == [
        hanako.line_user.user_id,
        taro.line_user.user_id,
        hanako.line_user.user_id,
    ]
    assert [e.delivery_context.is_redelivery for e in events] == [False] * 3
    assert len({e.reply_token for e in events}) == 3
    # and each delivery is marked delivered once, with one attempt
    deliveries = WebhookDelivery.objects.order_by("id")
    assert [(d.status, d.attempt_count) for d in deliveries] == [("succeeded", 1)] * 3
    assert list(
        WebhookAttempt.objects.order_by("delivery_id").values_list(
            "delivery_id", "status_code", "is_redelivery"
        )
    ) == [(d.pk, 200, False) for d in deliveries]


def test_a_failed_post_fails_every_delivery_in_it(account, bot, hanako_and_taro):
    # given a bot that answers 500 and redelivery off
    bot.script.append((500, 0))
    # when three deliveries go in one POST
    _send_together(*hanako_and_taro)
    assert _texts(bot.get()) == ["a1", "b1", "a2"]
    bot.assert_nothing()
    # then all three failed, each with its attempt
    assert (
        list(
            WebhookDelivery.objects.values_list("status", "attempt_count", "last_error")
        )
        == [("failed", 1, "HTTP 500 Internal Server Error")] * 3
    )
    assert WebhookAttempt.objects.filter(status_code=500).count() == 3


def test_a_failed_post_is_retried_together_as_redeliveries(
    account, bot, hanako_and_taro, settings
):
    # given redelivery on, no backoff, and a bot that fails once
    settings.WEBHOOK_RETRY_BACKOFF_SECONDS = 0
    webhook_endpoint_set(account=account, actor=None, redelivery=True)
    bot.script.append((503, 0))
    # when three deliveries go in one POST
    _send_together(*hanako_and_taro)
    first, second = bot.get(), bot.get()
    bot.assert_nothing()
    # then the retry carries the same three events, flagged, re-signed
    before, after = json.loads(first.body)["events"], json.loads(second.body)["events"]
    assert [e["webhookEventId"] for e in after] == [e["webhookEventId"] for e in before]
    assert [e["deliveryContext"]["isRedelivery"] for e in after] == [True] * 3
    WebhookParser(account.channel_secret).parse(
        second.body.decode(), second.headers["x-line-signature"]
    )
    for delivery in WebhookDelivery.objects.all():
        assert (delivery.status, delivery.attempt_count) == ("succeeded", 2)
        assert list(delivery.attempts.values_list("status_code", "is_redelivery")) == [
            (503, False),
            (200, True),
        ]


def _rows(account, bot, n: int) -> list[WebhookDelivery]:
    """``n`` pending deliveries whose tasks were never queued."""
    return [
        WebhookDelivery.objects.create(
            account=account,
            url=bot.url,
            payload={
                "destination": account.bot_user_id,
                "events": [{"type": "unfollow", "n": i}],
            },
        )
        for i in range(n)
    ]


def test_a_full_batch_queues_the_next(account, bot, webhook_on, settings):
    # given two deliveries per POST and five waiting with one task queued
    settings.WEBHOOK_BATCH_SIZE = 2
    rows = _rows(account, bot, 5)
    # when that task runs
    deliver_webhook_task.delay(rows[0].pk)
    # then all five arrive, oldest first, two at a time
    bodies = [json.loads(bot.get().body)["events"] for _i in range(3)]
    bot.assert_nothing()
    assert [[e["n"] for e in events] for events in bodies] == [[0, 1], [2, 3], [4]]
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {
        "succeeded"
    }


def test_a_batch_takes_only_due_deliveries_of_the_same_url(
    account, bot, webhook_on, other_account
):
    # given a retry still backing off, a delivery to another URL, another
    # account's delivery and a verify check
    own, *_ = rows = _rows(account, bot, 2)
    waiting = WebhookDelivery.objects.create(
        account=account,
        url=bot.url,
        payload=own.payload,
        attempt_count=1,
        next_attempt_at=timezone.now() + dt.timedelta(minutes=1),
    )
    elsewhere = WebhookDelivery.objects.create(
        account=account, url=bot.url + "?v=2", payload=own.payload
    )
    foreign = WebhookDelivery.objects.create(
        account=other_account, url=bot.url, payload=own.payload
    )
    check = WebhookDelivery.objects.create(
        account=account, url=bot.url, payload=own.payload, is_test=True
    )
    # when the first delivery's task runs
    deliver_webhook_task.delay(own.pk)
    # then only the two due deliveries of that bot and URL went
    assert len(json.loads(bot.get().body)["events"]) == 2
    bot.assert_nothing()
    states = dict(WebhookDelivery.objects.values_list("pk", "status"))
    assert states == {
        rows[0].pk: "succeeded",
        rows[1].pk: "succeeded",
        waiting.pk: "pending",
        elsewhere.pk: "pending",
        foreign.pk: "pending",
        check.pk: "pending",
    }


def test_delivery_task_query_counts(
    account, bot, webhook_on, django_assert_num_queries
):
    """Pinned: the same 7 queries for one delivery and for a batch (its bot,
    the claim, then BEGIN, commit mode, attempt rows, states, COMMIT); 2
    for a task whose delivery went in an earlier batch."""
    one = _rows(account, bot, 1)
    with django_assert_num_queries(7):
        deliver_webhook_task.delay(one[0].pk)
    three = _rows(account, bot, 3)
    with django_assert_num_queries(7):
        deliver_webhook_task.delay(three[0].pk)
    assert [len(json.loads(bot.get().body)["events"]) for _i in range(2)] == [1, 3]
    with django_assert_num_queries(2):
        deliver_webhook_task.delay(three[1].pk)
    bot.assert_nothing()
