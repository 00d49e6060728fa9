"""The one fan-out engine: planned batches, a per-recipient ledger, exactly
once (docs/broadcasts.md).
"""

import json
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Max, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.quota import (
    AccountSuspended,
    QuotaExceeded,
    Reservation,
    quota_commit,
    quota_release,
    quota_reserve,
)
from core.events import account_group, line_user_group, send_event_on_commit
from messaging.audience.conditions import audience_friends, segment_q
from messaging.broadcasts.links import _links_template
from messaging.broadcasts.models import Broadcast, BroadcastBatch, BroadcastLink
from messaging.broadcasts.recipients import (
    _definition_of,
    _recipients,
    _sample_hash,
    _sample_threshold,
    _subset_q,
)
from messaging.broadcasts.writers import _OrmWriter, _PostgresWriter, _write_recipients
from messaging.friends.models import Friend
from messaging.store.models import Message
from messaging.store.placeholders import placeholders_render
from messaging.store.services import message_event

# Recipients per batch task. One batch is one transaction writing this many
# deliveries and their messages (~0.4 s of PostgreSQL work for one bubble on
# the 2-core CI box). A batch also pays ~70 ms of fixed cost (a dozen small
# queries, the commit, the task round trip, a progress event), so smaller
# batches lose throughput: 1,000 ran at 60 % of this size's rate in
# bench/fanout.py. Still small enough that a pause takes effect within a
# second and a crash redoes at most this many; a worker holds one batch
# (~5 MB).
BATCH_SIZE = 5000
# When no batch of a sending broadcast finished for this long, the beat
# dispatcher enqueues its pending batches again (their tasks were lost with
# a killed worker). Running a batch twice is harmless, so this only bounds
# how late a broadcast resumes after a crash.
BATCH_STALL_SECONDS = 300
# When no batch of any broadcast finished for this long while batches wait,
# nothing is draining the queue (workers killed, or their tasks lost): the
# dispatcher re-queues without waiting for BATCH_STALL_SECONDS. A broker
# that lost its queues (``core.broker``) is caught at the next beat tick.
IDLE_STALL_SECONDS = 30
# When the broker's queue is empty, a pending batch that no transaction
# holds and that was queued at least this long ago has lost its task (its
# worker was killed; Redis would hand the task back after an hour): the
# dispatcher re-queues it at the next beat tick, without waiting for
# IDLE_STALL_SECONDS. The grace covers the moment between a start's commit
# and its tasks reaching the broker.
LOST_TASK_GRACE_SECONDS = 10
# Batches up to this many recipients also publish one ``message.created``
# event per recipient to their talk app; larger ones publish one progress
# event per batch and talk apps pick the message up by polling. One Redis
# round trip per recipient would cost more than writing the batch.
LIVE_EVENTS_MAX = 200


def _plan(broadcast: Broadcast, batch_size: int) -> list[BroadcastBatch]:
    """Cut the audience into keyset batches in one statement.

    Numbers recipients by id and keeps every ``batch_size``-th id and the
    last one as batch bounds; ``lead()`` marks the last row without
    counting the audience a second time. One snapshot, so the bounds and
    the planned counts agree exactly.
    """
    sql, params = _recipients(broadcast).values("id").query.sql_with_params()
    bounds_sql = (
        "SELECT id, rn FROM (SELECT id, row_number() OVER (ORDER BY id) AS rn, "
        "lead(id) OVER (ORDER BY id) AS nxt "
        f"FROM ({sql}) AS audience) AS numbered "
        "WHERE rn %% %s = 0 OR nxt IS NULL ORDER BY id"
    )
    with connection.cursor() as cursor:
        cursor.execute(bounds_sql, [*params, batch_size])
        bounds = cursor.fetchall()
    batches = []
    after_id, done = 0, 0
    for seq, (last_id, rn) in enumerate(bounds, start=1):
        batches.append(
            BroadcastBatch(
                broadcast=broadcast,
                seq=seq,
                after_id=after_id,
                last_id=last_id,
                planned=rn - done,
            )
        )
        after_id, done = last_id, rn
    if batches:
        # The last batch reaches the account's newest friend, so every
        # blocked friend in the audience falls in some batch and is recorded
        # as skipped. Friends added later are never in range.
        newest = Friend.objects.filter(account_id=broadcast.account_id).aggregate(
            newest=Max("id")
        )["newest"]
        batches[-1].last_id = max(batches[-1].last_id, newest)
    return batches


