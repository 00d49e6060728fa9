"""Webhooks: LINE event objects for customer actions, signed and delivered.

Customer-side services (``friend_follow``, ``friend_block``,
``message_receive``...) end with one call to
``webhook_events_dispatch_on_commit``. When the account uses a webhook,
that call issues reply tokens, stores a ``WebhookDelivery`` and, after
commit, enqueues ``deliver_webhook_task`` (one queued task per bot at a
time with Redis: ``_enqueue``). The task calls
``webhook_delivery_attempt``: it claims the delivery together with the
bot's other due deliveries (up to ``WEBHOOK_BATCH_SIZE``), sends their
events in one signed POST with a 2-second timeout, and records one
``WebhookAttempt`` per delivery; timeouts, connection errors and 5xx are
retried with backoff when the account turned redelivery on (spec 3.1).
Throughput and its figures: docs/api.md, "Webhook throughput".
"""

import datetime as dt
import hashlib
import json
import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F, Q
from django.db.models.functions import Least
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import OfficialAccount, User
from accounts.services import audit_record
from core.exceptions import ApplicationError
from core.selectors import get_or_not_found
from messaging.friends.linking import link_tokens_prune
from messaging.webhooks.events import REPLY_TOKEN_TTL, REPLYABLE, PendingEvent, ulid_new
from messaging.webhooks.models import (
    ReplyToken,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from messaging.webhooks.transport import (
    ADDRESS_NOT_ALLOWED,
    REQUEST_TIMED_OUT,
    UNCLASSIFIED,
    PostResult,
    private_networks_allowed,
    url_problem,
    webhook_post,
)

logger = logging.getLogger(__name__)


MAX_ATTEMPTS = 6
# Seconds before the first retry, tripled each time: settings'
# WEBHOOK_RETRY_BACKOFF_SECONDS (10; the real-worker tests shorten it).
# A delivery still pending this long after its attempt was due lost its
# task; the resume sweep (beat) queues it again.
RESUME_GRACE = dt.timedelta(seconds=60)
RESUME_BATCH = 1000
# A worker that died while sending leaves a delivery in SENDING; after this
# long another run may claim it again.
STALE_CLAIM = dt.timedelta(seconds=60)
REPLY_TOKEN_MAX_AGE = dt.timedelta(minutes=20)
WEBHOOK_LOG_TTL = dt.timedelta(days=30)  # delivery log rows are kept this long
URL_MAX_LENGTH = 500


class WebhookUrlInvalid(ApplicationError):
    """The webhook URL is not one webhooks may use (``url_problem``)."""


def _endpoint_in_use(account: OfficialAccount) -> WebhookEndpoint | None:
    return (
        WebhookEndpoint.objects.filter(account=account, active=True)
        .exclude(url="")
        .first()
    )


def _link_failed(event: dict) -> bool:
    # A failed account link carries no reply token (REF#account-link-event).
    return event["type"] == "accountLink" and event["link"]["result"] != "ok"


def webhook_events_dispatch_on_commit(
    *, account: OfficialAccount, events: Iterable[PendingEvent]
) -> WebhookDelivery | None:
    """Send ``events`` to the account's bot once the transaction commits.

    Does nothing (and issues no reply tokens) unless the account uses a
    webhook. Call inside the service's transaction: the delivery row and
    the reply tokens are written with the change that caused the events.
    Returns the delivery (one body with all of ``events``), or None.
    """
    events = list(events)
    endpoint = _endpoint_in_use(account) if events else None
    if endpoint is None:
        return None
    delivery, tokens = _delivery_new(account, endpoint, events, timezone.now())
    delivery.save(force_insert=True)
    for token in tokens:
        token.delivery = delivery
    ReplyToken.objects.bulk_create(tokens)
    _enqueue_on_commit(delivery)
    return delivery


def webhook_events_dispatch_many_on_commit(
    *, account: OfficialAccount, actions: Iterable[list[PendingEvent]]
) -> list[WebhookDelivery]:
    """``webhook_events_dispatch_on_commit`` for many actions at once.

    One delivery per item of ``actions`` (the events of one customer
    action), written with two bulk INSERTs whatever their number; after
    commit they reach the bot like deliveries written one by one (several
    per POST when they wait together). Returns the deliveries, or ``[]``
    when the account uses no webhook.
    """
    actions = [list(events) for events in actions]
    endpoint = _endpoint_in_use(account) if any(actions) else None
    if endpoint is None:
        return []
    now = timezone.now()
    built = [
        _delivery_new(account, endpoint, events, now) for events in actions if events
    ]
    deliveries = WebhookDelivery.objects.bulk_create([d for d, _tokens in built])
    tokens = []
    for delivery, delivery_tokens in built:
        for token in delivery_tokens:
            token.delivery = delivery
            tokens.append(token)
    ReplyToken.objects.bulk_create(tokens)
    # One task for all of them when tasks are coalesced (it claims them
    # together); else one each.
    for delivery in deliveries[:1] if _coalescing() else deliveries:
        _enqueue_on_commit(delivery)
    return deliveries


def _delivery_new(
    account: OfficialAccount,
    endpoint: WebhookEndpoint,
    events: list[PendingEvent],
    now: dt.datetime,
) -> tuple[WebhookDelivery, list[ReplyToken]]:
    """The unsaved delivery of ``events`` and the reply tokens it issues."""
    bodies: list[dict] = []
    tokens: list[ReplyToken] = []
    for pending in events:
        event = dict(pending.data)
        if event["type"] in REPLYABLE and not _link_failed(event):
            token = secrets.token_hex(16)
            event_at = dt.datetime.fromtimestamp(event["timestamp"] / 1000, dt.UTC)
            event["replyToken"] = token
            tokens.append(
                ReplyToken(
                    account=account,
                    friend_id=pending.friend_id,
                    chat_id=pending.chat_id,
                    token=token,
                    event_at=event_at,
                    expires_at=max(event_at, now) + REPLY_TOKEN_TTL,
                )
            )
        event["mode"] = "active"
        event["webhookEventId"] = ulid_new(now)
        event["deliveryContext"] = {"isRedelivery": False}
        bodies.append(event)
    delivery = WebhookDelivery(
        account=account,
        url=endpoint.url,
        payload={"destination": account.bot_user_id, "events": bodies},
        event_types=",".join(sorted({e["type"] for e in bodies}))[:200],
    )
    return delivery, tokens


# How long "a delivery task for this bot is queued" holds. The task clears
# it when it starts; if the task is lost (a broker restart) deliveries that
# relied on it wait at most this long for the next one, and the resume
# sweep finds them anyway.
QUEUED_TTL = 60


def _coalescing() -> bool:
    # Deliveries share a queued task only when every process sees the same
    # cache (Redis) and a task can take more than one delivery.
    return bool(getattr(settings, "WEBHOOK_TASK_COALESCING", False)) and (
        batch_size() > 1
    )


def _queued_key(account_id: int, url: str) -> str:
    digest = hashlib.sha256(url.encode()).hexdigest()[:16]
    return f"webhooks:queued:{account_id}:{digest}"


def _enqueue(delivery_id: int, *, account_id: int, url: str, coalesce: bool) -> None:
    """Queue ``deliver_webhook_task`` unless one for this bot is queued.

    Coalescing: at 500 events/s a task per event costs more in Celery than
    the POSTs (bench/webhooks.py), and a queued task delivers every pending
    delivery of its bot when it runs (``_claim``). The task clears the flag
    before it claims, so a delivery committed before the flag was seen is
    always claimed by a task that starts after it.
    """
    # Local import: the tasks module imports this one.
    from messaging.webhooks.tasks import deliver_webhook_task

    queued_already = (
        coalesce
        and _coalescing()
        and not cache.add(_queued_key(account_id, url), 1, QUEUED_TTL)
    )
    if not queued_already:
        deliver_webhook_task.delay(delivery_id)


def _enqueue_on_commit(delivery: WebhookDelivery, *, coalesce: bool = True) -> None:
    pk, account_id, url = delivery.pk, delivery.account_id, delivery.url
    transaction.on_commit(
        lambda: _enqueue(pk, account_id=account_id, url=url, coalesce=coalesce)
    )


def webhook_body(delivery: WebhookDelivery, *, redelivery: bool) -> bytes:
    """The bytes to POST (and sign); events flagged as redelivered if so."""
    payload = delivery.payload
    if redelivery:
        payload = {
            **payload,
            "events": [
                {**event, "deliveryContext": {"isRedelivery": True}}
                for event in payload["events"]
            ],
        }
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def webhook_batch_body(deliveries: list[WebhookDelivery]) -> bytes:
    """The bytes of one POST carrying the events of ``deliveries``, in order.

    ``deliveries`` are of one account, oldest first; each one's events keep
    their order and are flagged ``isRedelivery: true`` when that delivery
    was attempted before (``attempt_count`` > 1, counted at the claim).
    LINE's body may carry several events of different users (spec 3.1).
    """
    events: list[dict] = []
    for delivery in deliveries:
        if delivery.attempt_count > 1:
            events += [
                {**event, "deliveryContext": {"isRedelivery": True}}
                for event in delivery.payload["events"]
            ]
        else:
            events += delivery.payload["events"]
    payload = {"destination": deliveries[0].payload["destination"], "events": events}
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


@dataclass(frozen=True)
class AttemptOutcome:
    """The result of one POST: the deliveries it carried (none when there
    was nothing to claim) and ``(delivery_id, seconds)`` of each retry due."""

    delivery_ids: tuple[int, ...]
    result: PostResult | None
    retries: tuple[tuple[int, int], ...] = ()


def batch_size() -> int:
    """Deliveries at most in one POST (``WEBHOOK_BATCH_SIZE``, at least 1).

    Always 1 on SQLite (``make run``'s embedded setup): the batch claim is
    PostgreSQL's ``UPDATE … RETURNING`` with ``SKIP LOCKED``.
    """
    if connection.vendor != "postgresql":
        return 1
    return max(1, int(getattr(settings, "WEBHOOK_BATCH_SIZE", 20)))


# The delivery the task was queued for, if still pending, plus the oldest
# other deliveries of the same account and URL that are due (first
# attempts, and retries whose backoff is over), up to the batch size: one
# statement, so a claim is one round trip and one commit. SKIP LOCKED
# leaves rows another worker is claiming this instant to that worker; the
# sibling scan reads the partial index ``webhook_delivery_batch`` (pending
# rows only). A task whose own delivery already went out in another batch
# still takes the bot's due deliveries: with coalescing (``_enqueue``) it
# may be the only task queued for them.
_CLAIM_SQL = """
WITH target AS (
    SELECT id, account_id, url, is_test FROM {deliveries} WHERE id = %(id)s
), own AS (
    UPDATE {deliveries}
    SET status = %(sending)s, claimed_at = %(now)s,
        attempt_count = attempt_count + 1
    WHERE id = %(id)s AND (
        status = %(pending)s OR (status = %(sending)s AND claimed_at < %(stale)s)
    )
    RETURNING id, account_id, url, payload, attempt_count, is_test
), others AS (
    UPDATE {deliveries}
    SET status = %(sending)s, claimed_at = %(now)s,
        attempt_count = attempt_count + 1
    WHERE id IN (
        SELECT s.id FROM {deliveries} s JOIN target t
            ON s.account_id = t.account_id AND s.url = t.url
        WHERE s.status = %(pending)s
            AND (s.attempt_count = 0 OR s.next_attempt_at <= %(now)s)
            AND NOT s.is_test AND NOT t.is_test AND s.id <> t.id
        ORDER BY s.id
        LIMIT %(more)s
        FOR UPDATE OF s SKIP LOCKED
    )
    RETURNING id, account_id, url, payload, attempt_count, is_test
)
SELECT claimed.*, account.channel_secret AS secret
FROM (SELECT * FROM own UNION ALL SELECT * FROM others) claimed
JOIN {accounts} account ON account.id = claimed.account_id
ORDER BY claimed.id
"""


def _claim(delivery_id: int, *, more: int) -> list[WebhookDelivery]:
    """Claim ``delivery_id`` (if pending, or stale in SENDING) and its batch.

    Takes at most ``more`` other deliveries. Returns the claimed rows,
    oldest first, each with the channel secret
    (``.secret``) and its attempt counted; empty when nothing was due.
    First attempts of other deliveries count as due whatever their
    ``next_attempt_at`` says, so a web process whose clock runs ahead of the
    worker's cannot hold them back.
    """
    now = timezone.now()
    if connection.vendor != "postgresql":
        return _claim_one(delivery_id, now)
    sql = _CLAIM_SQL.format(
        deliveries=WebhookDelivery._meta.db_table,
        accounts=OfficialAccount._meta.db_table,
    )
    return list(
        WebhookDelivery.objects.raw(
            sql,
            {
                "id": delivery_id,
                "now": now,
                "stale": now - STALE_CLAIM,
                "more": more,
                "pending": WebhookDelivery.Status.PENDING,
                "sending": WebhookDelivery.Status.SENDING,
            },
        )
    )


def _claim_one(delivery_id: int, now: dt.datetime) -> list[WebhookDelivery]:
    """``_claim`` without a batch, for databases other than PostgreSQL."""
    claimed = (
        WebhookDelivery.objects.filter(pk=delivery_id)
        .filter(
            Q(status=WebhookDelivery.Status.PENDING)
            | Q(status=WebhookDelivery.Status.SENDING, claimed_at__lt=now - STALE_CLAIM)
        )
        .update(
            status=WebhookDelivery.Status.SENDING,
            claimed_at=now,
            attempt_count=F("attempt_count") + 1,
        )
    )
    if not claimed:
        return []
    delivery = WebhookDelivery.objects.select_related("account").get(pk=delivery_id)
    delivery.secret = delivery.account.channel_secret
    return [delivery]


def webhook_delivery_attempt(*, delivery_id: int) -> AttemptOutcome:
    """POST a pending delivery once, with its batch, and record the attempt.

    When the bot has a backlog (other deliveries of the account to the same
    URL pending and due), up to ``batch_size()`` of them go in the same
    POST, oldest first, as LINE puts several events into one webhook body
    (spec 3.1): one claim, one POST, one write of the outcome for all.
    Each delivery still gets its own ``WebhookAttempt`` row and its own
    retry schedule; a failed POST fails every delivery in it.

    Idempotent: deliveries are claimed with one conditional
    ``UPDATE … RETURNING`` (``_claim``), so a second run of the same task
    (or a delivery already sent in another batch) does nothing. The HTTP
    request runs outside any transaction. Queries on PostgreSQL: 7 for a
    delivered batch of any size (the delivery's bot, the claim; then
    ``BEGIN``, the commit mode, the attempt rows, the new states,
    ``COMMIT``), 2 when nothing is claimed; a failure adds 1 (the endpoint's
    redelivery switch), a redelivery 1 (reply tokens). A full batch queues
    another task (coalesced, ``_enqueue``) for what may be left.
    """
    target = (
        WebhookDelivery.objects.filter(pk=delivery_id)
        .values_list("account_id", "url", "status", "claimed_at")
        .first()
    )
    if target is None:
        return AttemptOutcome(delivery_ids=(), result=None)
    account_id, url, status, claimed_at = target
    if _coalescing():
        # Before the claim: a delivery committed from now on queues a task
        # of its own; one committed earlier is seen by the claim below.
        cache.delete(_queued_key(account_id, url))
    # Room for the task's own delivery when it may still be claimed.
    own = status == WebhookDelivery.Status.PENDING or (
        status == WebhookDelivery.Status.SENDING
        and claimed_at < timezone.now() - STALE_CLAIM
    )
    size = batch_size()
    more = 0 if size == 1 else size - 1 if own else size
    batch = _claim(delivery_id, more=more)
    if not batch:
        return AttemptOutcome(delivery_ids=(), result=None)
    redelivered = [d.pk for d in batch if d.attempt_count > 1]
    if redelivered:
        _reply_tokens_extend(redelivered)
    result = _post(batch, secret=batch[0].secret)
    retries: dict[int, int] = {}
    # A verify check is never batched (nor retried): if the task's own
    # delivery is one, it is the only one claimed.
    if not result.ok and result.transient and not batch[0].is_test:
        endpoint = WebhookEndpoint.objects.filter(
            account_id=batch[0].account_id
        ).first()
        if endpoint and endpoint.active and endpoint.redelivery:
            first = retry_backoff()
            retries = {
                d.pk: first * 3 ** (d.attempt_count - 1)
                for d in batch
                if d.attempt_count < MAX_ATTEMPTS
            }
    _record(batch, result, retries=retries)
    if more and sum(d.pk != delivery_id for d in batch) == more:
        # A full batch: more may be pending that relied on this task. Queued
        # after this batch is recorded, so the next one follows it.
        _enqueue(batch[-1].pk, account_id=account_id, url=url, coalesce=True)
    return AttemptOutcome(
        delivery_ids=tuple(d.pk for d in batch),
        result=result,
        retries=tuple(retries.items()),
    )


def _post(batch: list[WebhookDelivery], *, secret: str) -> PostResult:
    """``webhook_post`` of claimed deliveries; an unexpected error is a result.

    A claimed delivery must end recorded, never stay SENDING: nothing would
    ever claim it again.
    """
    try:
        return webhook_post(
            url=batch[0].url, body=webhook_batch_body(batch), secret=secret
        )
    except Exception:
        logger.exception(
            "webhook deliveries %s could not be attempted", [d.pk for d in batch]
        )
        return PostResult(None, 0, UNCLASSIFIED, UNCLASSIFIED, permanent=True)


def _reply_tokens_extend(delivery_ids: list[int]) -> None:
    """Redelivered tokens work one more TTL, within 20 min of the event."""
    now = timezone.now()
    ReplyToken.objects.filter(delivery_id__in=delivery_ids, used_at=None).update(
        expires_at=Least(now + REPLY_TOKEN_TTL, F("event_at") + REPLY_TOKEN_MAX_AGE)
    )


def retry_backoff() -> int:
    """Seconds before the first retry (spec 3.1: LINE retries with backoff)."""
    return int(getattr(settings, "WEBHOOK_RETRY_BACKOFF_SECONDS", 10))


def _record(
    batch: list[WebhookDelivery],
    result: PostResult,
    *,
    retries: dict[int, int] | None = None,
) -> None:
    """One attempt row per delivery, and each delivery's new state.

    Succeeded, pending again (``retries``: seconds until the next attempt
    by delivery id) or failed for good. Deliveries that share an outcome
    are updated in one statement (one for a whole delivered batch), in one
    transaction.
    """
    # Only a transaction of its own may skip the flush (not a caller's).
    own_transaction = connection.get_autocommit()
    with transaction.atomic():
        _record_rows(batch, result, retries or {}, fast_commit=own_transaction)


def _record_rows(
    batch: list[WebhookDelivery],
    result: PostResult,
    retries: dict[int, int],
    *,
    fast_commit: bool,
) -> None:
    now = timezone.now()
    if fast_commit and connection.vendor == "postgresql":
        # No wait for the WAL flush: if PostgreSQL itself crashes before
        # it, the deliveries are still SENDING as claimed (a durable
        # commit) and go out again as redeliveries after STALE_CLAIM, as
        # when a worker dies mid-POST. Saves a disk flush per POST.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
    WebhookAttempt.objects.bulk_create(
        WebhookAttempt(
            delivery_id=delivery.pk,
            is_redelivery=delivery.attempt_count > 1,
            status_code=result.status_code,
            latency_ms=result.latency_ms,
            error=result.error[:200],
            created_at=now,
        )
        for delivery in batch
    )
    groups: dict[int | None, list[int]] = {}
    for delivery in batch:
        groups.setdefault(retries.get(delivery.pk), []).append(delivery.pk)
    for retry_in, ids in groups.items():
        if result.ok:
            status = WebhookDelivery.Status.SUCCEEDED
        elif retry_in is None:
            status = WebhookDelivery.Status.FAILED
        else:
            status = WebhookDelivery.Status.PENDING
        WebhookDelivery.objects.filter(pk__in=ids).update(
            status=status,
            finished_at=now if status != WebhookDelivery.Status.PENDING else None,
            last_status_code=result.status_code,
            last_latency_ms=result.latency_ms,
            last_error=result.error[:200],
            **(
                {"next_attempt_at": now + dt.timedelta(seconds=retry_in)}
                if retry_in is not None
                else {}
            ),
        )


def webhook_deliveries_resume(*, now: dt.datetime | None = None) -> list[int]:
    """Queue again the deliveries whose task was lost; returns their ids.

    Beat runs this every 30 s (issue 19, #9). A retry waits in a worker as
    a countdown task: a worker restart (its unacknowledged task comes back
    only after the broker's visibility timeout, an hour) or a broker restart
    (the queue is gone) would otherwise lose it. Due are deliveries still
    ``pending`` ``RESUME_GRACE`` after their attempt was due, and ``sending``
    ones whose claim went stale (a worker died mid-POST). Running a delivery
    twice is harmless (``_claim``); those queued here are marked due now,
    so a backed-up queue is not flooded with copies every tick.
    """
    from messaging.webhooks.tasks import deliver_webhook_task

    now = now or timezone.now()
    due = list(
        WebhookDelivery.objects.filter(
            Q(
                status=WebhookDelivery.Status.PENDING,
                next_attempt_at__lte=now - RESUME_GRACE,
            )
            | Q(
                status=WebhookDelivery.Status.SENDING,
                claimed_at__lt=now - STALE_CLAIM,
            ),
            is_test=False,
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:RESUME_BATCH]
    )
    if due:
        WebhookDelivery.objects.filter(pk__in=due).update(next_attempt_at=now)
        for delivery_id in due:
            deliver_webhook_task.delay(delivery_id)
    return due


@transaction.atomic
def webhook_delivery_redeliver(
    *, account: OfficialAccount, actor: User | None, delivery_id: int
) -> WebhookDelivery:
    """Send a failed delivery again (``isRedelivery: true``) to the current URL.

    Returns the delivery, pending again. Raises ``NotFound`` for a delivery
    of another account (or a verify check) and ``ApplicationError`` when it
    did not fail or the webhook is off.
    """
    delivery = get_or_not_found(
        WebhookDelivery.objects.select_for_update().filter(
            account=account, is_test=False
        ),
        pk=delivery_id,
    )
    if delivery.status != WebhookDelivery.Status.FAILED:
        raise ApplicationError(_("Only failed deliveries can be redelivered."))
    endpoint = _endpoint_in_use(account)
    if endpoint is None:
        raise ApplicationError(_("Turn the webhook on to redeliver."))
    delivery.status = WebhookDelivery.Status.PENDING
    delivery.url = endpoint.url
    delivery.finished_at = None
    delivery.next_attempt_at = timezone.now()
    delivery.save(update_fields=["status", "url", "finished_at", "next_attempt_at"])
    audit_record(
        account=account,
        actor=actor,
        action="webhook.redeliver",
        target=str(delivery.pk),
    )
    # A task of its own: a queued task would take it along only once its
    # next_attempt_at (this process's clock) is past on the worker's clock.
    _enqueue_on_commit(delivery, coalesce=False)
    return delivery


def webhook_url_check(url: str) -> str:
    """Return ``url`` stripped, or raise ``WebhookUrlInvalid``.

    ``https://`` only, and no IP address inside the network, unless
    ``WEBHOOK_ALLOW_PRIVATE_NETWORKS`` is on (docs/security.md); names are
    checked again, after DNS, whenever a POST connects.
    """
    url = (url or "").strip()
    if len(url) > URL_MAX_LENGTH:
        raise WebhookUrlInvalid(
            _("The URL may have at most %(n)d characters.") % {"n": URL_MAX_LENGTH}
        )
    problem = url_problem(url)
    if problem == ADDRESS_NOT_ALLOWED:
        raise WebhookUrlInvalid(
            _(
                "Webhooks cannot go to loopback, private, link-local, reserved "
                "or multicast addresses."
            )
        )
    if problem:
        if private_networks_allowed():
            raise WebhookUrlInvalid(_("Enter an http:// or https:// URL."))
        raise WebhookUrlInvalid(_("Enter an https:// URL."))
    return url


def webhook_endpoint_get(*, account: OfficialAccount) -> WebhookEndpoint:
    """The account's endpoint settings (unsaved defaults if never set)."""
    return WebhookEndpoint.objects.filter(account=account).first() or WebhookEndpoint(
        account=account
    )


@transaction.atomic
def webhook_endpoint_set(
    *,
    account: OfficialAccount,
    actor: User | None,
    url: str | None = None,
    active: bool | None = None,
    redelivery: bool | None = None,
) -> WebhookEndpoint:
    """Change the webhook URL and switches; ``None`` leaves a value as is.

    An empty ``url`` removes the URL (the webhook must then be off).
    """
    endpoint, _created = WebhookEndpoint.objects.select_for_update().get_or_create(
        account=account
    )
    changed = []
    if url is not None:
        url = webhook_url_check(url) if url.strip() else ""
        if url != endpoint.url:
            endpoint.url = url
            changed.append("url")
    for name, value in (("active", active), ("redelivery", redelivery)):
        if value is not None and getattr(endpoint, name) != value:
            setattr(endpoint, name, value)
            changed.append(name)
    if endpoint.active and not endpoint.url:
        raise WebhookUrlInvalid(_("Set a webhook URL before turning the webhook on."))
    if changed:
        endpoint.save(update_fields=[*changed, "updated_at"])
        audit_record(
            account=account,
            actor=actor,
            action="webhook.update",
            target=endpoint.url,
            data={name: getattr(endpoint, name) for name in changed},
        )
    return endpoint


@dataclass(frozen=True)
class TestResult:
    """The outcome of the "Verify" check, shaped like LINE's test response."""

    success: bool
    timestamp: dt.datetime
    status_code: int
    reason: str
    detail: str


def webhook_endpoint_test(
    *, account: OfficialAccount, url: str | None = None
) -> TestResult:
    """POST the empty-events check to ``url`` (default: the saved URL).

    The check is recorded in the delivery log; it is never retried.
    """
    if url is None:
        url = webhook_endpoint_get(account=account).url
    url = webhook_url_check(url)
    with transaction.atomic():
        delivery = WebhookDelivery.objects.create(
            account=account,
            url=url,
            payload={"destination": account.bot_user_id, "events": []},
            is_test=True,
            status=WebhookDelivery.Status.SENDING,
            claimed_at=timezone.now(),
            attempt_count=1,
        )
    timestamp = timezone.now()
    result = _post([delivery], secret=account.channel_secret)
    _record([delivery], result)
    if result.ok:
        reason, detail = "OK", str(result.status_code)
    elif result.error == REQUEST_TIMED_OUT:
        reason, detail = "REQUEST_TIMEOUT", result.error
    elif result.error == UNCLASSIFIED:
        reason, detail = "UNCLASSIFIED", result.error
    elif result.status_code is None:
        reason, detail = "COULD_NOT_CONNECT", result.error
    else:
        reason = "ERROR_STATUS_CODE"
        detail = f"{result.status_code} {result.reason}".strip()
    return TestResult(
        success=result.ok,
        timestamp=timestamp,
        status_code=result.status_code or 0,
        reason=reason,
        detail=detail,
    )


def webhook_delivery_list(*, account: OfficialAccount):
    """The account's deliveries for the log, newest first."""
    return WebhookDelivery.objects.filter(account=account).order_by("-id")


def webhook_records_prune() -> dict[str, int]:
    """Delete expired reply tokens, link tokens expired a day ago and
    delivery logs past their 30 days."""
    now = timezone.now()
    tokens, _rows = ReplyToken.objects.filter(
        expires_at__lt=now - dt.timedelta(hours=1)
    ).delete()
    old = WebhookDelivery.objects.filter(created_at__lt=now - WEBHOOK_LOG_TTL)
    WebhookAttempt.objects.filter(delivery__in=old).delete()
    deliveries, _rows = old.delete()
    return {
        "reply_tokens": tokens,
        "link_tokens": link_tokens_prune(),
        "webhook_deliveries": deliveries,
    }
