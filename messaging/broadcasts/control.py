"""Sending, scheduling, test sends, pause, resume, cancel.

Quota is reserved atomically before fan-out (docs/quota.md); the fan-out
itself is ``messaging.broadcasts.fanout``.
"""

import datetime as dt
from enum import StrEnum

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import OfficialAccount, User
from accounts.quota import (
    quota_consume,
)
from accounts.services import audit_record
from core.broker import broker_data_lost, broker_queue_length
from core.exceptions import ApplicationError
from messaging.broadcasts.fanout import (
    BATCH_STALL_SECONDS,
    IDLE_STALL_SECONDS,
    LOST_TASK_GRACE_SECONDS,
    _enqueue_pending,
    _progress_event,
    broadcast_close,
    broadcast_start,
)
from messaging.broadcasts.models import Broadcast, BroadcastBatch
from messaging.broadcasts.selectors import Estimate, audience_estimate
from messaging.friends.selectors import staff_test_friends
from messaging.store.bubbles import bubbles_clean
from messaging.store.models import Message
from messaging.store.services import messages_send


def _check_sendable(broadcast: Broadcast, when: dt.datetime) -> Estimate:
    account = broadcast.account
    if account.is_suspended:
        raise ApplicationError(
            _("This account is suspended by the operator and cannot send messages.")
        )
    bubbles_clean(account=account, messages=broadcast.messages)
    estimate = audience_estimate(
        account=account,
        audience=broadcast.audience,
        segment=broadcast.segment,
        max_recipients=broadcast.max_recipients,
        when=when,
    )
    if estimate.recipients == 0:
        msg = _("No friends match this audience; nothing would be sent.")
        raise ApplicationError(msg, {"audience": msg})
    if not estimate.covered:
        msg = _(
            "This broadcast needs %(cost)s messages but the %(plan)s plan has "
            "%(remaining)s left this month."
        ) % {
            "cost": f"{estimate.recipients:,}",
            "plan": estimate.plan_name,
            "remaining": f"{estimate.remaining:,}",
        }
        raise ApplicationError(msg, {"audience": msg})
    return estimate


def _to_scheduled(broadcast: Broadcast, actor: User, when: dt.datetime) -> None:
    """The one transition out of draft: a conditional UPDATE."""
    claimed = Broadcast.objects.filter(
        pk=broadcast.pk, status=Broadcast.Status.DRAFT
    ).update(
        status=Broadcast.Status.SCHEDULED,
        scheduled_at=when,
        sent_by=actor,
        updated_at=timezone.now(),
    )
    if not claimed:
        raise ApplicationError(_("This broadcast has already been scheduled or sent."))
    broadcast.status = Broadcast.Status.SCHEDULED
    broadcast.scheduled_at = when


@transaction.atomic
def broadcast_send_now(*, broadcast: Broadcast, actor: User) -> Broadcast:
    """Queue a draft for immediate fan-out.

    Refuses (``ApplicationError``, nothing changed) an empty audience or a
    cost the month's quota cannot cover. Of two simultaneous presses one
    wins; the other gets "already scheduled or sent".
    """
    # Local import: the tasks module imports this one.
    from messaging.broadcasts.tasks import broadcast_start_task

    now = timezone.now()
    estimate = _check_sendable(broadcast, now)
    _to_scheduled(broadcast, actor, now)
    audit_record(
        account=broadcast.account,
        actor=actor,
        action="broadcast.send",
        target=broadcast.title,
        data={"broadcast_id": broadcast.pk, "estimate": estimate.recipients},
    )

    broadcast_id = broadcast.pk
    transaction.on_commit(lambda: broadcast_start_task.delay(broadcast_id))
    return broadcast


# How far ahead a broadcast may be scheduled (a typo like year 9999 is
# refused rather than kept as a draft nobody will ever see sent).
MAX_SCHEDULE_AHEAD = dt.timedelta(days=366)