def _fail(broadcast_id: int, reason: str) -> None:
    Broadcast.objects.filter(pk=broadcast_id).update(
        status=Broadcast.Status.FAILED,
        failure_reason=reason[:300],
        finished_at=timezone.now(),
    )


def _progress_event(broadcast: Broadcast, **extra) -> None:
    send_event_on_commit(
        groups=[account_group(broadcast.account_id)],
        event={
            "type": "broadcast.progress",
            "broadcast_id": broadcast.pk,
            "status": extra.pop("status", broadcast.status),
            **extra,
        },
    )


@transaction.atomic
def broadcast_start(
    *, broadcast_id: int, batch_size: int | None = None, strict: bool = False
) -> bool:
    """Claim a due broadcast, reserve its quota and plan its batches.

    One transaction: the conditional UPDATE ``scheduled → sending`` (so of
    any number of concurrent starts exactly one proceeds), the audience
    evaluated once, quota reserved for all of it, batch rows created. A
    crash rolls all of it back and leaves the broadcast scheduled. An
    audience that matches nobody, an exhausted quota or a suspended account
    ends the broadcast as failed with the reason; nothing is reserved.
    With ``strict`` (the Messaging API, which answers 429 at once) those two
    raise ``QuotaExceeded``/``AccountSuspended`` instead and the caller's
    transaction rolls everything back. An API broadcast that matches nobody
    ends as sent to nobody, as LINE reports it (phase ``succeeded``).
    Returns whether this call started it.
    """
    batch_size = batch_size or BATCH_SIZE
    now = timezone.now()
    claimed = Broadcast.objects.filter(
        pk=broadcast_id,
        status=Broadcast.Status.SCHEDULED,
        scheduled_at__lte=now,
    ).update(status=Broadcast.Status.SENDING, started_at=now, updated_at=now)
    if not claimed:
        return False
    broadcast = Broadcast.objects.select_related("account", "segment").get(
        pk=broadcast_id
    )
    account = broadcast.account
    broadcast.audience_used = _definition_of(broadcast)
    template, codes = _links_template(
        placeholders_render(broadcast.messages, account_name=account.display_name)
    )
    base = audience_friends(
        account=account, definition=broadcast.audience_used, now=now
    )
    if broadcast.max_recipients:
        matching = base.count()
        if matching > broadcast.max_recipients:
            broadcast.sample_hash, broadcast.sample_friend_id = _sample_threshold(
                broadcast, base
            )
    batches = _plan(broadcast, batch_size)
    total = sum(b.planned for b in batches)
    if total == 0 and broadcast.origin != Broadcast.Origin.MANAGER:
        Broadcast.objects.filter(pk=broadcast_id).update(
            status=Broadcast.Status.SENT, finished_at=now
        )
        return True
    if total == 0:
        _fail(broadcast_id, _("No friends matched the audience when sending."))
        _progress_event(broadcast, status=Broadcast.Status.FAILED)
        return True
    try:
        reservation = quota_reserve(account=account, count=total)
    except (QuotaExceeded, AccountSuspended) as exc:
        if strict:
            raise
        _fail(broadcast_id, exc.message)
        _progress_event(broadcast, status=Broadcast.Status.FAILED)
        return True
    broadcast.send_messages = template
    broadcast.target_count = total
    broadcast.usage_id = reservation.usage_id
    broadcast.reserved = reservation.count
    broadcast.cursor = batches[-1].last_id
    broadcast.save(
        update_fields=[
            "audience_used",
            "send_messages",
            "sample_hash",
            "sample_friend_id",
            "target_count",
            "usage",
            "reserved",
            "cursor",
        ]
    )
    for batch in batches:
        batch.enqueued_at = now
    BroadcastBatch.objects.bulk_create(batches)
    BroadcastLink.objects.bulk_create(
        [BroadcastLink(broadcast=broadcast, code=c, url=u) for u, c in codes.items()]
    )
    _progress_event(broadcast, status=Broadcast.Status.SENDING, sent=0, total=total)
    transaction.on_commit(lambda: _enqueue_pending(broadcast_id))
    return True


