"""Writes behind the Messaging API: sends, reply tokens, retry keys.

Every send stores its messages through ``messaging.services.messages_send``
so they appear in the customers' talk rooms. Counted sends (push,
multicast, narrowcast, broadcast) go through ``accounts.quota``; replies
are free. Narrowcasts and broadcasts are accepted here (recipients fixed,
quota reserved for all of them) and sent by ``send_api_job_task`` in
batches; the broadcasts issue will replace that fan-out with its ledger.

These services live next to the API because the API is their only caller
so far; other apps import them from here, never from the views.
"""

import datetime as dt
import random
import secrets
import uuid
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import quota
from accounts.models import OfficialAccount
from core.events import line_user_group, send_event_on_commit
from core.exceptions import ApplicationError
from messaging.api.models import ApiSendJob, RetryKey
from messaging.friends.models import Friend
from messaging.store.models import Message
from messaging.store.services import messages_mark_read, messages_send
from messaging.store.validators import messages_validate
from messaging.webhooks.events import mark_as_read_token_parse
from messaging.webhooks.models import ReplyToken

RETRY_KEY_TTL = dt.timedelta(hours=24)
# Friends per batch of a narrowcast/broadcast: one bulk insert of at most
# 500 × 5 message rows and one quota commit per transaction.
SEND_BATCH_SIZE = 500
# LINE's privacy rules for attribute (demographic) targeting (spec 1.5).
NARROWCAST_MIN_TARGET_REACH = 100
NARROWCAST_MIN_RECIPIENTS = 50
NARROWCAST_MAX_AUDIENCES = 10
PROGRESS_TTL = dt.timedelta(days=14)


class SendFailed(ApplicationError):
    """LINE's 400 "Failed to send messages" (unknown or invalid recipient)."""


class ReplyTokenInvalid(ApplicationError):
    """The reply token is unknown, used, expired or of another account."""


class RecipientInvalid(ApplicationError):
    """A narrowcast recipient names an audience or request that is unknown."""


class NotEnoughFriends(ApplicationError):
    """Attribute targeting needs a target reach of at least 100 friends."""


class RetryKeyAccepted(ApplicationError):
    """The retry key was accepted within 24 hours: answer 409."""

    def __init__(self, record: RetryKey):
        super().__init__("The retry key is already accepted")
        self.request_id = record.request_id
        self.response = record.response


def _check_active(account: OfficialAccount) -> None:
    if account.is_suspended:
        raise quota.AccountSuspended(
            _("This account is suspended by the operator and cannot send messages.")
        )


# --- Retry keys ---------------------------------------------------------------


def _retry_key_check(account: OfficialAccount, key: uuid.UUID | None) -> None:
    """Refuse a key accepted in the last 24 h before doing any work."""
    if key is None:
        return
    record = RetryKey.objects.filter(
        account=account, key=key, created_at__gt=timezone.now() - RETRY_KEY_TTL
    ).first()
    if record is not None:
        raise RetryKeyAccepted(record)


def _retry_key_store(
    account: OfficialAccount,
    key: uuid.UUID | None,
    *,
    endpoint: str,
    request_id: str,
    response: dict,
) -> None:
    """Record an accepted key in the send's transaction.

    The unique (account, key) index makes a concurrent twin wait for this
    transaction and then fail here, rolling its own send back.
    """
    if key is None:
        return
    fields = {"endpoint": endpoint, "request_id": request_id, "response": response}
    try:
        with transaction.atomic():
            RetryKey.objects.create(account=account, key=key, **fields)
    except IntegrityError:
        record = RetryKey.objects.select_for_update().get(account=account, key=key)
        if record.created_at > timezone.now() - RETRY_KEY_TTL:
            raise RetryKeyAccepted(record) from None
        RetryKey.objects.filter(pk=record.pk).update(
            created_at=timezone.now(), **fields
        )


def retry_keys_prune() -> int:
    """Delete keys past their 24 hours; returns how many."""
    cutoff = timezone.now() - RETRY_KEY_TTL
    deleted, _rows = RetryKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted


# --- Reply, push, multicast ---------------------------------------------------------


def _sent_messages(rows: list[Message], count: int) -> list[dict]:
    """``sentMessages`` of a one-recipient send.

    A blocked friend receives nothing yet LINE still answers 200 with
    message IDs, so IDs are made up for messages that were not stored.
    """
    if rows:
        return [{"id": str(row.pk)} for row in rows]
    return [{"id": str(10**17 + secrets.randbelow(9 * 10**17))} for _i in range(count)]


