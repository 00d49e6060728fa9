"""Webhooks: LINE event objects for customer actions, signed and delivered.

Customer-side services (``friend_follow``, ``friend_block``,
``message_receive``...) end with one call to
``webhook_events_dispatch_on_commit``. When the account uses a webhook,
that call issues reply tokens, stores a ``WebhookDelivery`` and, after
commit, enqueues ``deliver_webhook_task``. The task calls
``webhook_delivery_attempt``: one signed POST with a 2-second timeout,
recorded as a ``WebhookAttempt``; timeouts, connection errors and 5xx are
retried with backoff when the account turned redelivery on (spec 3.1).
"""

import datetime as dt
import json
import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
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
    """
    events = list(events)
    endpoint = _endpoint_in_use(account) if events else None
    if endpoint is None:
        return None
    now = timezone.now()
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
    delivery = WebhookDelivery.objects.create(
        account=account,
        url=endpoint.url,
        payload={"destination": account.bot_user_id, "events": bodies},
        event_types=",".join(sorted({e["type"] for e in bodies}))[:200],
    )
    for token in tokens:
        token.delivery = delivery
    ReplyToken.objects.bulk_create(tokens)
    _enqueue_on_commit(delivery.pk)
    return delivery


def _enqueue_on_commit(delivery_id: int) -> None:
    # Local import: the tasks module imports this one.
    from messaging.webhooks.tasks import deliver_webhook_task

    transaction.on_commit(lambda: deliver_webhook_task.delay(delivery_id))


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


@dataclass(frozen=True)
class AttemptOutcome:
    """The result of one attempt; ``retry_in`` seconds if another is due."""

    delivery_id: int
    result: PostResult | None
    retry_in: int | None = None


def _claim(delivery_id: int) -> bool:
    now = timezone.now()
    return bool(
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


def webhook_delivery_attempt(*, delivery_id: int) -> AttemptOutcome:
    """POST a pending delivery once and record the attempt.

    Idempotent: a delivery is claimed with a conditional UPDATE, so a
    second run of the same task (or a delivery that succeeded meanwhile)
    does nothing. The HTTP request runs outside any transaction.
    """
    if not _claim(delivery_id):
        return AttemptOutcome(delivery_id=delivery_id, result=None)
    delivery = WebhookDelivery.objects.select_related("account").get(pk=delivery_id)
    redelivery = delivery.attempt_count > 1
    if redelivery:
        _reply_tokens_extend(delivery)
    result = _post(delivery, redelivery=redelivery)
    retry_in = None
    if not result.ok and result.transient and not delivery.is_test:
        endpoint = WebhookEndpoint.objects.filter(
            account_id=delivery.account_id
        ).first()
        redeliver = endpoint and endpoint.active and endpoint.redelivery
        if redeliver and delivery.attempt_count < MAX_ATTEMPTS:
            retry_in = retry_backoff() * 3 ** (delivery.attempt_count - 1)
    _record(delivery, result, redelivery=redelivery, retry_in=retry_in)
    return AttemptOutcome(delivery_id=delivery_id, result=result, retry_in=retry_in)


def _post(delivery: WebhookDelivery, *, redelivery: bool) -> PostResult:
    """``webhook_post`` of a claimed delivery; an unexpected error is a result.

    A claimed delivery must end recorded, never stay SENDING: nothing would
    ever claim it again.
    """
    try:
        return webhook_post(
            url=delivery.url,
            body=webhook_body(delivery, redelivery=redelivery),
            secret=delivery.account.channel_secret,
        )
    except Exception:
        logger.exception("webhook delivery %s could not be attempted", delivery.pk)
        return PostResult(None, 0, UNCLASSIFIED, UNCLASSIFIED, permanent=True)


def _reply_tokens_extend(delivery: WebhookDelivery) -> None:
    """Redelivered tokens work one more TTL, within 20 min of the event."""
    now = timezone.now()
    ReplyToken.objects.filter(delivery=delivery, used_at=None).update(
        expires_at=Least(now + REPLY_TOKEN_TTL, F("event_at") + REPLY_TOKEN_MAX_AGE)
    )


@transaction.atomic
def retry_backoff() -> int:
    """Seconds before the first retry (spec 3.1: LINE retries with backoff)."""
    return int(getattr(settings, "WEBHOOK_RETRY_BACKOFF_SECONDS", 10))


def _record(
    delivery: WebhookDelivery,
    result: PostResult,
    *,
    redelivery: bool,
    retry_in: int | None = None,
) -> None:
    final = retry_in is None
    WebhookAttempt.objects.create(
        delivery=delivery,
        is_redelivery=redelivery,
        status_code=result.status_code,
        latency_ms=result.latency_ms,
        error=result.error[:200],
    )
    if result.ok:
        status = WebhookDelivery.Status.SUCCEEDED
    elif final:
        status = WebhookDelivery.Status.FAILED
    else:
        status = WebhookDelivery.Status.PENDING
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=status,
        finished_at=timezone.now()
        if status != WebhookDelivery.Status.PENDING
        else None,
        last_status_code=result.status_code,
        last_latency_ms=result.latency_ms,
        last_error=result.error[:200],
        **(
            {"next_attempt_at": timezone.now() + dt.timedelta(seconds=retry_in)}
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
    _enqueue_on_commit(delivery.pk)
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
    result = _post(delivery, redelivery=False)
    _record(delivery, result, redelivery=False)
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
