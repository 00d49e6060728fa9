"""Writes behind the Messaging API: sends, reply tokens, retry keys.

Every send stores its messages through ``messaging.store.services.messages_send``
so they appear in the customers' talk rooms. Counted sends (push,
multicast, narrowcast, broadcast) go through ``accounts.quota``; replies
are free. Narrowcasts and broadcasts become broadcasts on the one fan-out
engine (``messaging.broadcasts``): a per-recipient ledger, exactly once,
pause and resume, opens and clicks.

These services live next to the API because the API is their only caller
so far; other apps import them from here, never from the views.
"""

import contextlib
import datetime as dt
import secrets
import uuid
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import quota
from accounts.models import OfficialAccount
from core.events import line_user_group, send_event_on_commit
from core.exceptions import ApplicationError
from messaging.api.models import RetryKey
from messaging.api.selectors import narrowcast_get
from messaging.audience.conditions import audience_count
from messaging.audience.models import AudienceGroup
from messaging.audience.selectors import audience_group_by_public_id
from messaging.audience.services import MIN_RECIPIENTS as AUDIENCE_MIN_RECIPIENTS
from messaging.broadcasts.control import broadcast_api_send
from messaging.broadcasts.models import Broadcast
from messaging.friends.models import Friend
from messaging.groups.models import ChatGroup
from messaging.groups.selectors import group_for_account, group_member_count
from messaging.groups.services import group_messages_send
from messaging.store.models import Message
from messaging.store.quotes import quote_tokens_check
from messaging.store.services import messages_mark_read, messages_send
from messaging.store.validators import messages_validate
from messaging.webhooks.events import mark_as_read_token_parse
from messaging.webhooks.models import ReplyToken

