"""Account-scoped reads behind the Messaging API.

A row of another account is reported exactly like a missing one.
"""

import base64
import binascii
import datetime as dt
import zoneinfo

from django.db.models import Count, Sum
from django.utils import timezone

from accounts.models import OfficialAccount
from core.public_ids import public_number_parse
from messaging.broadcasts.models import Broadcast, BroadcastBatch
from messaging.friends.models import Friend
from messaging.store.models import Message

JST = zoneinfo.ZoneInfo("Asia/Tokyo")  # LINE's statistics days are UTC+9
FOLLOWERS_DEFAULT_LIMIT = 300
FOLLOWERS_MAX_LIMIT = 1000
PROGRESS_TTL = dt.timedelta(days=14)
# LINE started counting sent messages on this day ("out_of_service" before).
DELIVERY_COUNTS_SINCE = dt.date(2018, 3, 31)

DELIVERY_SOURCES = {
    "reply": [Message.Source.API_REPLY],
    "push": [Message.Source.API_PUSH],
    "multicast": [Message.Source.API_MULTICAST],
    # LINE's broadcast count includes broadcasts sent from the Manager.
    "broadcast": [Message.Source.API_BROADCAST, Message.Source.BROADCAST],
}


def friend_profile_get(*, account: OfficialAccount, user_id: str) -> Friend | None:
    """The following friend with LINE user ID ``user_id``, else None."""
    return (
        Friend.objects.select_related("line_user")
        .filter(
            account=account,
            line_user__user_id=user_id,
            status=Friend.Status.FOLLOWING,
        )
        .first()
    )


def _cursor_encode(friend_id: int) -> str:
    return base64.urlsafe_b64encode(f"f{friend_id}".encode()).decode().rstrip("=")


def followers_cursor_decode(token: str) -> int | None:
    """The friend pk a ``next`` token continues after, None if malformed."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    if not raw.startswith("f") or not raw[1:].isdigit():
        return None
    return int(raw[1:])


def followers_page(
    *, account: OfficialAccount, after: int | None, limit: int
) -> tuple[list[str], str | None]:
    """User IDs of following friends in follow order, keyset-paged.

    Returns the page and the ``next`` token, None on the last page.
    """
    qs = Friend.objects.filter(account=account, status=Friend.Status.FOLLOWING)
    if after is not None:
        qs = qs.filter(pk__gt=after)
    rows = list(qs.order_by("pk").values_list("pk", "line_user__user_id")[: limit + 1])
    page = rows[:limit]
    token = _cursor_encode(page[-1][0]) if len(rows) > limit else None
    return [user_id for _pk, user_id in page], token


def message_content_get(*, account: OfficialAccount, message_id: str) -> Message | None:
    """An inbound message of this account that has uploaded content.

    ``message_id`` is the public 18-digit ID (``Message.public_id``)."""
    pk = public_number_parse(message_id)
    if pk is None:
        return None
    return (
        Message.objects.filter(
            account=account,
            pk=pk,
            direction=Message.Direction.INBOUND,
        )
        .exclude(content="")
        .first()
    )


def narrowcast_get(*, account: OfficialAccount, request_id: str) -> Broadcast | None:
    """A narrowcast of this account accepted in the last 14 days, or None."""
    return Broadcast.objects.filter(
        account=account,
        origin=Broadcast.Origin.API_NARROWCAST,
        request_id=request_id,
        created_at__gt=timezone.now() - PROGRESS_TTL,
    ).first()


def narrowcast_progress(*, account: OfficialAccount, request_id: str) -> dict | None:
    """LINE's narrowcast progress object, or None for an unknown request.

    Read from the broadcast engine: phase ``waiting`` until a batch is done
    (or while scheduled), ``sending`` while batches run or it is paused,
    ``succeeded`` once sent, ``failed`` when failed or cancelled. Counts
    (from the ledger's batches) are given once it left ``waiting``:
    ``successCount`` friends reached, ``failureCount`` the targets not
    reached, ``targetCount`` the recipients fixed at start (spec 1.6).
    """
    broadcast = narrowcast_get(account=account, request_id=request_id)
    if broadcast is None:
        return None
    status = Broadcast.Status
    totals = broadcast.batches.filter(status=BroadcastBatch.Status.DONE).aggregate(
        done=Count("id"), sent=Sum("sent")
    )
    if broadcast.status == status.SENT:
        phase = "succeeded"
    elif broadcast.status in (status.FAILED, status.CANCELLED):
        phase = "failed"
    elif broadcast.status == status.SCHEDULED or not totals["done"]:
        phase = "waiting"
    else:
        phase = "sending"
    progress: dict = {"phase": phase, "accepted_at": broadcast.created_at}
    if phase != "waiting":
        sent = totals["sent"] or 0
        finished = phase in ("succeeded", "failed")
        progress.update(
            success=sent,
            failure=max(broadcast.target_count - sent, 0) if finished else 0,
            target=broadcast.target_count,
        )
    if phase == "failed":
        progress.update(
            error_code=broadcast.error_code or 1,
            failed_description=broadcast.failure_reason,
        )
    progress["completed_at"] = broadcast.finished_at
    return progress


def delivery_count(*, account: OfficialAccount, kind: str, day: dt.date) -> dict:
    """LINE's ``{status, success?}`` for messages sent on ``day`` (UTC+9).

    Counts are final the day after (``unready`` until then), as on LINE.
    """
    today = timezone.now().astimezone(JST).date()
    if day < DELIVERY_COUNTS_SINCE:
        return {"status": "out_of_service"}
    if day >= today:
        return {"status": "unready"}
    start = dt.datetime.combine(day, dt.time.min, tzinfo=JST)
    count = Message.objects.filter(
        account=account,
        direction=Message.Direction.OUTBOUND,
        source__in=DELIVERY_SOURCES[kind],
        created_at__gte=start,
        created_at__lt=start + dt.timedelta(days=1),
    ).count()
    return {"status": "ready", "success": count}
