"""Faults injected into a 5,000-friend fan-out on real workers (issue 19, #8).

Each test starts real ``celery worker`` processes (the fixtures of
test_worker.py), starts a broadcast planned in 20 batches of 250, injects
one fault when a few batches are done, and lets a stand-in for beat run the
dispatcher once a second (beat runs it every 15 s) until the broadcast is
``sent``. Then: exactly one delivery row and one copy of each message per
recipient, nobody missed, and the month's quota ``used`` equals what was
delivered with nothing left reserved.

The faults: the worker's process group SIGKILLed mid-batch; PostgreSQL
dropping every connection of the test database for two seconds (the
shared server is never restarted: ``pg_terminate_backend`` on every other
backend, again and again, is what a restart looks like from the workers);
the broker, a ``redis-server`` of the test's own, restarted empty; two
workers taking every batch at the same moment (each enqueued twice).
bench/faults.py does the same at 100,000 friends with real restarts.
"""

import datetime as dt
import time
from dataclasses import dataclass

import pytest
from django.db import connection
from django.utils import timezone

from bench.common import RedisServer
from config.celery import app
from core.broker import broker_data_lost
from messaging.broadcasts.control import broadcast_schedule, broadcasts_dispatch
from messaging.broadcasts.fanout import broadcast_start
from messaging.broadcasts.models import BroadcastBatch, Delivery
from messaging.broadcasts.tasks import broadcast_batch_task
from tests.factories import UserFactory, make_account
from tests.messaging.broadcasts import test_worker
from tests.messaging.broadcasts.helpers import bulk_friends, draft, usage_pair
from tests.messaging.broadcasts.test_worker import (
    BUBBLES,
    _assert_exactly_once,
    _open_batch_transaction,
    _status,
    _wait_for,
)

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
]

# The real-worker fixtures: a broker emptied of this run's keys, and
# ``workers()`` starting one ``celery worker -c 1`` process group.
broker = test_worker.broker
workers = test_worker.workers

RECIPIENTS = 5000
SMALL_BATCH = 250
# A fault strikes once this many recipients have their deliveries.
FAULT_AT = 2 * SMALL_BATCH
# How long after the fault ends the broadcast must be moving again (the
# issue's target: within 30 s of the broker coming back).
RECOVERY_SECONDS = 30


def _delivered(broadcast) -> int:
    return Delivery.objects.filter(broadcast=broadcast).count()


def _started(account, admin):
    """A broadcast to every friend, started in 20 pending batches of 250."""
    broadcast = draft(account, admin, messages=BUBBLES)
    broadcast_schedule(
        broadcast=broadcast, actor=admin, when=timezone.now() + dt.timedelta(seconds=1)
    )
    # The broker's sentinel exists, as beat's ticks keep it: only a broker
    # that really lost its data looks like one that did.
    broker_data_lost()
    time.sleep(1.1)
    assert broadcast_start(broadcast_id=broadcast.pk, batch_size=SMALL_BATCH)
    assert BroadcastBatch.objects.filter(broadcast=broadcast).count() == (
        RECIPIENTS // SMALL_BATCH
    )
    return broadcast


@dataclass(frozen=True)
class Recovery:
    """Seconds from the end of a fault to the first batch done after it
    (``moved``) and to the broadcast's ``sent`` (``finished``)."""

    moved: float
    finished: float


def _beat_until_sent(broadcast, *, since: float, timeout: float = 90) -> Recovery:
    """Run the dispatcher every second (beat: every 15 s) until ``sent``."""
    deadline = time.monotonic() + timeout
    baseline = _delivered(broadcast)
    moved_at = None
    next_tick = 0.0
    while time.monotonic() < deadline:
        if moved_at is None and _delivered(broadcast) > baseline:
            moved_at = time.monotonic()
        if _status(broadcast.pk) == "sent":
            finished_at = time.monotonic()
            return Recovery(
                moved=(moved_at or finished_at) - since, finished=finished_at - since
            )
        if time.monotonic() >= next_tick:
            broadcasts_dispatch()
            next_tick = time.monotonic() + 1.0
        time.sleep(0.05)
    raise AssertionError(
        f"broadcast still {_status(broadcast.pk)} with "
        f"{_delivered(broadcast)}/{RECIPIENTS} delivered"
    )


def _assert_delivered_exactly_once(broadcast, account, friend_ids) -> None:
    broadcast.refresh_from_db()
    assert (broadcast.status, broadcast.sent_count) == ("sent", RECIPIENTS)
    _assert_exactly_once(broadcast, friend_ids)
    assert usage_pair(account) == (RECIPIENTS, 0)


def test_a_worker_sigkilled_mid_fan_out_is_replaced_and_nobody_is_missed(workers):
    """The replacement worker drains the queue; the batch that died with
    the killed worker (its task unacknowledged, redelivered by Redis only
    after an hour) is re-queued by the dispatcher."""
    admin = UserFactory(username="sigkill-admin")
    account = make_account(admin=admin, name="Sigkill Café")
    friend_ids = bulk_friends(account, RECIPIENTS)
    first = workers()
    broadcast = _started(account, admin)
    _wait_for(lambda: _delivered(broadcast) >= FAULT_AT, 60, "the first batches")
    _wait_for(_open_batch_transaction, 30, "a batch transaction in flight")
    # when the worker dies inside a batch and a new one takes its place
    first.kill()
    workers()
    recovery = _beat_until_sent(broadcast, since=time.monotonic())
    # then the lost batch went out well before its task would come back
    # (it used to wait IDLE_STALL_SECONDS once the queue had drained)
    assert recovery.finished < RECOVERY_SECONDS
    _assert_delivered_exactly_once(broadcast, account, friend_ids)


