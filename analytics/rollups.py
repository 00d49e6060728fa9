"""Fill the daily rollup tables from the live tables (issue 12).

``rollup_days(account, first, last)`` recomputes every local day in
``[first, last]`` for one account: per table, one aggregate SELECT grouped
in the database, then the day's rows are replaced (DELETE + INSERT in one
transaction), so a re-run changes nothing and a backfill is the same call.
Days are calendar days in the account's time zone. ``rollup_due`` is what
Celery beat runs: every account up to yesterday, from where it got to.
"""

import datetime as dt
import logging

from django.db import connection, transaction
from django.db.models import Count, F, Func, Min, Q
from django.utils import timezone

from accounts.models import OfficialAccount
from analytics.models import (
    DailyChat,
    DailyFriends,
    DailyFriendSource,
    DailyMessages,
    DemographicSnapshot,
    RollupCursor,
)
from chat.models import Conversation, ResponseTime
from messaging.friends.models import Friend, FriendSource
from messaging.store.models import Message

logger = logging.getLogger(__name__)

# Message kinds that use quota (spec, "message counting"); the rest is free.
COUNTED_SOURCES = frozenset(
    {
        Message.Source.BROADCAST,
        Message.Source.STEP,
        Message.Source.API_PUSH,
        Message.Source.API_MULTICAST,
        Message.Source.API_NARROWCAST,
        Message.Source.API_BROADCAST,
        Message.Source.TEST,
    }
)
# A first run looks back at most this far (LINE keeps 14 months of Insight).
FIRST_RUN_DAYS = 430
# Friends' attribute shares are recomputed when older than this.
SNAPSHOT_MAX_AGE = dt.timedelta(hours=6)


def day_bounds(
    account: OfficialAccount, day: dt.date
) -> tuple[dt.datetime, dt.datetime]:
    """``[start, end)`` of local ``day`` as aware datetimes (DST-safe)."""
    start = dt.datetime.combine(day, dt.time.min, tzinfo=account.tz)
    end = dt.datetime.combine(
        day + dt.timedelta(days=1), dt.time.min, tzinfo=account.tz
    )
    return start, end


def _days(first: dt.date, last: dt.date):
    day = first
    while day <= last:
        yield day
        day += dt.timedelta(days=1)


def _friends_row(account: OfficialAccount, day: dt.date) -> DailyFriends:
    start, end = day_bounds(account, day)
    # Following at the end of the day: added before it, and not blocked
    # then (no block before the end, or an unblock after that block).
    blocked_at_end = Q(blocked_at__lt=end) & (
        Q(unblocked_at__isnull=True)
        | Q(unblocked_at__lt=F("blocked_at"))
        | Q(unblocked_at__gte=end)
    )
    existed = Q(friend_since__lt=end)
    known = (
        Q(line_user__age__isnull=False)
        & ~Q(line_user__gender="unknown")
        & ~Q(line_user__region="")
    )
    figures = Friend.objects.filter(account=account).aggregate(
        added=Count("id", filter=Q(friend_since__gte=start, friend_since__lt=end)),
        blocked=Count("id", filter=Q(blocked_at__gte=start, blocked_at__lt=end)),
        unblocked=Count("id", filter=Q(unblocked_at__gte=start, unblocked_at__lt=end)),
        following=Count("id", filter=existed & ~blocked_at_end),
        blocked_total=Count("id", filter=existed & blocked_at_end),
        target_reach=Count("id", filter=existed & ~blocked_at_end & known),
    )
    return DailyFriends(account=account, day=day, **figures)


