"""The fan-out's exactly-once mechanics, task by task and under races.

A real worker being killed is in test_worker.py; here the services are
called directly (as the tasks do) to pin each guarantee on its own.
"""

import datetime as dt
import threading

import pytest
import redis
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from accounts import services as account_services
from config.celery import app
from core import broker
from core.exceptions import ApplicationError
from messaging.broadcasts.control import (
    broadcast_cancel,
    broadcast_pause,
    broadcast_resume,
    broadcast_send_now,
    broadcasts_dispatch,
)
from messaging.broadcasts.fanout import (
    IDLE_STALL_SECONDS,
    LOST_TASK_GRACE_SECONDS,
    broadcast_batch_send,
    broadcast_finish,
    broadcast_start,
)
from messaging.broadcasts.links import ClickTokens
from messaging.broadcasts.models import Broadcast, BroadcastBatch, Delivery
from messaging.broadcasts.recipients import _recipients
from messaging.broadcasts.selectors import broadcast_progress
from messaging.broadcasts.tasks import broadcast_batch_task
from messaging.broadcasts.writers import _OrmWriter, _PostgresWriter, _write_recipients
from messaging.friends.models import LineUser
from messaging.store.models import Message
from tests.factories import UserFactory, make_account
from tests.messaging.broadcasts.helpers import bulk_friends, draft, text, usage_pair
from tests.unchanged import assert_unchanged


def queued(account, actor, capture, **kwargs) -> Broadcast:
    """A broadcast sent with its start task held back (not yet started)."""
    broadcast = draft(account, actor, **kwargs)
    with capture(execute=False):
        broadcast_send_now(broadcast=broadcast, actor=actor)
    return broadcast


def started(account, actor, capture, *, batch_size, **kwargs) -> list[BroadcastBatch]:
    broadcast = queued(account, actor, capture, **kwargs)
    with capture(execute=False):
        assert broadcast_start(broadcast_id=broadcast.pk, batch_size=batch_size)
    return list(BroadcastBatch.objects.filter(broadcast=broadcast).order_by("seq"))


def test_start_plans_keyset_batches_and_reserves_everything(
    account, alice, django_capture_on_commit_callbacks
):
    # given 23 friends
    ids = bulk_friends(account, 23)
    # when it starts with batches of 10
    batches = started(account, alice, django_capture_on_commit_callbacks, batch_size=10)
    # then three contiguous id ranges cover the audience
    assert [(b.after_id, b.last_id, b.planned) for b in batches] == [
        (0, ids[9], 10),
        (ids[9], ids[19], 10),
        (ids[19], ids[22], 3),
    ]
    broadcast = batches[0].broadcast
    assert (broadcast.status, broadcast.target_count, broadcast.reserved) == (
        Broadcast.Status.SENDING,
        23,
        23,
    )
    assert broadcast.cursor == ids[22]
    assert usage_pair(account) == (0, 23)


def test_a_batch_run_twice_sends_once(
    account, alice, django_capture_on_commit_callbacks
):
    bulk_friends(account, 12)
    batches = started(account, alice, django_capture_on_commit_callbacks, batch_size=5)
    first = broadcast_batch_send(batch_id=batches[0].pk)
    again = broadcast_batch_send(batch_id=batches[0].pk)
    assert (first.sent, again) == (5, None)
    assert Delivery.objects.count() == 5
    assert Message.objects.filter(source="broadcast").count() == 5
    assert usage_pair(account) == (5, 7)


def test_only_deliveries_inserted_by_this_run_get_messages(
    account, alice, django_capture_on_commit_callbacks
):
    """A recipient whose delivery row already exists is not sent again."""
    ids = bulk_friends(account, 4)
    batches = started(account, alice, django_capture_on_commit_callbacks, batch_size=10)
    broadcast = batches[0].broadcast
    # given a delivery for the second friend, as if another run wrote it
    Delivery.objects.create(
        broadcast=broadcast,
        friend_id=ids[1],
        status=Delivery.Status.SENT,
        sent_at=timezone.now(),
    )
    # when the batch runs
    result = broadcast_batch_send(batch_id=batches[0].pk)
    # then the other three got one message each, the second friend none
    assert result.sent == 3
    by_friend = dict(
        Message.objects.filter(source="broadcast")
        .values_list("friend_id")
        .annotate(n=Count("id"))
    )
    assert by_friend == {ids[0]: 1, ids[2]: 1, ids[3]: 1}
    assert Delivery.objects.filter(broadcast=broadcast).count() == 4
    assert usage_pair(account) == (3, 1)


