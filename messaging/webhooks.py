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

import base64
import datetime as dt
import hashlib
import hmac
import json
import logging
import os
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.core import signing
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Least
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import OfficialAccount, User
from accounts.services import audit_record
from core.exceptions import ApplicationError
from messaging.models import (
    Friend,
    Message,
    ReplyToken,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)

logger = logging.getLogger(__name__)

WEBHOOK_TIMEOUT = 2.0  # seconds; LINE gives bots 2 s (spec 3.1)
MAX_ATTEMPTS = 6
RETRY_BACKOFF = 10  # seconds before the first retry, tripled each time
# A worker that died while sending leaves a delivery in SENDING; after this
# long another run may claim it again.
STALE_CLAIM = dt.timedelta(seconds=60)
REPLY_TOKEN_TTL = dt.timedelta(minutes=1)
REPLY_TOKEN_MAX_AGE = dt.timedelta(minutes=20)
WEBHOOK_LOG_TTL = dt.timedelta(days=30)  # delivery log rows are kept this long
USER_AGENT = "LineBotWebhook/2.0"
MARK_AS_READ_SALT = "messaging.webhooks.markAsRead"
URL_MAX_LENGTH = 500
# Events that carry a reply token (spec 3.2).
REPLYABLE = frozenset(
    {
        "message",
        "follow",
        "postback",
        "join",
        "memberJoined",
        "videoPlayComplete",
        "beacon",
        "accountLink",
        "membership",
    }
)

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


class WebhookUrlInvalid(ApplicationError):
    """The webhook URL is not an http(s) URL of at most 500 characters."""