@transaction.atomic
def message_reply(
    *, account: OfficialAccount, reply_token: str, messages: list[dict]
) -> list[dict]:
    """Answer a webhook event with its reply token (free of quota)."""
    _check_active(account)
    messages_validate(messages)
    now = timezone.now()
    token = (
        ReplyToken.objects.select_for_update(of=("self",))
        .select_related("friend__line_user")
        .filter(account=account, token=reply_token)
        .first()
    )
    if token is None or token.used_at is not None or token.expires_at <= now:
        raise ReplyTokenInvalid("Invalid reply token")
    token.used_at = now
    token.save(update_fields=["used_at"])
    rows = messages_send(
        account=account,
        friends=[token.friend],
        messages=messages,
        source=Message.Source.API_REPLY,
    )
    return _sent_messages(rows, len(messages))


@transaction.atomic
def message_push(
    *,
    account: OfficialAccount,
    to: str,
    messages: list[dict],
    request_id: str,
    retry_key: uuid.UUID | None = None,
) -> list[dict]:
    """Send to one user; counts one message of quota if delivered.

    Unknown users (and group/room IDs, which this platform has none of) are
    refused; a blocked friend gets nothing and costs nothing, and the call
    still succeeds, as on LINE.
    """
    _check_active(account)
    _retry_key_check(account, retry_key)
    messages_validate(messages)
    friend = (
        Friend.objects.select_related("line_user")
        .filter(account=account, line_user__user_id=to)
        .first()
    )
    if friend is None:
        raise SendFailed("Failed to send messages")
    rows: list[Message] = []
    if friend.status == Friend.Status.FOLLOWING:
        quota.quota_consume(account=account, count=1)
        rows = messages_send(
            account=account,
            friends=[friend],
            messages=messages,
            source=Message.Source.API_PUSH,
        )
    sent = _sent_messages(rows, len(messages))
    _retry_key_store(
        account,
        retry_key,
        endpoint="push",
        request_id=request_id,
        response={"sentMessages": sent},
    )
    return sent


@transaction.atomic
def messages_multicast(
    *,
    account: OfficialAccount,
    to: list[str],
    messages: list[dict],
    request_id: str,
    retry_key: uuid.UUID | None = None,
) -> int:
    """Send to up to 500 users; returns how many friends received it.

    IDs that are not following friends are skipped silently, as LINE does;
    only the friends reached are counted against the quota.
    """
    _check_active(account)
    _retry_key_check(account, retry_key)
    messages_validate(messages)
    friends = list(
        Friend.objects.select_related("line_user")
        .filter(
            account=account,
            status=Friend.Status.FOLLOWING,
            line_user__user_id__in=set(to),
        )
        .order_by("pk")
    )
    if friends:
        quota.quota_consume(account=account, count=len(friends))
        messages_send(
            account=account,
            friends=friends,
            messages=messages,
            source=Message.Source.API_MULTICAST,
        )
    _retry_key_store(
        account, retry_key, endpoint="multicast", request_id=request_id, response={}
    )
    return len(friends)


# --- Narrowcast and broadcast --------------------------------------------------------


@dataclass(frozen=True)
class Audience:
    """A narrowcast's targeting, already checked for shape by the API.

    ``recipient`` and ``demographic`` are LINE's objects (spec 1.5) or None.
    """

    recipient: dict | None = None
    demographic: dict | None = None
    limit_max: int | None = None
    up_to_remaining_quota: bool = False
    forbid_partial_delivery: bool = False


def _recipient_q(account: OfficialAccount, node: dict, now: dt.datetime) -> Q:
    kind = node["type"]
    if kind == "audience":
        # Audiences (manage-audience API) do not exist on this platform yet.
        raise RecipientInvalid(f"Invalid audience group id: {node['audienceGroupId']}")
    if kind == "redelivery":
        job = ApiSendJob.objects.filter(
            account=account,
            kind=ApiSendJob.Kind.NARROWCAST,
            request_id=node["requestId"],
            phase=ApiSendJob.Phase.SUCCEEDED,
            accepted_at__gt=now - PROGRESS_TTL,
        ).first()
        if job is None:
            raise RecipientInvalid(f"Invalid request id: {node['requestId']}")
        return Q(pk__in=job.target_ids)
    return _operator_q(node, lambda child: _recipient_q(account, child, now))


def _operator_q(node: dict, child_q) -> Q:
    if "not" in node:
        return ~child_q(node["not"])
    parts = [child_q(child) for child in node.get("and") or node.get("or")]
    combined = parts[0]
    for part in parts[1:]:
        combined = combined & part if "and" in node else combined | part
    return combined