def test_the_orm_writer_writes_the_same_rows_as_the_postgres_writer(
    account, alice, django_capture_on_commit_callbacks, settings
):
    """SQLite (development) uses the ORM writer; both must agree exactly,
    also on names and texts that need escaping in SQL, JSON and COPY."""
    settings.SITE_URL = "https://oa.example"
    ids = bulk_friends(account, 6)
    LineUser.objects.filter(friendships__pk=ids[1]).update(
        display_name='Tab\tBack\\slash "Q"'
    )
    messages = [
        text("Hi {Nickname} https://x.example/a"),
        text('Q"uote {Nickname}\nline two\ttab \\N end'),
    ]
    outputs = []
    for writer in (_PostgresWriter(), _OrmWriter()):
        batches = started(
            account,
            alice,
            django_capture_on_commit_callbacks,
            batch_size=10,
            messages=messages,
        )
        broadcast = batches[0].broadcast
        recipients = list(
            _recipients(broadcast)
            .order_by("id")
            .values_list("id", "line_user_id", "line_user__display_name")
        )
        _write_recipients(writer, broadcast, recipients, [], now=timezone.now())
        link = broadcast.links.get()
        rows = []
        for d in Delivery.objects.filter(broadcast=broadcast).order_by("friend_id"):
            first, second = Message.objects.filter(
                friend_id=d.friend_id, source="broadcast"
            ).order_by("id")
            assert d.message_id == first.pk
            rows.append(
                (
                    d.friend_id,
                    d.status,
                    first.payload["text"]
                    .replace(link.code, "CODE")
                    .replace(ClickTokens(broadcast).token(d.friend_id), "TOKEN"),
                    second.payload,
                    second.text,
                )
            )
        Message.objects.filter(source="broadcast").delete()
        outputs.append(rows)
    assert outputs[0] == outputs[1]
    assert [r[0] for r in outputs[0]] == ids
    assert outputs[0][0][2] == "Hi Guest 0 https://oa.example/r/CODE/TOKEN"
    tricky = 'Q"uote Tab\tBack\\slash "Q"\nline two\ttab \\N end'
    assert outputs[0][1][3] == {"type": "text", "text": tricky}
    assert outputs[0][1][4] == tricky


def test_pause_stops_new_batches_and_resume_finishes_exactly(
    account, alice, django_capture_on_commit_callbacks
):
    bulk_friends(account, 30)
    batches = started(account, alice, django_capture_on_commit_callbacks, batch_size=10)
    broadcast = batches[0].broadcast
    broadcast_batch_send(batch_id=batches[0].pk)
    # when paused, pending batches do nothing
    broadcast_pause(broadcast=broadcast, actor=alice)
    assert broadcast_batch_send(batch_id=batches[1].pk) is None
    progress = broadcast_progress(broadcast=Broadcast.objects.get(pk=broadcast.pk))
    assert (progress["status"], progress["sent"], progress["total"]) == (
        "paused",
        10,
        30,
    )
    assert progress["eta_seconds"] is None
    assert Delivery.objects.count() == 10
    # when resumed, the rest goes out and the broadcast finishes
    with django_capture_on_commit_callbacks(execute=True):
        broadcast_resume(broadcast=broadcast, actor=alice)
    broadcast.refresh_from_db()
    assert broadcast.status == Broadcast.Status.SENT
    assert (
        Delivery.objects.count()
        == Message.objects.filter(source="broadcast").count()
        == 30
    )
    assert usage_pair(account) == (30, 0)


def test_pause_and_resume_refuse_the_wrong_states(account, alice, crowd):
    broadcast = draft(account, alice)
    with assert_unchanged(), pytest.raises(ApplicationError):
        broadcast_pause(broadcast=broadcast, actor=alice)
    with assert_unchanged(), pytest.raises(ApplicationError):
        broadcast_resume(broadcast=broadcast, actor=alice)