def _enqueue_pending(broadcast_id: int) -> None:
    # Local import: the tasks module imports this one.
    from messaging.broadcasts.tasks import broadcast_batch_task, broadcast_finish_task

    pending = list(
        BroadcastBatch.objects.filter(
            broadcast_id=broadcast_id, status=BroadcastBatch.Status.PENDING
        )
        .order_by("seq")
        .values_list("pk", flat=True)
    )
    for batch_id in pending:
        broadcast_batch_task.delay(batch_id)
    if not pending:
        broadcast_finish_task.delay(broadcast_id)


def _lock_broadcast_shared(broadcast_id: int) -> tuple | None:
    """Read the broadcast's state, holding off cancel/finish until commit.

    ``FOR KEY SHARE`` lets any number of batches run together and lets the
    plain UPDATEs of pause/resume through, but makes ``SELECT … FOR UPDATE``
    in cancel and finish wait until every batch in flight has committed, so
    the quota they release is exact. SQLite serialises writers anyway.
    """
    table = Broadcast._meta.db_table
    lock = " FOR KEY SHARE" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT status, account_id FROM {table} WHERE id = %s{lock}",
            [broadcast_id],
        )
        return cursor.fetchone()


@dataclass(frozen=True)
class BatchResult:
    sent: int
    blocked: int


def broadcast_batch_send(*, batch_id: int) -> BatchResult | None:
    """Send one batch exactly once; None if there was nothing to do.

    Safe to run any number of times, concurrently or after a crash: the
    batch row is locked, a done batch is skipped, deliveries are unique
    and messages are only written for deliveries this call inserted.
    """
    with transaction.atomic():
        result = _batch_send(batch_id)
    return result


def _batch_send(batch_id: int) -> BatchResult | None:
    broadcast_id = (
        BroadcastBatch.objects.filter(pk=batch_id)
        .values_list("broadcast_id", flat=True)
        .first()
    )
    if broadcast_id is None:
        return None
    state = _lock_broadcast_shared(broadcast_id)
    if state is None or state[0] != Broadcast.Status.SENDING:
        return None  # paused, cancelled or finished: the batch waits or dies
    batch = BroadcastBatch.objects.select_for_update().get(pk=batch_id)
    if batch.status == BroadcastBatch.Status.DONE:
        return None
    broadcast = Broadcast.objects.select_related("account").get(pk=broadcast_id)
    account = broadcast.account
    if account.is_suspended:
        transaction.on_commit(lambda: _suspended(broadcast_id))
        return None
    now = timezone.now()
    in_range = Q(id__gt=batch.after_id, id__lte=batch.last_id)
    recipients = list(
        _recipients(broadcast)
        .filter(in_range)
        .order_by("id")
        .values_list("id", "line_user_id", "line_user__display_name")[: batch.planned]
    )
    blocked_qs = (
        Friend.objects.filter(account=account, status=Friend.Status.BLOCKED)
        .filter(in_range)
        .filter(
            segment_q(
                account=account,
                definition=broadcast.audience_used,
                now=broadcast.started_at,
            )
        )
    )
    if broadcast.sample_hash is not None:
        blocked_qs = blocked_qs.annotate(
            sample_h=_sample_hash(broadcast.sample_seed)
        ).filter(_subset_q(broadcast))
    blocked_ids = list(blocked_qs.order_by("id").values_list("id", flat=True))
    writer = _PostgresWriter() if connection.vendor == "postgresql" else _OrmWriter()
    sent_rows = _write_recipients(writer, broadcast, recipients, blocked_ids, now=now)
    blocked = writer.blocked_inserted
    batch.status = BroadcastBatch.Status.DONE
    batch.sent = len({row[1] for row in sent_rows})
    batch.blocked = blocked
    batch.done_at = now
    writer.check_constraints()
    batch.save(update_fields=["status", "sent", "blocked", "done_at"])
    # Last, so the usage row (shared by every batch of the account) is
    # locked only for the end of the transaction.
    quota_commit(
        reservation=Reservation(usage_id=broadcast.usage_id, count=broadcast.reserved),
        count=batch.sent,
    )
    _publish_batch(broadcast, sent_rows)
    # After commit, so of the last batches committing together at least the
    # later one sees no batch pending (the dispatcher sweeps up otherwise).
    transaction.on_commit(lambda: _finish_if_done(broadcast_id))
    return BatchResult(sent=batch.sent, blocked=blocked)