def _demographic_q(node: dict, now: dt.datetime) -> Q:
    kind = node["type"]
    if kind == "operator":
        return _operator_q(node, lambda child: _demographic_q(child, now))
    if kind in ("gender", "appType", "area"):
        column = {"gender": "gender", "appType": "os", "area": "region"}[kind]
        return Q(**{f"line_user__{column}__in": node["oneOf"]})
    q = Q()
    if kind == "age":  # age_20 → 20; "lt" is exclusive
        if node.get("gte"):
            q &= Q(line_user__age__gte=int(node["gte"].split("_")[1]))
        if node.get("lt"):
            q &= Q(line_user__age__lt=int(node["lt"].split("_")[1]))
    elif kind == "subscriptionPeriod":  # day_7: friends for at least 7 days
        if node.get("gte"):
            days = int(node["gte"].split("_")[1])
            q &= Q(friend_since__lte=now - dt.timedelta(days=days))
        if node.get("lt"):
            days = int(node["lt"].split("_")[1])
            q &= Q(friend_since__gt=now - dt.timedelta(days=days))
    return q


def _count_audiences(node: dict | None) -> int:
    if not node:
        return 0
    if node["type"] in ("audience", "redelivery"):
        return 1
    children = node.get("and") or node.get("or") or [node.get("not")]
    return sum(_count_audiences(child) for child in children if child)


def _fail_job(job: ApiSendJob, code: int, description: str) -> None:
    job.phase = ApiSendJob.Phase.FAILED
    job.error_code = code
    job.failed_description = description
    job.completed_at = timezone.now()


def _job_accept(
    *,
    account: OfficialAccount,
    kind: str,
    messages: list[dict],
    target_ids: list[int],
    notification_disabled: bool,
    request_id: str,
    retry_key: uuid.UUID | None,
    failure: tuple[int, str] | None = None,
) -> ApiSendJob:
    job = ApiSendJob(
        account=account,
        kind=kind,
        request_id=request_id,
        messages=messages,
        notification_disabled=notification_disabled,
        target_ids=target_ids,
    )
    if failure:
        _fail_job(job, *failure)
    elif target_ids:
        reservation = quota.quota_reserve(account=account, count=len(target_ids))
        job.usage_id = reservation.usage_id
        job.reserved = reservation.count
    job.save()
    _retry_key_store(
        account, retry_key, endpoint=kind, request_id=request_id, response={}
    )
    if job.phase == ApiSendJob.Phase.WAITING:
        from messaging.api.tasks import send_api_job_task

        transaction.on_commit(lambda: send_api_job_task.delay(job.pk))
    return job


@transaction.atomic
def narrowcast_accept(
    *,
    account: OfficialAccount,
    messages: list[dict],
    audience: Audience,
    request_id: str,
    notification_disabled: bool = False,
    retry_key: uuid.UUID | None = None,
) -> ApiSendJob:
    """Fix a narrowcast's recipients, reserve their quota and enqueue it.

    Sync refusals: unknown audience/request IDs (400), too few friends for
    attribute targeting (403), quota (429). Failures LINE reports through
    the progress endpoint instead (too few recipients, partial delivery
    forbidden) make a job that is already ``failed``.
    """
    _check_active(account)
    _retry_key_check(account, retry_key)
    messages_validate(messages)
    if _count_audiences(audience.recipient) > NARROWCAST_MAX_AUDIENCES:
        raise RecipientInvalid(
            f"Up to {NARROWCAST_MAX_AUDIENCES} audiences and redeliveries "
            "may be combined"
        )
    now = timezone.now()
    following = Friend.objects.filter(account=account, status=Friend.Status.FOLLOWING)
    targets = following
    if audience.recipient:
        targets = targets.filter(_recipient_q(account, audience.recipient, now))
    if audience.demographic:
        if following.count() < NARROWCAST_MIN_TARGET_REACH:
            raise NotEnoughFriends("Your account does not have enough friends")
        targets = targets.filter(_demographic_q(audience.demographic, now))
    ids = list(targets.order_by("pk").values_list("pk", flat=True).distinct())
    if audience.limit_max is not None and len(ids) > audience.limit_max:
        ids = sorted(random.sample(ids, audience.limit_max))
    failure = None
    if audience.demographic and len(ids) < NARROWCAST_MIN_RECIPIENTS:
        failure = (2, "not enough recipients")
    elif audience.up_to_remaining_quota:
        remaining = quota.usage_get(account=account).remaining
        if len(ids) > remaining:
            if audience.forbid_partial_delivery:
                failure = (5, "the quota does not cover every recipient")
            else:
                ids = sorted(random.sample(ids, remaining))
    return _job_accept(
        account=account,
        kind=ApiSendJob.Kind.NARROWCAST,
        messages=messages,
        target_ids=ids,
        notification_disabled=notification_disabled,
        request_id=request_id,
        retry_key=retry_key,
        failure=failure,
    )