RETRY_KEY_TTL = dt.timedelta(hours=24)
# LINE's privacy rules for attribute (demographic) targeting (spec 1.5).
NARROWCAST_MIN_TARGET_REACH = 100
NARROWCAST_MIN_RECIPIENTS = 50
NARROWCAST_MAX_AUDIENCES = 10


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

    Each sent message has its ``id`` and ``quoteToken``. A blocked friend
    receives nothing yet LINE still answers 200 with message IDs, so IDs
    and quote tokens are made up for messages that were not stored.
    """
    if rows:
        return [{"id": row.public_id, "quoteToken": row.quote_token} for row in rows]
    return [
        {
            "id": str(10**17 + secrets.randbelow(9 * 10**17)),
            "quoteToken": secrets.token_urlsafe(16)[:22],
        }
        for _i in range(count)
    ]


@transaction.atomic
def message_reply(
    *, account: OfficialAccount, reply_token: str, messages: list[dict]
) -> list[dict]:
    """Answer a webhook event with its reply token (free of quota)."""
    _check_active(account)
    messages_validate(messages, api=True, account_id=account.pk)
    now = timezone.now()
    token = (
        ReplyToken.objects.select_for_update(of=("self",))
        .select_related("friend__line_user")
        .filter(account=account, token=reply_token)
        .first()
    )
    if token is None or token.used_at is not None or token.expires_at <= now:
        raise ReplyTokenInvalid("Invalid reply token")
    if not token.chat_id:  # a group's messages are not quotable here yet
        quote_tokens_check(friend_id=token.friend_id, messages=messages)
    token.used_at = now
    token.save(update_fields=["used_at"])
    if token.chat_id:  # an event of a group chat or room (docs/groups.md)
        return _group_send(account, token.chat_id, messages, quota_counted=False)
    rows = messages_send(
        account=account,
        friends=[token.friend],
        messages=messages,
        source=Message.Source.API_REPLY,
    )
    return _sent_messages(rows, len(messages))


def _group_send(
    account: OfficialAccount, chat_id: str, messages: list[dict], *, quota_counted: bool
) -> list[dict]:
    """Send into a group chat or room the account is in; a push counts one
    message per member (LINE's rule), a reply nothing."""
    kind = ChatGroup.Kind.GROUP if chat_id[:1] == "C" else ChatGroup.Kind.ROOM
    group = group_for_account(account=account, line_id=chat_id, kind=kind)
    if group is None:
        raise SendFailed("Failed to send messages")
    if quota_counted:
        quota.quota_consume(account=account, count=group_member_count(group=group))
    rows = group_messages_send(account=account, group=group, messages=messages)
    return [
        {"id": row.message_id, "quoteToken": secrets.token_urlsafe(16)[:22]}
        for row in rows
    ]


# What a send reads of a friend (``messages_send``: status, the nickname
# placeholder, the talk-room event); loading only these halves the cost of
# a 500-recipient multicast's friend rows.
SEND_FIELDS = (
    "id",
    "account_id",
    "status",
    "line_user_id",
    "line_user__id",
    "line_user__user_id",
    "line_user__display_name",
)


def message_push(
    *,
    account: OfficialAccount,
    to: str,
    messages: list[dict],
    request_id: str,
    retry_key: uuid.UUID | None = None,
) -> list[dict]:
    """Send to one user; counts one message of quota if delivered.

    Unknown users, and groups or rooms the account is not in, are refused;
    a group or room counts one message per member. A blocked friend gets
    nothing and costs nothing, and the call still succeeds, as on LINE. A
    user's quota is counted before the send's own transaction
    (``quota_taken``: the account's usage row is not held locked across the
    send) and given back if the send fails.
    """
    _check_active(account)
    _retry_key_check(account, retry_key)
    messages_validate(messages, api=True, account_id=account.pk)
    if to[:1] in ("C", "R"):  # a group chat or room the account is in
        with transaction.atomic():
            sent = _group_send(account, to, messages, quota_counted=True)
            _retry_key_store(
                account,
                retry_key,
                endpoint="push",
                request_id=request_id,
                response={"sentMessages": sent},
            )
        return sent
    friend = (
        Friend.objects.select_related("line_user")
        .only(*SEND_FIELDS)
        .filter(account=account, line_user__user_id=to)
        .first()
    )
    if friend is None:
        raise SendFailed("Failed to send messages")
    quote_tokens_check(friend_id=friend.pk, messages=messages)
    if friend.status != Friend.Status.FOLLOWING:
        sent = _sent_messages([], len(messages))
        with transaction.atomic():
            _retry_key_store(
                account,
                retry_key,
                endpoint="push",
                request_id=request_id,
                response={"sentMessages": sent},
            )
        return sent
    with quota.quota_taken(account=account, count=1), transaction.atomic():
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
    only the friends reached are counted against the quota (counted before
    the send's transaction and given back if it fails, as for push).
    """
    _check_active(account)
    _retry_key_check(account, retry_key)
    messages_validate(messages, api=True, account_id=account.pk)
    friends = list(
        Friend.objects.select_related("line_user")
        .only(*SEND_FIELDS)
        .filter(
            account=account,
            status=Friend.Status.FOLLOWING,
            line_user__user_id__in=set(to),
        )
        .order_by("pk")
    )
    with contextlib.ExitStack() as stack:
        if friends:
            stack.enter_context(quota.quota_taken(account=account, count=len(friends)))
        with transaction.atomic():
            if friends:
                messages_send(
                    account=account,
                    friends=friends,
                    messages=messages,
                    source=Message.Source.API_MULTICAST,
                )
            _retry_key_store(
                account,
                retry_key,
                endpoint="multicast",
                request_id=request_id,
                response={},
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


def _operator_condition(node: dict, child) -> dict:
    """LINE's ``operator`` object as a segment group (``not``: negated)."""
    if "not" in node:
        return {**child(node["not"]), "negate": True}
    match = "all" if "and" in node else "any"
    return {
        "type": "group",
        "match": match,
        "conditions": [child(c) for c in node["and" if match == "all" else "or"]],
    }


def _recipient_condition(
    account: OfficialAccount, node: dict, now, used: list[AudienceGroup]
) -> dict:
    """LINE's recipient object as segment conditions; audiences it names
    are appended to ``used``."""
    kind = node["type"]
    if kind == "audience":
        group = audience_group_by_public_id(
            account=account, audience_group_id=node["audienceGroupId"]
        )
        if group is None or group.status != AudienceGroup.Status.READY:
            raise RecipientInvalid(
                f"Invalid audience group id: {node['audienceGroupId']}"
            )
        used.append(group)
        return {"type": "audience_group", "values": [group.pk]}
    if kind == "redelivery":
        earlier = narrowcast_get(account=account, request_id=node["requestId"])
        if earlier is None or earlier.status != Broadcast.Status.SENT:
            raise RecipientInvalid(f"Invalid request id: {node['requestId']}")
        return {"type": "broadcast_received", "broadcast": earlier.pk}
    return _operator_condition(
        node, lambda child: _recipient_condition(account, child, now, used)
    )


def _years(value: str | None) -> int | None:
    return None if not value else int(value.split("_")[1])


def _demographic_condition(node: dict) -> dict:
    """LINE's demographic filter as segment conditions (spec 1.5).

    gender, appType (OS) and area (region) are the Manager's own attribute
    conditions; ``age_NN`` bounds become ``age_range`` (``lt`` exclusive);
    ``subscriptionPeriod`` ``day_N`` bounds become the friend period.
    """
    kind = node["type"]
    if kind == "operator":
        return _operator_condition(node, _demographic_condition)
    if kind in ("gender", "appType", "area"):
        condition = {"gender": "gender", "appType": "os", "area": "region"}[kind]
        return {"type": condition, "values": list(node["oneOf"])}
    if kind == "age":
        return {
            "type": "age_range",
            "min": _years(node.get("gte")),
            "below": _years(node.get("lt")),
        }
    # subscriptionPeriod: friends for at least ``gte`` and under ``lt`` days
    return {
        "type": "friend_period",
        "min_days": _years(node.get("gte")),
        "max_days": _years(node.get("lt")),
    }


def _count_audiences(node: dict | None) -> int:
    if not node:
        return 0
    if node["type"] in ("audience", "redelivery"):
        return 1
    children = node.get("and") or node.get("or") or [node.get("not")]
    return sum(_count_audiences(child) for child in children if child)


@transaction.atomic
def narrowcast_accept(
    *,
    account: OfficialAccount,
    messages: list[dict],
    audience: Audience,
    request_id: str,
    notification_disabled: bool = False,
    retry_key: uuid.UUID | None = None,
) -> Broadcast:
    """Accept a narrowcast: a broadcast on the one fan-out engine.

    LINE's recipient and demographic objects become the broadcast's segment
    definition, ``limit.max`` (and, with ``upToRemainingQuota``, the
    remaining quota) its recipient cap. Sync refusals: unknown audience or
    request IDs (``RecipientInvalid``, 400), too few friends for attribute
    targeting (``NotEnoughFriends``, 403), quota (``QuotaExceeded``, 429).
    Failures LINE reports through the progress endpoint instead (too few
    recipients: code 2; quota short with ``forbidPartialDelivery``: code 5)
    make a broadcast that is already ``failed``. ``notification_disabled``
    has no effect: the talk app shows no push notifications.
    """
    _check_active(account)
    _retry_key_check(account, retry_key)
    messages_validate(messages, api=True, account_id=account.pk)
    if _count_audiences(audience.recipient) > NARROWCAST_MAX_AUDIENCES:
        raise RecipientInvalid(
            f"Up to {NARROWCAST_MAX_AUDIENCES} audiences and redeliveries "
            "may be combined"
        )
    now = timezone.now()
    conditions = []
    audiences: list[AudienceGroup] = []
    if audience.recipient:
        conditions.append(
            _recipient_condition(account, audience.recipient, now, audiences)
        )
    if audience.demographic:
        following = Friend.objects.filter(
            account=account, status=Friend.Status.FOLLOWING
        )
        if following.count() < NARROWCAST_MIN_TARGET_REACH:
            raise NotEnoughFriends("Your account does not have enough friends")
        conditions.append(_demographic_condition(audience.demographic))
    definition = {"match": "all", "conditions": conditions} if conditions else None
    cap = audience.limit_max
    failure = None
    matching = 0
    if audience.demographic or audience.up_to_remaining_quota or audiences:
        matching = audience_count(account=account, definition=definition, now=now)
        if cap is not None:
            matching = min(matching, cap)
        too_small = [
            group
            for group in audiences
            if group.type != AudienceGroup.Type.UPLOAD
            and group.audience_count < AUDIENCE_MIN_RECIPIENTS
        ]
        if too_small:
            failure = (4, "the audience has fewer than 50 people")
        elif (audience.demographic or audiences) and (
            matching < NARROWCAST_MIN_RECIPIENTS
        ):
            failure = (2, "not enough recipients")
        elif audience.up_to_remaining_quota:
            remaining = quota.usage_get(account=account).remaining
            if matching > remaining:
                if audience.forbid_partial_delivery:
                    failure = (5, "the quota does not cover every recipient")
                else:
                    cap = remaining
    broadcast = broadcast_api_send(
        account=account,
        origin=Broadcast.Origin.API_NARROWCAST,
        messages=messages,
        request_id=request_id,
        audience=definition,
        max_recipients=cap,
        failure=failure,
        failure_targets=matching,
    )
    _retry_key_store(
        account, retry_key, endpoint="narrowcast", request_id=request_id, response={}
    )
    return broadcast


@transaction.atomic
def broadcast_accept(
    *,
    account: OfficialAccount,
    messages: list[dict],
    request_id: str,
    notification_disabled: bool = False,
    retry_key: uuid.UUID | None = None,
) -> Broadcast:
    """Accept an API broadcast to every friend, on the one fan-out engine.

    Quota for every following friend is reserved now (``QuotaExceeded``:
    429, nothing written); the batches run on the workers after commit.
    """
    _check_active(account)
    _retry_key_check(account, retry_key)
    messages_validate(messages, api=True, account_id=account.pk)
    broadcast = broadcast_api_send(
        account=account,
        origin=Broadcast.Origin.API_BROADCAST,
        messages=messages,
        request_id=request_id,
    )
    _retry_key_store(
        account, retry_key, endpoint="broadcast", request_id=request_id, response={}
    )
    return broadcast


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
