"""API narrowcasts on the one fan-out engine, with a real Celery worker.

The same guarantees as the Manager's broadcasts (tests/messaging/broadcasts/
test_worker.py, whose worker fixtures are reused): a narrowcast accepted by
the API writes one delivery row per recipient, and killing the worker in the
middle of a batch ends with exactly one message per recipient.
"""

import time

import pytest
from django.db.models import Count, Sum

from messaging.api.selectors import narrowcast_progress
from messaging.api.services import Audience, narrowcast_accept
from messaging.broadcasts import fanout
from messaging.broadcasts.control import broadcasts_dispatch
from messaging.broadcasts.models import Broadcast, BroadcastBatch, Delivery
from messaging.store.models import Message
from tests.factories import UserFactory, make_account
from tests.messaging.broadcasts.helpers import bulk_friends, usage_pair
from tests.messaging.broadcasts.test_worker import (  # noqa: F401 - fixtures
    _open_batch_transaction,
    _other_backends,
    _status,
    _wait_for,
    broker,
    workers,
)

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
]

RECIPIENTS = 5000
MESSAGES = [
    {"type": "text", "text": "Hello {Nickname}! https://shop.example/sale"},
    {"type": "sticker", "packageId": "446", "stickerId": "1991"},
]


def _accept(account, request_id: str) -> Broadcast:
    return narrowcast_accept(
        account=account,
        messages=MESSAGES,
        audience=Audience(),
        request_id=request_id,
    )


def _assert_exactly_once(broadcast: Broadcast, friend_ids: list[int]) -> None:
    deliveries = Delivery.objects.filter(broadcast=broadcast, status="sent")
    assert deliveries.count() == len(friend_ids)
    assert set(deliveries.values_list("friend_id", flat=True)) == set(friend_ids)
    sent = Message.objects.filter(source=Message.Source.API_NARROWCAST)
    assert sent.count() == len(friend_ids) * len(MESSAGES)
    per_friend = set(
        sent.values("friend_id").annotate(n=Count("id")).values_list("n", flat=True)
    )
    assert per_friend == {len(MESSAGES)}


def test_an_api_narrowcast_to_5000_friends_writes_5000_delivery_rows(request):
    start_worker = request.getfixturevalue("workers")
    # given 5,000 friends on the Light plan (exactly 5,000 messages a month)
    admin = UserFactory(username="api-worker-admin")
    account = make_account(admin=admin, name="API Café")
    friend_ids = bulk_friends(account, RECIPIENTS)
    start_worker()
    # when a bot narrowcasts to all of them (its batches go through the broker)
    broadcast = _accept(account, "11111111-2222-3333-4444-555555555555")
    assert broadcast.origin == Broadcast.Origin.API_NARROWCAST
    _wait_for(lambda: _status(broadcast.pk) == "sent", 180, "the narrowcast to end")
    # then the ledger holds one row per recipient, each got every message once
    _assert_exactly_once(broadcast, friend_ids)
    assert usage_pair(account) == (RECIPIENTS, 0)
    progress = narrowcast_progress(account=account, request_id=broadcast.request_id)
    assert (progress["phase"], progress["success"], progress["failure"]) == (
        "succeeded",
        RECIPIENTS,
        0,
    )
    assert progress["target"] == RECIPIENTS


def test_killing_the_worker_mid_narrowcast_neither_duplicates_nor_skips(
    request, monkeypatch
):
    start_worker = request.getfixturevalue("workers")
    # given 5,000 friends and a narrowcast planned in 20 batches of 250
    monkeypatch.setattr(fanout, "BATCH_SIZE", 250)
    admin = UserFactory(username="api-kill-admin")
    account = make_account(admin=admin, name="API Crash Café")
    friend_ids = bulk_friends(account, RECIPIENTS)
    first = start_worker()
    broadcast = _accept(account, "99999999-2222-3333-4444-555555555555")
    assert BroadcastBatch.objects.filter(broadcast=broadcast).count() == 20
    # when the worker's process group is SIGKILLed inside a batch transaction
    _wait_for(
        lambda: Delivery.objects.filter(broadcast=broadcast).count() >= 500,
        120,
        "the first batches",
    )
    _wait_for(_open_batch_transaction, 60, "a batch transaction in flight")
    first.kill()
    _wait_for(lambda: _other_backends() == 0, 30, "PostgreSQL to drop the dead session")
    # then only whole batches survived, and the progress says "sending"
    done = BroadcastBatch.objects.filter(broadcast=broadcast, status="done")
    survived = Delivery.objects.filter(broadcast=broadcast).count()
    assert survived == (done.aggregate(n=Sum("sent"))["n"] or 0)
    assert 0 < survived < RECIPIENTS
    progress = narrowcast_progress(account=account, request_id=broadcast.request_id)
    assert (progress["phase"], progress["success"]) == ("sending", survived)
    # when a new worker starts and beat's dispatcher revives the lost batches
    start_worker()
    time.sleep(0.1)
    assert broadcasts_dispatch(stall_seconds=0)["revived"]
    _wait_for(lambda: _status(broadcast.pk) == "sent", 180, "the narrowcast to end")
    # then every recipient has exactly one delivery and one of each message
    _assert_exactly_once(broadcast, friend_ids)
    assert usage_pair(account) == (RECIPIENTS, 0)