@transaction.atomic
def broadcast_schedule(
    *, broadcast: Broadcast, actor: User, when: dt.datetime
) -> Broadcast:
    """Schedule a draft for ``when`` (aware; must be in the future).

    The beat dispatcher starts it when due. The quota check uses the
    month ``when`` falls in; the audience is counted again when it starts.
    """
    if timezone.is_naive(when):
        raise ValueError("when must be aware")
    if when <= timezone.now():
        msg = _("Choose a delivery time in the future.")
        raise ApplicationError(msg, {"scheduled_at": msg})
    if when > timezone.now() + MAX_SCHEDULE_AHEAD:
        msg = _("Choose a delivery time within a year.")
        raise ApplicationError(msg, {"scheduled_at": msg})
    estimate = _check_sendable(broadcast, when)
    _to_scheduled(broadcast, actor, when)
    audit_record(
        account=broadcast.account,
        actor=actor,
        action="broadcast.schedule",
        target=broadcast.title,
        data={
            "broadcast_id": broadcast.pk,
            "at": when.isoformat(),
            "estimate": estimate.recipients,
        },
    )
    return broadcast


class TestTo(StrEnum):
    """Who gets a test send: the sender's own LINE, or every member's."""

    ME = "me"
    STAFF = "staff"


@transaction.atomic
def broadcast_test_send(
    *, broadcast: Broadcast, actor: User, to: TestTo | str
) -> list[Message]:
    """Send the bubbles now to staff's own LINE; counted against the quota.

    ``to="me"``: the friend ``actor`` linked as their own LINE; ``"staff"``:
    every member's (``friend_staff_link_set``), as LINE sends tests to the
    account's members. Messages are stored with source ``test`` (the talk
    app marks them). Links are not rewritten and nothing is recorded as a
    delivery: a test is not part of the broadcast's figures. Test sends
    count one per recipient (spec, quota counting). Raises
    ``ApplicationError`` when nobody is linked, and ``QuotaExceeded``;
    then nothing is written.
    """
    account = broadcast.account
    bubbles_clean(account=account, messages=broadcast.messages)
    to = TestTo(to)
    friends = staff_test_friends(
        account=account, user=actor if to == TestTo.ME else None
    )
    if not friends:
        if to == TestTo.ME:
            msg = _(
                "Link your own LINE first: open yourself in Friends and press "
                "“This is my LINE”."
            )
        else:
            msg = _("No member has linked their own LINE for test messages yet.")
        raise ApplicationError(msg, {"test": msg})
    # Messages first, then quota: the same lock order as the fan-out
    # (friend rows, then the usage row); a refusal rolls both back.
    rows = messages_send(
        account=account,
        friends=friends,
        messages=broadcast.messages,
        source=Message.Source.TEST,
        sent_by=actor,
    )
    quota_consume(account=account, count=len(friends))
    audit_record(
        account=account,
        actor=actor,
        action="broadcast.test_send",
        target=broadcast.title,
        data={"broadcast_id": broadcast.pk, "to": str(to), "friends": len(friends)},
    )
    return rows


@transaction.atomic
def broadcast_pause(*, broadcast: Broadcast, actor: User) -> None:
    """Stop starting new batches; the ones running finish."""
    now = timezone.now()
    paused = Broadcast.objects.filter(
        pk=broadcast.pk, status=Broadcast.Status.SENDING
    ).update(status=Broadcast.Status.PAUSED, paused_at=now, updated_at=now)
    if not paused:
        raise ApplicationError(_("Only a broadcast that is sending can be paused."))
    audit_record(
        account=broadcast.account,
        actor=actor,
        action="broadcast.pause",
        target=broadcast.title,
        data={"broadcast_id": broadcast.pk},
    )
    _progress_event(broadcast, status=Broadcast.Status.PAUSED)