def test_stopping_mid_way_keeps_what_went_and_releases_the_rest(
    account, alice, django_capture_on_commit_callbacks
):
    bulk_friends(account, 25)
    batches = started(account, alice, django_capture_on_commit_callbacks, batch_size=10)
    broadcast = batches[0].broadcast
    broadcast_batch_send(batch_id=batches[0].pk)
    broadcast_cancel(broadcast=broadcast, actor=alice)
    # a batch task arriving afterwards does nothing
    assert broadcast_batch_send(batch_id=batches[1].pk) is None
    broadcast.refresh_from_db()
    assert (broadcast.status, broadcast.sent_count) == (Broadcast.Status.CANCELLED, 10)
    assert usage_pair(account) == (10, 0)
    with assert_unchanged(), pytest.raises(ApplicationError):
        broadcast_cancel(broadcast=broadcast, actor=alice)
    assert usage_pair(account) == (10, 0)


def test_finish_is_idempotent_and_waits_for_pending_batches(
    account, alice, django_capture_on_commit_callbacks
):
    bulk_friends(account, 8)
    batches = started(account, alice, django_capture_on_commit_callbacks, batch_size=5)
    broadcast_id = batches[0].broadcast_id
    assert broadcast_finish(broadcast_id=broadcast_id) is False
    for batch in batches:
        broadcast_batch_send(batch_id=batch.pk)
    assert broadcast_finish(broadcast_id=broadcast_id) is True
    assert broadcast_finish(broadcast_id=broadcast_id) is False
    assert usage_pair(account) == (8, 0)


def test_a_batch_costs_the_same_queries_whatever_its_size(
    account, alice, django_capture_on_commit_callbacks, django_assert_num_queries
):
    """Fan-out is set-based: no query per recipient (STYLE rule 9)."""
    bulk_friends(account, 60)
    batches = started(
        account,
        alice,
        django_capture_on_commit_callbacks,
        batch_size=50,
        messages=[text("a {Nickname}"), text("b https://x.example")],
    )
    # lookup, key-share lock, batch lock, broadcast, recipients, blocked,
    # message ids, deliveries, friends, batch update, foreign-key checks,
    # quota commit and the test transaction's savepoint pair. The messages
    # go by COPY: one more round trip, which the query counter does not see.
    with django_assert_num_queries(14):
        assert broadcast_batch_send(batch_id=batches[0].pk).sent == 50
    with django_assert_num_queries(14):
        assert broadcast_batch_send(batch_id=batches[1].pk).sent == 10


def waiting_in_broker(batch_id: int) -> None:
    """Put a batch task in the test broker's queue (purged by the fixture)."""
    app.conf.task_always_eager = False
    try:
        broadcast_batch_task.delay(batch_id)
    finally:
        app.conf.task_always_eager = True
    assert broker.broker_queue_length() == 1