def _source_rows(account: OfficialAccount, day: dt.date) -> list[DailyFriendSource]:
    start, end = day_bounds(account, day)
    names = dict(FriendSource.objects.filter(account=account).values_list("pk", "name"))
    rows = (
        Friend.objects.filter(
            account=account, friend_since__gte=start, friend_since__lt=end
        )
        .values("source_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return [
        DailyFriendSource(
            account=account,
            day=day,
            source_id=row["source_id"] or 0,
            source_name=names.get(row["source_id"], ""),
            added=row["n"],
        )
        for row in rows
    ]


def _one_send() -> Count:
    """One per recipient per send: bubbles of one send share a timestamp."""
    if connection.vendor == "postgresql":
        return Count(
            Func(F("friend_id"), F("created_at"), function="ROW"), distinct=True
        )
    from django.db.models import CharField, Value
    from django.db.models.functions import Cast, Concat

    return Count(
        Concat(
            Cast("friend_id", CharField()),
            Value(":"),
            Cast("created_at", CharField()),
        ),
        distinct=True,
    )


def _message_rows(account: OfficialAccount, day: dt.date) -> list[DailyMessages]:
    start, end = day_bounds(account, day)
    rows = (
        Message.objects.filter(
            account=account,
            direction=Message.Direction.OUTBOUND,
            created_at__gte=start,
            created_at__lt=end,
        )
        .values("source")
        .annotate(bubbles=Count("id"), deliveries=_one_send())
        .order_by()
    )
    return [
        DailyMessages(
            account=account,
            day=day,
            source=row["source"],
            bubbles=row["bubbles"],
            deliveries=row["deliveries"],
            counted=row["deliveries"] if row["source"] in COUNTED_SOURCES else 0,
        )
        for row in rows
    ]


def _percentiles(account: OfficialAccount, start, end) -> tuple[int | None, int | None]:
    times = ResponseTime.objects.filter(
        account=account, responded_at__gte=start, responded_at__lt=end
    )
    if connection.vendor == "postgresql":
        sql, params = times.values("seconds").query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY seconds), "
                "percentile_disc(0.9) WITHIN GROUP (ORDER BY seconds) "
                f"FROM ({sql}) AS t",  # noqa: S608 - Django-built SQL
                params,
            )
            return cursor.fetchone()
    values = sorted(times.values_list("seconds", flat=True))
    if not values:
        return None, None

    def at(fraction: float) -> int:
        # percentile_disc: the first value whose cumulative share ≥ fraction
        index = max(0, -(-int(fraction * 100) * len(values) // 100) - 1)
        return values[index]

    return at(0.5), at(0.9)


def _chat_row(account: OfficialAccount, day: dt.date) -> DailyChat:
    start, end = day_bounds(account, day)
    p50, p90 = _percentiles(account, start, end)
    return DailyChat(
        account=account,
        day=day,
        started=Conversation.objects.filter(
            account=account, created_at__gte=start, created_at__lt=end
        ).count(),
        customer_messages=Message.objects.filter(
            account=account,
            direction=Message.Direction.INBOUND,
            created_at__gte=start,
            created_at__lt=end,
        ).count(),
        responses=ResponseTime.objects.filter(
            account=account, responded_at__gte=start, responded_at__lt=end
        ).count(),
        response_p50_seconds=p50,
        response_p90_seconds=p90,
    )


def rollup_days(*, account: OfficialAccount, first: dt.date, last: dt.date) -> int:
    """Recompute the rollups of local days ``first``…``last`` (inclusive).

    Each day is one transaction replacing that day's rows in every table;
    returns the number of days rolled. Raises ``ValueError`` for a reversed
    range.
    """
    if first > last:
        raise ValueError("first day after last day")
    rolled = 0
    for day in _days(first, last):
        friends = _friends_row(account, day)
        sources = _source_rows(account, day)
        messages = _message_rows(account, day)
        chat = _chat_row(account, day)
        with transaction.atomic():
            for model in (DailyFriends, DailyFriendSource, DailyMessages, DailyChat):
                model.objects.filter(account=account, day=day).delete()
            friends.save()
            DailyFriendSource.objects.bulk_create(sources)
            DailyMessages.objects.bulk_create(messages)
            chat.save()
        rolled += 1
    return rolled


def local_today(account: OfficialAccount, now: dt.datetime | None = None) -> dt.date:
    return timezone.localtime(now or timezone.now(), account.tz).date()


def rollup_due(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Beat: roll every account up to its local yesterday; returns
    ``{"accounts": n, "days": n}``.

    Starts at the cursor's day again (late writes of the last rolled day are
    picked up) or, on the first run, at the account's first friend (at most
    ``FIRST_RUN_DAYS`` back). Idempotent; safe to run concurrently with
    itself (each account's cursor row is locked while it advances).
    """
    totals = {"accounts": 0, "days": 0}
    for account in OfficialAccount.objects.order_by("id"):
        days = _roll_account(account, now)
        demographics_refresh(account=account, now=now, max_age=SNAPSHOT_MAX_AGE)
        if days:
            totals["accounts"] += 1
            totals["days"] += days
    return totals


def _roll_account(account: OfficialAccount, now: dt.datetime | None) -> int:
    """Roll one account from its cursor to yesterday; the days rolled."""
    yesterday = local_today(account, now) - dt.timedelta(days=1)
    with transaction.atomic():
        cursor = (
            RollupCursor.objects.select_for_update(skip_locked=True)
            .filter(account=account)
            .first()
        )
        if cursor is None:
            earliest = Friend.objects.filter(account=account).aggregate(
                at=Min("friend_since")
            )["at"]
            began = (
                timezone.localtime(earliest, account.tz).date()
                if earliest
                else yesterday
            )
            first = max(began, yesterday - dt.timedelta(days=FIRST_RUN_DAYS))
            cursor, _new = RollupCursor.objects.get_or_create(
                account=account, defaults={"through": first - dt.timedelta(days=1)}
            )
        else:
            first = cursor.through
        if first > yesterday:
            return 0
        days = rollup_days(account=account, first=first, last=yesterday)
        RollupCursor.objects.filter(pk=cursor.pk).update(through=yesterday)
    return days


def demographics_refresh(
    *,
    account: OfficialAccount,
    now: dt.datetime | None = None,
    max_age: dt.timedelta | None = None,
) -> bool:
    """Recompute the account's ``DemographicSnapshot`` (unless younger than
    ``max_age``); returns whether it was recomputed."""
    from analytics.insight import demographics as insight_demographics
    from analytics.selectors import demographics as dashboard_demographics

    now = now or timezone.now()
    if (
        max_age is not None
        and DemographicSnapshot.objects.filter(
            account=account, computed_at__gt=now - max_age
        ).exists()
    ):
        return False
    DemographicSnapshot.objects.update_or_create(
        account=account,
        defaults={
            "computed_at": now,
            "dashboard": dashboard_demographics(account=account),
            "insight": insight_demographics(account=account, now=now),
        },
    )
    return True
