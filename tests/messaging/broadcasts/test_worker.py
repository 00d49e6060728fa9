"""A real Celery worker process on real Redis and PostgreSQL.

The worker is ``celery -A config worker`` started as a subprocess against
the test database (``DATABASE_URL`` points at ``test_<name>``) and the
test broker (``CELERY_BROKER_URL``; this run's keys in it are deleted
first, tests/redis_keys.py). The second test kills the worker's whole process group
with SIGKILL while a batch transaction is open, starts a new worker, and
checks that every recipient ends with exactly one delivery and one copy of
each message.
"""

import datetime as dt
import os
import time
import uuid
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.db.models import Count, F, Sum
from django.utils import timezone

from bench.common import CeleryProcess
from config.celery import app
from messaging.broadcasts.control import (
    broadcast_schedule,
    broadcast_send_now,
    broadcasts_dispatch,
)
from messaging.broadcasts.fanout import BATCH_SIZE, broadcast_start
from messaging.broadcasts.models import Broadcast, BroadcastBatch, Delivery
from messaging.store.models import Message
from tests.factories import UserFactory, make_account
from tests.messaging.broadcasts.helpers import bulk_friends, draft, text, usage_pair
from tests.redis_keys import redis_delete_run_keys

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
]

RECIPIENTS = 5000
BUBBLES = [
    text("Hello {Nickname}! Autumn sale: https://shop.example/autumn"),
    {"type": "sticker", "packageId": "446", "stickerId": "1991"},
]


def _database_url() -> str:
    db = connection.settings_dict
    return (
        f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )


class Worker(CeleryProcess):
    """A ready ``celery worker -c 1`` on this test run's database and broker."""

    def __init__(self, log_dir: Path):
        env = {
            **os.environ,
            "DATABASE_URL": _database_url(),
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "DB_CONN_MAX_AGE": "0",
        }
        super().__init__(
            "worker",
            env,
            log_dir,
            "-c",
            "1",
            "-n",
            f"bc-{uuid.uuid4().hex[:6]}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        )
        self.wait_for_line(" ready.", timeout=60)


@pytest.fixture
def broker():
    """An empty broker (this run's keys); tasks from this process go to it.

    One broker for every worker test of a run, so they must not run side by side:
    ``make test`` runs the suite in one process (``-m "not worker"`` with
    pytest-xdist, then the worker tests alone, is the fast way locally).
    """
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    redis_delete_run_keys(settings.CELERY_BROKER_URL)
    app.conf.task_always_eager = False
    try:
        yield client
    finally:
        app.conf.task_always_eager = True
        redis_delete_run_keys(settings.CELERY_BROKER_URL)


@pytest.fixture
def workers(broker, tmp_path):
    started: list[Worker] = []

    def start() -> Worker:
        worker = Worker(tmp_path)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def _wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _status(broadcast_id: int) -> str:
    return Broadcast.objects.filter(pk=broadcast_id).values_list("status", flat=True)[0]


def _assert_exactly_once(broadcast: Broadcast, friend_ids: list[int]) -> None:
    deliveries = Delivery.objects.filter(broadcast=broadcast)
    assert deliveries.count() == len(friend_ids)
    assert set(deliveries.values_list("friend_id", flat=True)) == set(friend_ids)
    per_friend = (
        Message.objects.filter(source="broadcast")
        .values("friend_id")
        .annotate(n=Count("id"))
        .values_list("n", flat=True)
        .distinct()
    )
    assert list(per_friend) == [len(BUBBLES)]
    assert Message.objects.filter(source="broadcast").count() == len(friend_ids) * len(
        BUBBLES
    )
    # each delivery points at the first bubble its recipient got
    linked = deliveries.filter(
        message__friend_id=F("friend_id"), message__type="text"
    ).count()
    assert linked == len(friend_ids)


def test_a_worker_delivers_a_5000_friend_broadcast(workers):
    # given 5,000 friends on the Light plan (exactly 5,000 messages a month)
    admin = UserFactory(username="worker-admin")
    account = make_account(admin=admin, name="Worker Café")
    friend_ids = bulk_friends(account, RECIPIENTS)
    broadcast = draft(account, admin, messages=BUBBLES)
    workers()
    # when staff press "send now"; the start task goes through the broker
    broadcast_send_now(broadcast=broadcast, actor=admin)
    _wait_for(lambda: _status(broadcast.pk) == "sent", 180, "the broadcast to finish")
    # then everyone got it exactly once and the quota is exact
    broadcast.refresh_from_db()
    assert (broadcast.target_count, broadcast.sent_count) == (RECIPIENTS, RECIPIENTS)
    assert BroadcastBatch.objects.filter(broadcast=broadcast).count() == -(
        -RECIPIENTS // BATCH_SIZE
    )
    _assert_exactly_once(broadcast, friend_ids)
    assert usage_pair(account) == (RECIPIENTS, 0)


def _open_batch_transaction() -> bool:
    """A worker backend is inside a batch transaction right now."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND xact_start IS NOT NULL "
            "AND state IN ('active', 'idle in transaction') "
            "AND query ILIKE '%%messaging_%%'"
        )
        return cursor.fetchone()[0] > 0


def _other_backends() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def test_killing_the_worker_mid_batch_neither_duplicates_nor_skips(workers):
    # given 5,000 friends and a broadcast planned in 20 batches of 250
    admin = UserFactory(username="kill-admin")
    account = make_account(admin=admin, name="Crash Café")
    friend_ids = bulk_friends(account, RECIPIENTS)
    broadcast = draft(account, admin, messages=BUBBLES)
    broadcast_schedule(
        broadcast=broadcast, actor=admin, when=timezone.now() + dt.timedelta(seconds=1)
    )
    first = workers()
    time.sleep(1.1)
    assert broadcast_start(broadcast_id=broadcast.pk, batch_size=250)
    # when the worker's process group is SIGKILLed inside a batch transaction
    _wait_for(
        lambda: Delivery.objects.filter(broadcast=broadcast).count() >= 500,
        120,
        "the first batches",
    )
    _wait_for(_open_batch_transaction, 60, "a batch transaction in flight")
    first.kill()
    _wait_for(lambda: _other_backends() == 0, 30, "PostgreSQL to drop the dead session")
    # then only whole batches survived: no half-written batch, no message
    # without its delivery, and work remains
    done = BroadcastBatch.objects.filter(broadcast=broadcast, status="done")
    survived = Delivery.objects.filter(broadcast=broadcast).count()
    assert survived == (done.aggregate(n=Sum("sent"))["n"] or 0)
    assert Message.objects.filter(source="broadcast").count() == survived * len(BUBBLES)
    assert 0 < survived < RECIPIENTS
    assert _status(broadcast.pk) == "sending"
    # when a new worker starts and beat's dispatcher revives the lost batches
    workers()
    revived = broadcasts_dispatch(stall_seconds=0)["revived"]
    assert revived  # the batches whose tasks died with the worker
    _wait_for(lambda: _status(broadcast.pk) == "sent", 180, "the broadcast to finish")
    # then every recipient has exactly one delivery and one of each message
    broadcast.refresh_from_db()
    assert broadcast.sent_count == RECIPIENTS
    _assert_exactly_once(broadcast, friend_ids)
    assert usage_pair(account) == (RECIPIENTS, 0)


def test_a_broker_that_loses_its_queues_mid_fan_out_recovers_at_the_next_tick(
    workers, broker
):
    """Redis restarted without persistence (issue 19, #8): the queued batch
    tasks are gone. The dispatcher's next tick (every 15 s under beat)
    re-queues them because the broker's sentinel is gone too, not because
    BATCH_STALL_SECONDS passed; nobody gets the broadcast twice."""
    admin = UserFactory(username="flush-admin")
    account = make_account(admin=admin, name="Flush Café")
    friend_ids = bulk_friends(account, RECIPIENTS)
    broadcast = draft(account, admin, messages=BUBBLES)
    broadcast_schedule(
        broadcast=broadcast, actor=admin, when=timezone.now() + dt.timedelta(seconds=1)
    )
    workers()
    time.sleep(1.1)
    assert broadcast_start(broadcast_id=broadcast.pk, batch_size=250)
    _wait_for(
        lambda: Delivery.objects.filter(broadcast=broadcast).count() >= 500,
        120,
        "the first batches",
    )
    # when the broker loses every queued task (a restart empties it)
    redis_delete_run_keys(settings.CELERY_BROKER_URL)

    def settled() -> bool:
        before = Delivery.objects.filter(broadcast=broadcast).count()
        time.sleep(1.5)
        return before == Delivery.objects.filter(broadcast=broadcast).count()

    _wait_for(settled, 60, "the worker to run out of tasks")
    assert _status(broadcast.pk) == "sending"
    assert Delivery.objects.filter(broadcast=broadcast).count() < RECIPIENTS
    # then the next tick of the dispatcher (default stall window) revives
    # exactly the batches still pending
    pending = list(
        BroadcastBatch.objects.filter(broadcast=broadcast, status="pending")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    assert pending
    assert broadcasts_dispatch()["revived"] == pending
    _wait_for(lambda: _status(broadcast.pk) == "sent", 180, "the broadcast to finish")
    broadcast.refresh_from_db()
    assert broadcast.sent_count == RECIPIENTS
    _assert_exactly_once(broadcast, friend_ids)
    assert usage_pair(account) == (RECIPIENTS, 0)


def test_a_scheduled_broadcast_goes_out_through_beats_dispatcher_task(workers):
    """The beat path as deployed (issue 19, #12): the dispatcher task itself
    runs on the worker, finds the due broadcast and starts it there."""
    from messaging.broadcasts.tasks import broadcasts_dispatch_task

    admin = UserFactory(username="beat-admin")
    account = make_account(admin=admin, name="Beat Café")
    friend_ids = bulk_friends(account, 300)
    broadcast = draft(account, admin, messages=BUBBLES)
    broadcast_schedule(
        broadcast=broadcast, actor=admin, when=timezone.now() + dt.timedelta(seconds=1)
    )
    workers()
    time.sleep(1.1)
    # when beat's tick reaches the worker through the broker
    broadcasts_dispatch_task.delay()
    _wait_for(lambda: _status(broadcast.pk) == "sent", 120, "the broadcast to finish")
    broadcast.refresh_from_db()
    assert broadcast.sent_count == 300
    _assert_exactly_once(broadcast, friend_ids)
    assert usage_pair(account) == (300, 0)