def _terminate_other_backends(seconds: float) -> int:
    """Kill every other session of the test database, again and again.

    What a PostgreSQL restart looks like from the workers: open
    transactions roll back, connections drop, and for a while new ones die
    too. Returns how many backends were terminated.
    """
    killed = 0
    deadline = time.monotonic() + seconds
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) "
                "FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()"
            )
            killed += cursor.fetchone()[0]
            time.sleep(0.02)
    return killed


def test_postgresql_dropping_every_connection_mid_fan_out(workers):
    """Batches caught by the outage roll back and their tasks retry
    (``core.tasks.DB_RETRY``); nothing is written twice."""
    admin = UserFactory(username="pg-admin")
    account = make_account(admin=admin, name="Outage Café")
    friend_ids = bulk_friends(account, RECIPIENTS)
    worker = workers()
    broadcast = _started(account, admin)
    _wait_for(lambda: _delivered(broadcast) >= FAULT_AT, 60, "the first batches")
    _wait_for(_open_batch_transaction, 30, "a batch transaction in flight")
    # when every worker connection is killed for two seconds
    assert _terminate_other_backends(2.0) >= 1
    recovery = _beat_until_sent(broadcast, since=time.monotonic())
    # then the batch caught in it was retried, and nothing went twice
    assert recovery.moved < RECOVERY_SECONDS
    log = worker.log_path.read_text()
    assert "messaging.broadcast_batch_task[" in log
    assert " retry: Retry in " in log
    _assert_delivered_exactly_once(broadcast, account, friend_ids)


@pytest.fixture
def private_broker(settings, monkeypatch, tmp_path):
    """A ``redis-server`` of this test's own as the broker, for restarts.

    The test process and the workers it starts publish to and consume from
    it; the shared Redis is not touched.
    """
    server = RedisServer(tmp_path / "redis")
    before = settings.CELERY_BROKER_URL

    def use(url: str) -> None:
        # Celery reads the environment before its configuration.
        monkeypatch.setenv("CELERY_BROKER_URL", url)
        settings.CELERY_BROKER_URL = url
        app.conf.broker_url = url
        # The producer pools were made for the previous URL.
        app._pool = None
        app.amqp._producer_pool = None

    use(server.url())
    try:
        yield server
    finally:
        use(before)
        server.stop()


def test_the_broker_restarted_empty_mid_fan_out(private_broker, workers):
    """Redis restarted without persistence: the queued batch tasks are
    gone. The dispatcher's next tick sees the broker's sentinel gone too
    and re-queues every pending batch; the worker reconnects by itself."""
    admin = UserFactory(username="redis-admin")
    account = make_account(admin=admin, name="Restart Café")
    friend_ids = bulk_friends(account, RECIPIENTS)
    workers()
    broadcast = _started(account, admin)
    _wait_for(lambda: _delivered(broadcast) >= FAULT_AT, 60, "the first batches")
    # when the broker restarts, empty
    private_broker.restart()
    recovery = _beat_until_sent(broadcast, since=time.monotonic())
    # then
    assert recovery.moved < RECOVERY_SECONDS
    _assert_delivered_exactly_once(broadcast, account, friend_ids)


def test_two_workers_racing_on_every_batch(workers):
    """Every batch task is queued twice, side by side, so both workers
    take the same batch at the same moment; they serialise on the batch
    row and the second finds it done."""
    admin = UserFactory(username="race-admin")
    account = make_account(admin=admin, name="Race Café")
    friend_ids = bulk_friends(account, RECIPIENTS)
    pair = [workers(), workers()]
    # given two workers that consume nothing for now
    app.control.cancel_consumer("celery", reply=True, timeout=5)
    broadcast = _started(account, admin)
    # when each batch is queued twice in a row (the start's own tasks
    # replaced, so the queue is exactly the pairs)
    app.control.purge()
    batch_ids = list(
        BroadcastBatch.objects.filter(broadcast=broadcast)
        .order_by("seq")
        .values_list("pk", flat=True)
    )
    for batch_id in batch_ids:
        broadcast_batch_task.delay(batch_id)
        broadcast_batch_task.delay(batch_id)
    replies = app.control.add_consumer("celery", reply=True, timeout=5)
    assert len(replies) == 2
    # (no dispatcher ticks: every run of a batch task is one of the pairs)
    _wait_for(lambda: _status(broadcast.pk) == "sent", 90, "the broadcast to finish")
    # then every batch ran twice: once writing its 250, once finding it done
    results = [
        line.rsplit(": ", 1)[1]
        for worker in pair
        for line in worker.log_path.read_text().splitlines()
        if "messaging.broadcast_batch_task[" in line and " succeeded in " in line
    ]
    assert sorted(results) == ["0"] * len(batch_ids) + ["250"] * len(batch_ids)
    _assert_delivered_exactly_once(broadcast, account, friend_ids)
