"""Business hours arithmetic: is the account open, and since when closed.

Pure functions over ``(weekday, opens_minute, closes_minute)`` triples in
the account's time zone, so the rules are testable without a database.
"""

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

MINUTES_PER_DAY = 1440
# Intervals repeat every week: eight days back always reach the last
# closing time when there is any interval at all.
_DAYS_BACK = 8

Interval = tuple[int, int, int]


def minute_label(minute: int) -> str:
    """``HH:MM`` of minutes after local midnight; 1440 is ``24:00``."""
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _local(day: dt.date, minute: int, tz: ZoneInfo) -> dt.datetime:
    day = day + dt.timedelta(days=minute // MINUTES_PER_DAY)
    minute %= MINUTES_PER_DAY
    return dt.datetime.combine(day, dt.time(minute // 60, minute % 60), tzinfo=tz)


def open_spans(
    intervals: Iterable[Interval], *, tz: ZoneInfo, around: dt.datetime
) -> list[tuple[dt.datetime, dt.datetime]]:
    """The open spans from eight days before ``around`` to a day after it.

    Overlapping and touching spans are merged, so an evening until 24:00
    and the next morning from 00:00 make one span.
    """
    intervals = list(intervals)
    today = around.astimezone(tz).date()
    spans = []
    for offset in range(-_DAYS_BACK, 2):
        day = today + dt.timedelta(days=offset)
        for weekday, opens, closes in intervals:
            if day.weekday() == weekday:
                spans.append((_local(day, opens, tz), _local(day, closes, tz)))
    spans.sort()
    merged: list[tuple[dt.datetime, dt.datetime]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def off_hours_period_start(
    intervals: Iterable[Interval], *, tz: ZoneInfo, at: dt.datetime
) -> dt.datetime | None:
    """``None`` when open at ``at``, else when the current closed period began.

    The period is identified by the moment the account last closed. With
    no intervals at all the account never opens; each local calendar day
    is then a period of its own.
    """
    spans = open_spans(intervals, tz=tz, around=at)
    last_close = None
    for start, end in spans:
        if start <= at < end:
            return None
        if end <= at:
            last_close = end
    if last_close is None:
        return dt.datetime.combine(at.astimezone(tz).date(), dt.time(), tzinfo=tz)
    return last_close