@transaction.atomic
def broadcast_accept(
    *,
    account: OfficialAccount,
    messages: list[dict],
    request_id: str,
    notification_disabled: bool = False,
    retry_key: uuid.UUID | None = None,
) -> ApiSendJob:
    """Reserve quota for every following friend and enqueue the send."""
    _check_active(account)
    _retry_key_check(account, retry_key)
    messages_validate(messages)
    ids = list(
        Friend.objects.filter(account=account, status=Friend.Status.FOLLOWING)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return _job_accept(
        account=account,
        kind=ApiSendJob.Kind.BROADCAST,
        messages=messages,
        target_ids=ids,
        notification_disabled=notification_disabled,
        request_id=request_id,
        retry_key=retry_key,
    )


_SOURCES = {
    ApiSendJob.Kind.NARROWCAST: Message.Source.API_NARROWCAST,
    ApiSendJob.Kind.BROADCAST: Message.Source.API_BROADCAST,
}


def api_send_job_run(*, job_id: int) -> None:
    """Send a waiting (or interrupted) job batch by batch; idempotent.

    Each batch locks the job, sends to the next ``SEND_BATCH_SIZE`` targets
    from ``cursor`` and commits the quota it used in one transaction, so a
    crash never sends a batch twice and a second run resumes at the cursor.
    Friends who blocked the account meanwhile count as failures and their
    reserved quota is released at the end.
    """
    while _api_send_job_batch(job_id):
        pass


@transaction.atomic
def _api_send_job_batch(job_id: int) -> bool:
    job = ApiSendJob.objects.select_for_update().filter(pk=job_id).first()
    if job is None or job.phase not in (
        ApiSendJob.Phase.WAITING,
        ApiSendJob.Phase.SENDING,
    ):
        return False
    batch_ids = job.target_ids[job.cursor : job.cursor + SEND_BATCH_SIZE]
    if not batch_ids:
        if job.reserved:
            quota.quota_release(
                reservation=quota.Reservation(usage_id=job.usage_id, count=job.reserved)
            )
        job.reserved = 0
        job.phase = ApiSendJob.Phase.SUCCEEDED
        job.completed_at = timezone.now()
        job.save(update_fields=["reserved", "phase", "completed_at"])
        return False
    friends = list(
        Friend.objects.select_related("line_user")
        .filter(pk__in=batch_ids, account_id=job.account_id)
        .order_by("pk")
    )
    reached = [f for f in friends if f.status == Friend.Status.FOLLOWING]
    if reached:
        messages_send(
            account=job.account,
            friends=reached,
            messages=job.messages,
            source=_SOURCES[job.kind],
        )
        quota.quota_commit(
            reservation=quota.Reservation(usage_id=job.usage_id, count=job.reserved),
            count=len(reached),
        )
    job.reserved -= len(reached)
    job.cursor += len(batch_ids)
    job.success_count += len(reached)
    job.failure_count += len(batch_ids) - len(reached)
    job.phase = ApiSendJob.Phase.SENDING
    job.save(
        update_fields=["reserved", "cursor", "success_count", "failure_count", "phase"]
    )
    return True


# --- Chat helpers ---------------------------------------------------------------------


class MarkAsReadTokenInvalid(ApplicationError):
    """The token was not issued for a message of this account."""


def messages_mark_read_by_token(*, account: OfficialAccount, token: str) -> int:
    """Mark the customer's messages up to the token's one as read (既読)."""
    parsed = mark_as_read_token_parse(token)
    if parsed is None or parsed[0] != account.pk:
        raise MarkAsReadTokenInvalid("Invalid markAsReadToken")
    _account_id, friend_id, message_id = parsed
    friend = Friend.objects.filter(account=account, pk=friend_id).first()
    if friend is None:
        raise MarkAsReadTokenInvalid("Invalid markAsReadToken")
    return messages_mark_read(friend=friend, up_to_id=message_id)


class ChatNotFound(ApplicationError):
    """The chat ID is not a following friend of this account."""


def loading_animation_show(
    *, account: OfficialAccount, user_id: str, seconds: int
) -> None:
    """Show the "…" loading indicator in the customer's open talk room."""
    friend = Friend.objects.filter(
        account=account, line_user__user_id=user_id, status=Friend.Status.FOLLOWING
    ).first()
    if friend is None:
        raise ChatNotFound("The chat was not found")
    send_event_on_commit(
        groups=[line_user_group(friend.line_user_id)],
        event={"type": "loading.start", "friend_id": friend.pk, "seconds": seconds},
    )