@transaction.atomic
def broadcast_resume(*, broadcast: Broadcast, actor: User) -> None:
    """Continue a paused broadcast from the batches still pending."""
    locked = Broadcast.objects.select_for_update().get(pk=broadcast.pk)
    if locked.status != Broadcast.Status.PAUSED:
        raise ApplicationError(_("Only a paused broadcast can be resumed."))
    now = timezone.now()
    if locked.paused_at:
        locked.paused_seconds += int((now - locked.paused_at).total_seconds())
    locked.status = Broadcast.Status.SENDING
    locked.paused_at = None
    locked.save(update_fields=["status", "paused_at", "paused_seconds", "updated_at"])
    BroadcastBatch.objects.filter(
        broadcast=locked, status=BroadcastBatch.Status.PENDING
    ).update(enqueued_at=now)
    audit_record(
        account=locked.account,
        actor=actor,
        action="broadcast.resume",
        target=locked.title,
        data={"broadcast_id": locked.pk},
    )
    _progress_event(locked, status=Broadcast.Status.SENDING)
    transaction.on_commit(lambda: _enqueue_pending(locked.pk))


def broadcast_cancel(*, broadcast: Broadcast, actor: User) -> None:
    """Cancel a scheduled broadcast, or stop one that is sending or paused.

    What was delivered stays delivered; the rest of the reservation goes
    back to the month's quota.
    """
    with transaction.atomic():
        unscheduled = Broadcast.objects.filter(
            pk=broadcast.pk, status=Broadcast.Status.SCHEDULED
        ).update(
            status=Broadcast.Status.CANCELLED,
            finished_at=timezone.now(),
            updated_at=timezone.now(),
        )
        closed = unscheduled or broadcast_close(
            broadcast_id=broadcast.pk, status=Broadcast.Status.CANCELLED
        )
        if not closed:
            raise ApplicationError(
                _("This broadcast has already finished; there is nothing to cancel.")
            )
        audit_record(
            account=broadcast.account,
            actor=actor,
            action="broadcast.cancel",
            target=broadcast.title,
            data={"broadcast_id": broadcast.pk},
        )


def broadcasts_dispatch(
    *, now: dt.datetime | None = None, stall_seconds: int = BATCH_STALL_SECONDS
) -> dict:
    """The beat loop: start due broadcasts, revive stalled ones.

    Everything it enqueues is idempotent, so running it often (or twice at
    once) costs only no-op tasks. Returns what it enqueued.
    """
    # Local import: the tasks module imports this one.
    from messaging.broadcasts.tasks import broadcast_finish_task, broadcast_start_task

    now = now or timezone.now()
    due = list(
        Broadcast.objects.filter(
            status=Broadcast.Status.SCHEDULED, scheduled_at__lte=now
        )
        .order_by("scheduled_at")
        .values_list("pk", flat=True)[:100]
    )
    for broadcast_id in due:
        broadcast_start_task.delay(broadcast_id)
    # A broadcast is stalled when no batch of it finished for a while; one
    # whose batches are still draining from a long queue is left alone, so
    # a big fan-out is not duplicated into the queue it is working through.
    # Three faster signals (issue 19, #8): the broker lost its queues (a
    # Redis restart) — every pending batch is re-queued at once; the
    # broker's queue is empty — nothing is waiting to run, so a pending
    # batch that no transaction holds has lost its task (a killed worker);
    # and no batch of any broadcast finished for IDLE_STALL_SECONDS while
    # batches wait — the workers are gone or idle, so nothing is draining.
    sending = Broadcast.objects.filter(status=Broadcast.Status.SENDING)
    if broker_data_lost():
        cutoff = now
        stalled = sending.values("pk")
    elif broker_queue_length() == 0:
        grace = min(stall_seconds, LOST_TASK_GRACE_SECONDS)
        cutoff = now - dt.timedelta(seconds=grace)
        stalled = sending.values("pk")
    else:
        idle_cutoff = now - dt.timedelta(seconds=min(stall_seconds, IDLE_STALL_SECONDS))
        if not BroadcastBatch.objects.filter(done_at__gt=idle_cutoff).exists():
            stall_seconds = min(stall_seconds, IDLE_STALL_SECONDS)
        cutoff = now - dt.timedelta(seconds=stall_seconds)
        stalled = (
            sending.annotate(last_done=Max("batches__done_at"))
            .filter(
                Q(last_done__lte=cutoff) | Q(last_done=None, started_at__lte=cutoff)
            )
            .values("pk")
        )
    stale = _batches_requeue(
        BroadcastBatch.objects.filter(
            status=BroadcastBatch.Status.PENDING,
            broadcast__in=stalled,
            enqueued_at__lte=cutoff,
        ),
        now=now,
    )
    unfinished = list(
        Broadcast.objects.filter(status=Broadcast.Status.SENDING)
        .exclude(batches__status=BroadcastBatch.Status.PENDING)
        .values_list("pk", flat=True)[:100]
    )
    for broadcast_id in unfinished:
        broadcast_finish_task.delay(broadcast_id)
    return {"started": due, "revived": stale, "finishing": unfinished}