def test_dispatch_revives_batches_whose_task_was_lost(
    account, alice, django_capture_on_commit_callbacks, broker_purged
):
    bulk_friends(account, 12)
    batches = started(account, alice, django_capture_on_commit_callbacks, batch_size=5)
    broadcast = batches[0].broadcast
    broadcast_batch_send(batch_id=batches[0].pk)
    # nothing is stale yet
    with django_capture_on_commit_callbacks(execute=True):
        assert broadcasts_dispatch()["revived"] == []
    # batches queued long ago are left alone while batches keep finishing
    # and the broker still holds tasks (a long queue draining)
    waiting_in_broker(batches[2].pk)
    BroadcastBatch.objects.filter(broadcast=broadcast).update(
        enqueued_at=timezone.now() - dt.timedelta(hours=1)
    )
    soon = timezone.now() + dt.timedelta(minutes=2)
    BroadcastBatch.objects.filter(pk=batches[0].pk).update(
        done_at=soon - dt.timedelta(seconds=10)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert broadcasts_dispatch(now=soon)["revived"] == []
    # once no batch anywhere finished for IDLE_STALL_SECONDS, nothing drains
    # the queue: the two pending batches are enqueued again
    idle = soon + dt.timedelta(seconds=IDLE_STALL_SECONDS)
    with django_capture_on_commit_callbacks(execute=True):
        result = broadcasts_dispatch(now=idle)
    assert result["revived"] == [batches[1].pk, batches[2].pk]
    broadcast.refresh_from_db()
    assert broadcast.status == Broadcast.Status.SENT
    assert Delivery.objects.count() == 12
    assert usage_pair(account) == (12, 0)


@pytest.mark.django_db(transaction=True)
def test_an_empty_broker_queue_gets_the_batches_nobody_holds_at_the_next_tick(
    tasks_not_run,
):
    """A worker killed mid-batch takes its task with it (Redis would hand
    it back after an hour). With nothing left in the queue, a pending batch
    that no transaction holds has lost its task: the next tick re-queues
    it, well before IDLE_STALL_SECONDS; a batch running right now (its row
    locked) is left to its worker."""
    admin = UserFactory(username="lost-admin")
    account = make_account(admin=admin, name="Lost Café")
    bulk_friends(account, 15)
    broadcast = draft(account, admin)
    Broadcast.objects.filter(pk=broadcast.pk).update(
        status=Broadcast.Status.SCHEDULED, scheduled_at=timezone.now()
    )
    assert broadcast_start(broadcast_id=broadcast.pk, batch_size=5)
    ids = list(
        BroadcastBatch.objects.filter(broadcast=broadcast)
        .order_by("seq")
        .values_list("pk", flat=True)
    )
    assert broker.broker_queue_length() == 3
    # given the workers took all three tasks and died with them
    app.control.purge()
    assert broker.broker_queue_length() == 0
    # then a tick within the grace leaves them (their tasks may be on the way)
    assert broadcasts_dispatch()["revived"] == []
    # when one batch is running on a worker (its row locked) at the next tick
    locked, release = threading.Event(), threading.Event()

    def run_batch():
        try:
            with transaction.atomic():
                BroadcastBatch.objects.select_for_update().get(pk=ids[1])
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    worker = threading.Thread(target=run_batch)
    worker.start()
    assert locked.wait(10)
    later = timezone.now() + dt.timedelta(seconds=LOST_TASK_GRACE_SECONDS)
    try:
        result = broadcasts_dispatch(now=later)
    finally:
        release.set()
        worker.join()
    # then the two nobody holds are queued again, once each
    assert result["revived"] == [ids[0], ids[2]]
    assert broker.broker_queue_length() == 2
    # and while they wait in the queue, the next tick adds nothing
    assert broadcasts_dispatch(now=later)["revived"] == []
    assert broker.broker_queue_length() == 2
    assert Delivery.objects.filter(broadcast=broadcast).count() == 0


def test_a_broker_that_lost_its_queues_gets_every_pending_batch_again_at_once(
    account, alice, django_capture_on_commit_callbacks, settings
):
    """A Redis broker restarted without persistence comes back empty: the
    dispatcher notices at its next tick (core.broker), not minutes later."""
    bulk_friends(account, 12)
    batches = started(account, alice, django_capture_on_commit_callbacks, batch_size=5)
    broadcast_batch_send(batch_id=batches[0].pk)
    with django_capture_on_commit_callbacks(execute=True):
        assert broadcasts_dispatch()["revived"] == []
    # when the broker's database is emptied
    redis.Redis.from_url(settings.CELERY_BROKER_URL).delete(broker.sentinel_key())
    # then the very next tick re-queues the batches queued a moment ago
    with django_capture_on_commit_callbacks(execute=True):
        result = broadcasts_dispatch()
    assert result["revived"] == [batches[1].pk, batches[2].pk]
    assert Delivery.objects.count() == 12
    assert usage_pair(account) == (12, 0)
    # and the tick after that sees the broker as it is now
    assert broker.broker_data_lost() is False


def test_suspension_mid_fan_out_fails_it_and_releases_quota(
    account, alice, django_capture_on_commit_callbacks
):
    bulk_friends(account, 12)
    batches = started(account, alice, django_capture_on_commit_callbacks, batch_size=5)
    broadcast_batch_send(batch_id=batches[0].pk)
    account_services.account_suspend(account=account, actor=None, reason="abuse")
    with django_capture_on_commit_callbacks(execute=True):
        assert broadcast_batch_send(batch_id=batches[1].pk) is None
    broadcast = Broadcast.objects.get(pk=batches[0].broadcast_id)
    assert broadcast.status == Broadcast.Status.FAILED
    assert "suspended" in broadcast.failure_reason
    assert usage_pair(account) == (5, 0)


# --- Races on real connections --------------------------------------------------


def _race(n: int, target) -> list:
    """Run ``target(i)`` in ``n`` threads released together; return results."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i):
        try:
            barrier.wait()
            results[i] = target(i)
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.mark.django_db(transaction=True)
def test_two_staff_pressing_send_at_once_start_exactly_one_fan_out(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    admin = UserFactory(username="presser")
    account = make_account(admin=admin, name="Race Café")
    bulk_friends(account, 40)
    broadcast = draft(account, admin)

    def press(_i):
        fresh = Broadcast.objects.select_related("account", "segment").get(
            pk=broadcast.pk
        )
        broadcast_send_now(broadcast=fresh, actor=admin)
        return "sent"

    results = _race(2, press)
    assert sorted(map(str, results)) == [
        "This broadcast has already been scheduled or sent.",
        "sent",
    ]
    broadcast.refresh_from_db()
    assert broadcast.status == Broadcast.Status.SENT
    assert BroadcastBatch.objects.filter(broadcast=broadcast).count() == 1
    assert Delivery.objects.filter(broadcast=broadcast).count() == 40
    assert Message.objects.filter(source="broadcast").count() == 40
    assert usage_pair(account) == (40, 0)


@pytest.mark.django_db(transaction=True)
def test_concurrent_starts_and_batches_count_quota_exactly(tasks_not_run):
    """Four starts race for one broadcast; six batch runs race for three."""
    admin = UserFactory(username="racer")
    account = make_account(admin=admin, name="Race Café")
    bulk_friends(account, 30)
    broadcast = draft(account, admin)
    Broadcast.objects.filter(pk=broadcast.pk).update(
        status=Broadcast.Status.SCHEDULED, scheduled_at=timezone.now()
    )
    starts = _race(
        4,
        lambda i: broadcast_start(broadcast_id=broadcast.pk, batch_size=10),
    )
    assert sorted(starts) == [False, False, False, True]
    ids = list(
        BroadcastBatch.objects.filter(broadcast=broadcast).values_list("pk", flat=True)
    )
    runs = _race(6, lambda i: broadcast_batch_send(batch_id=ids[i % 3]))
    assert sorted(r.sent for r in runs if r) == [10, 10, 10]
    assert sum(1 for r in runs if r is None) == 3
    assert Delivery.objects.filter(broadcast=broadcast).count() == 30
    assert Message.objects.filter(source="broadcast").count() == 30
    assert usage_pair(account) == (30, 0)
    assert broadcast_finish(broadcast_id=broadcast.pk) is True
    assert usage_pair(account) == (30, 0)


@pytest.mark.django_db(transaction=True)
def test_two_broadcasts_racing_for_the_last_quota_reserve_exactly_once(
    tasks_not_run,
):
    """Quota for one of two broadcasts: exactly one starts, no overdraft."""
    from accounts import quota

    admin = UserFactory(username="quota-racer")
    account = make_account(admin=admin, name="Tight Café", plan_code="communication")
    bulk_friends(account, 120)
    first = draft(account, admin, title="first")
    second = draft(account, admin, title="second")
    Broadcast.objects.filter(pk__in=[first.pk, second.pk]).update(
        status=Broadcast.Status.SCHEDULED, scheduled_at=timezone.now()
    )
    results = _race(
        2,
        lambda i: broadcast_start(broadcast_id=(first, second)[i].pk, batch_size=50),
    )
    assert results == [True, True]
    statuses = sorted(
        Broadcast.objects.filter(pk__in=[first.pk, second.pk]).values_list(
            "status", flat=True
        )
    )
    assert statuses == [Broadcast.Status.FAILED, Broadcast.Status.SENDING]
    failed = Broadcast.objects.get(status=Broadcast.Status.FAILED)
    assert failed.failure_reason == (
        "The Communication plan allows 200 messages this month "
        "(left: 80, requested: 120)."
    )
    assert usage_pair(account) == (0, 120)
    assert quota.usage_get(account=account).remaining == 80