def _finish_if_done(broadcast_id: int) -> None:
    # Local import: the tasks module imports this one.
    from messaging.broadcasts.tasks import broadcast_finish_task

    pending = BroadcastBatch.objects.filter(
        broadcast_id=broadcast_id, status=BroadcastBatch.Status.PENDING
    )
    if not pending.exists():
        broadcast_finish_task.delay(broadcast_id)


def _suspended(broadcast_id: int) -> None:
    broadcast_close(
        broadcast_id=broadcast_id,
        status=Broadcast.Status.FAILED,
        reason=_("The operator suspended the account while it was sending."),
    )


def _publish_batch(broadcast: Broadcast, rows: list) -> None:
    """One progress event per batch; per-recipient events for small ones."""
    _progress_event(broadcast, status=Broadcast.Status.SENDING)
    recipients = {r[1] for r in rows}
    if len(recipients) > LIVE_EVENTS_MAX:
        return
    for mid, fid, line_user_id, kind, payload, text in rows:
        message = Message(
            id=mid,
            friend_id=fid,
            direction=Message.Direction.OUTBOUND,
            source=broadcast.message_source,
            type=kind,
            payload=json.loads(payload),
            text=text,
            created_at=timezone.now(),
        )
        send_event_on_commit(
            groups=[line_user_group(line_user_id)], event=message_event(message)
        )


def broadcast_close(
    *, broadcast_id: int, status: str, reason: str = "", expect=None
) -> bool:
    """End a sending/paused broadcast: release unused quota exactly once.

    ``SELECT … FOR UPDATE`` waits for every batch in flight (they hold a key
    share lock), so the sum of done batches is final when the remainder is
    released. ``expect`` limits the statuses it may close from. Returns
    whether this call closed it.
    """
    expect = expect or (Broadcast.Status.SENDING, Broadcast.Status.PAUSED)
    with transaction.atomic():
        broadcast = Broadcast.objects.select_for_update().get(pk=broadcast_id)
        if broadcast.status not in expect:
            return False
        if (
            status == Broadcast.Status.SENT
            and BroadcastBatch.objects.filter(
                broadcast=broadcast, status=BroadcastBatch.Status.PENDING
            ).exists()
        ):
            return False
        totals = BroadcastBatch.objects.filter(broadcast=broadcast).aggregate(
            sent=Sum("sent"), blocked=Sum("blocked")
        )
        sent = totals["sent"] or 0
        now = timezone.now()
        if broadcast.usage_id is not None and broadcast.reserved > sent:
            quota_release(
                reservation=Reservation(
                    usage_id=broadcast.usage_id, count=broadcast.reserved
                ),
                count=broadcast.reserved - sent,
            )
        if broadcast.status == Broadcast.Status.PAUSED and broadcast.paused_at:
            broadcast.paused_seconds += int((now - broadcast.paused_at).total_seconds())
        broadcast.status = status
        broadcast.sent_count = sent
        broadcast.blocked_count = totals["blocked"] or 0
        broadcast.finished_at = now
        broadcast.failure_reason = reason[:300]
        broadcast.save(
            update_fields=[
                "status",
                "sent_count",
                "blocked_count",
                "finished_at",
                "failure_reason",
                "paused_seconds",
                "updated_at",
            ]
        )
        _progress_event(broadcast, sent=sent, total=broadcast.target_count)
    return True


def broadcast_finish(*, broadcast_id: int) -> bool:
    """Mark a broadcast sent once no batch is pending (idempotent)."""
    return broadcast_close(
        broadcast_id=broadcast_id,
        status=Broadcast.Status.SENT,
        expect=(Broadcast.Status.SENDING,),
    )