@transaction.atomic
def _batches_requeue(pending, *, now: dt.datetime) -> list[int]:
    """Enqueue again (on commit) the batches of ``pending`` nobody holds.

    ``SKIP LOCKED`` leaves out batches whose transaction is running on a
    worker right now: their task is alive, a twin would only wait for the
    lock and find the batch done. Returns the ids re-queued, at most 5,000
    per call (the next tick takes the rest).
    """
    # Local import: the tasks module imports this one.
    from messaging.broadcasts.tasks import broadcast_batch_task

    ids = list(
        pending.select_for_update(skip_locked=True)
        .order_by("pk")
        .values_list("pk", flat=True)[:5000]
    )
    BroadcastBatch.objects.filter(pk__in=ids).update(enqueued_at=now)

    def enqueue() -> None:
        for batch_id in ids:
            broadcast_batch_task.delay(batch_id)

    transaction.on_commit(enqueue)
    return ids


@transaction.atomic
def broadcast_api_send(
    *,
    account: OfficialAccount,
    origin: str,
    messages: list[dict],
    request_id: str,
    audience: dict | None = None,
    max_recipients: int | None = None,
    failure: tuple[int, str] | None = None,
    failure_targets: int = 0,
) -> Broadcast:
    """A Messaging API narrowcast or broadcast, started on the one engine.

    ``messages`` are validated LINE message objects (up to 5); ``audience``
    is a segment definition built by the API from LINE's recipient and
    demographic objects (None: every friend); ``max_recipients`` is
    ``limit.max`` or the remaining quota (0 sends to nobody). The broadcast
    starts in this transaction (audience fixed, quota reserved, batches
    planned) so an exhausted quota raises ``QuotaExceeded`` (LINE's 429)
    and nothing is written; the batches run on the workers after commit,
    with the ledger, pause and opens/clicks of any broadcast. ``failure``
    (LINE's ``errorCode``, description) records a refused narrowcast that
    LINE reports through its progress instead, with ``failure_targets``
    friends matched (its ``targetCount``). Returns the broadcast.
    """
    now = timezone.now()
    label = Broadcast.Origin(origin).label
    broadcast = Broadcast.objects.create(
        account=account,
        origin=origin,
        request_id=request_id,
        title=f"{label} {request_id[:8]}",
        messages=messages,
        audience=audience,
        max_recipients=max_recipients,
        status=Broadcast.Status.SCHEDULED,
        scheduled_at=now,
        created_at=now,
    )
    if failure is not None or max_recipients == 0:
        code, reason = failure or (None, "")
        Broadcast.objects.filter(pk=broadcast.pk).update(
            status=Broadcast.Status.FAILED if failure else Broadcast.Status.SENT,
            error_code=code,
            failure_reason=reason,
            target_count=failure_targets if failure else 0,
            finished_at=now,
        )
    else:
        broadcast_start(broadcast_id=broadcast.pk, strict=True)
    broadcast.refresh_from_db()
    return broadcast