def ulid_new(when: dt.datetime | None = None) -> str:
    """A ULID: 48-bit millisecond time and 80 random bits, Crockford base32."""
    millis = int((when or timezone.now()).timestamp() * 1000)
    value = (millis << 80) | int.from_bytes(os.urandom(10), "big")
    chars = []
    for _i in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def webhook_signature(*, secret: str, body: bytes) -> str:
    """``x-line-signature``: base64 of HMAC-SHA256(body) keyed by the secret."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _millis(when: dt.datetime) -> int:
    return int(when.timestamp() * 1000)


# --- Event builders ---------------------------------------------------------------


@dataclass(frozen=True)
class PendingEvent:
    """A LINE event before dispatch adds its ID, mode and reply token."""

    friend_id: int
    data: dict = field(default_factory=dict)


def _event(friend: Friend, kind: str, when: dt.datetime, **payload) -> PendingEvent:
    data = {
        "type": kind,
        "timestamp": _millis(when),
        "source": {"type": "user", "userId": friend.line_user.user_id},
        **payload,
    }
    return PendingEvent(friend_id=friend.pk, data=data)


def webhook_follow_event(*, friend: Friend, unblocked: bool) -> PendingEvent:
    """``follow``: the customer added the account, or unblocked it."""
    return _event(
        friend, "follow", timezone.now(), follow={"isUnblocked": bool(unblocked)}
    )


def webhook_unfollow_event(*, friend: Friend) -> PendingEvent:
    """``unfollow``: the customer blocked the account."""
    return _event(friend, "unfollow", friend.blocked_at or timezone.now())


def webhook_postback_event(
    *, friend: Friend, data: str, params: dict | None = None
) -> PendingEvent:
    """``postback``: a postback action (rich menu, template, quick reply).

    ``params`` is ``{"date"|"time"|"datetime": …}`` for a date-time picker, or
    ``{"newRichMenuAliasId", "status"}`` for a rich menu switch.
    """
    postback: dict = {"data": data}
    if params:
        postback["params"] = params
    return _event(friend, "postback", timezone.now(), postback=postback)


def mark_as_read_token(message: Message) -> str:
    """The ``markAsReadToken`` of an inbound message (signed, stateless)."""
    return signing.dumps(
        [message.account_id, message.friend_id, message.pk],
        salt=MARK_AS_READ_SALT,
        compress=False,
    )


def mark_as_read_token_parse(token: str) -> tuple[int, int, int] | None:
    """``(account_id, friend_id, message_id)`` of a token, None if forged."""
    try:
        account_id, friend_id, message_id = signing.loads(token, salt=MARK_AS_READ_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    return int(account_id), int(friend_id), int(message_id)


def _message_content(message: Message) -> dict:
    """The ``message`` object of a message event (spec 3.2 content types)."""
    payload = message.payload
    content: dict = {"id": str(message.pk), "type": message.type}
    if message.type == "text":
        content["text"] = payload.get("text", "")
        for key in ("emojis", "mention"):
            if payload.get(key):
                content[key] = payload[key]
    elif message.type == "sticker":
        content["packageId"] = str(payload.get("packageId", ""))
        content["stickerId"] = str(payload.get("stickerId", ""))
        content["stickerResourceType"] = payload.get("stickerResourceType", "STATIC")
        if payload.get("keywords"):
            content["keywords"] = payload["keywords"][:15]
        if payload.get("text"):
            content["text"] = payload["text"][:100]
    elif message.type in ("image", "video", "audio"):
        content["contentProvider"] = {"type": "line"}
        if "duration" in payload:
            content["duration"] = payload["duration"]
    else:  # location, file: the talk app's payload already has LINE's shape
        content.update({k: v for k, v in payload.items() if k not in ("type", "id")})
    if message.type in ("text", "sticker", "image", "video") and message.quote_token:
        content["quoteToken"] = message.quote_token
    content["markAsReadToken"] = mark_as_read_token(message)
    return content


def webhook_message_event(*, message: Message) -> PendingEvent:
    """``message``: the customer sent ``message`` (an inbound row)."""
    return _event(
        message.friend,
        "message",
        message.created_at,
        message=_message_content(message),
    )


# --- Dispatch ---------------------------------------------------------------------


def _endpoint_in_use(account: OfficialAccount) -> WebhookEndpoint | None:
    return (
        WebhookEndpoint.objects.filter(account=account, active=True)
        .exclude(url="")
        .first()
    )


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
        if event["type"] in REPLYABLE:
            token = secrets.token_hex(16)
            event_at = dt.datetime.fromtimestamp(event["timestamp"] / 1000, dt.UTC)
            event["replyToken"] = token
            tokens.append(
                ReplyToken(
                    account=account,
                    friend_id=pending.friend_id,
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
    from messaging.tasks import deliver_webhook_task

    transaction.on_commit(lambda: deliver_webhook_task.delay(delivery_id))


# --- Delivery ---------------------------------------------------------------------


@dataclass(frozen=True)
class PostResult:
    """What happened to one POST; ``status_code`` is None without a response."""

    status_code: int | None
    latency_ms: int
    error: str = ""
    reason: str = ""
    response_body: str = ""

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def transient(self) -> bool:
        """Worth retrying: no response at all, or a server error."""
        return self.status_code is None or self.status_code >= 500


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # A redirect is the bot's answer, not a hop to follow: LINE does not
    # follow them and a 3xx is recorded as a failed attempt.
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def webhook_post(*, url: str, body: bytes, secret: str) -> PostResult:
    """POST ``body`` signed with ``secret``; never raises for HTTP trouble."""
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            "x-line-signature": webhook_signature(secret=secret, body=body),
        },
    )
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        with _opener.open(request, timeout=WEBHOOK_TIMEOUT) as response:
            text = response.read(500).decode("utf-8", "replace")
            return PostResult(response.status, elapsed(), "", response.reason, text)
    except urllib.error.HTTPError as exc:
        text = exc.read(500).decode("utf-8", "replace") if exc.fp else ""
        return PostResult(
            exc.code, elapsed(), f"HTTP {exc.code} {exc.reason}", str(exc.reason), text
        )
    except (TimeoutError, OSError, urllib.error.URLError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        timed_out = isinstance(reason, TimeoutError) or "timed out" in str(reason)
        error = "Request timed out" if timed_out else f"Connection failed: {reason}"
        return PostResult(None, elapsed(), error[:200], error[:200])


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
    result = webhook_post(
        url=delivery.url,
        body=webhook_body(delivery, redelivery=redelivery),
        secret=delivery.account.channel_secret,
    )
    retry_in = None
    if not result.ok and result.transient and not delivery.is_test:
        endpoint = WebhookEndpoint.objects.filter(
            account_id=delivery.account_id
        ).first()
        redeliver = endpoint and endpoint.active and endpoint.redelivery
        if redeliver and delivery.attempt_count < MAX_ATTEMPTS:
            retry_in = RETRY_BACKOFF * 3 ** (delivery.attempt_count - 1)
    _record(delivery, result, redelivery=redelivery, final=retry_in is None)
    return AttemptOutcome(delivery_id=delivery_id, result=result, retry_in=retry_in)


def _reply_tokens_extend(delivery: WebhookDelivery) -> None:
    """Redelivered tokens work one more TTL, within 20 min of the event."""
    now = timezone.now()
    ReplyToken.objects.filter(delivery=delivery, used_at=None).update(
        expires_at=Least(now + REPLY_TOKEN_TTL, F("event_at") + REPLY_TOKEN_MAX_AGE)
    )


@transaction.atomic
def _record(
    delivery: WebhookDelivery, result: PostResult, *, redelivery: bool, final: bool
) -> None:
    WebhookAttempt.objects.create(
        delivery=delivery,
        is_redelivery=redelivery,
        status_code=result.status_code,
        latency_ms=result.latency_ms,
        error=result.error[:200],
        response_body=result.response_body[:500],
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
    )


@transaction.atomic
def webhook_delivery_redeliver(
    *, account: OfficialAccount, actor: User | None, delivery_id: int
) -> WebhookDelivery:
    """Send a failed delivery again (``isRedelivery: true``) to the current URL."""
    delivery = (
        WebhookDelivery.objects.select_for_update()
        .filter(account=account, pk=delivery_id, is_test=False)
        .first()
    )
    if delivery is None:
        raise WebhookDelivery.DoesNotExist
    if delivery.status != WebhookDelivery.Status.FAILED:
        raise ApplicationError(_("Only failed deliveries can be redelivered."))
    endpoint = _endpoint_in_use(account)
    if endpoint is None:
        raise ApplicationError(_("Turn the webhook on to redeliver."))
    delivery.status = WebhookDelivery.Status.PENDING
    delivery.url = endpoint.url
    delivery.finished_at = None
    delivery.save(update_fields=["status", "url", "finished_at"])
    audit_record(
        account=account,
        actor=actor,
        action="webhook.redeliver",
        target=str(delivery.pk),
    )
    _enqueue_on_commit(delivery.pk)
    return delivery


# --- Settings and the connectivity check -------------------------------------------


def webhook_url_check(url: str) -> str:
    """Return ``url`` stripped, or raise ``WebhookUrlInvalid``."""
    url = (url or "").strip()
    if len(url) > URL_MAX_LENGTH:
        raise WebhookUrlInvalid(
            _("The URL may have at most %(n)d characters.") % {"n": URL_MAX_LENGTH}
        )
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookUrlInvalid(_("Enter an http:// or https:// URL."))
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
    result = webhook_post(
        url=url,
        body=webhook_body(delivery, redelivery=False),
        secret=account.channel_secret,
    )
    _record(delivery, result, redelivery=False, final=True)
    if result.ok:
        reason, detail = "OK", str(result.status_code)
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
    """Delete expired reply tokens and delivery logs past their 30 days."""
    now = timezone.now()
    tokens, _rows = ReplyToken.objects.filter(
        expires_at__lt=now - dt.timedelta(hours=1)
    ).delete()
    old = WebhookDelivery.objects.filter(created_at__lt=now - WEBHOOK_LOG_TTL)
    WebhookAttempt.objects.filter(delivery__in=old).delete()
    deliveries, _rows = old.delete()
    return {"reply_tokens": tokens, "webhook_deliveries": deliveries}
