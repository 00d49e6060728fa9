"""What the Manager's home page reads (issue 14, #17)."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import OfficialAccount
from analytics.models import (
    DailyChat,
    DailyFriends,
    DailyMessages,
    DemographicSnapshot,
    RollupCursor,
)
from chat.selectors import chat_enabled, unread_conversation_count
from messaging.broadcasts.models import Broadcast
from messaging.friends.filters import AGE_BANDS, q_age_bands
from messaging.friends.models import Friend, LineUser
from messaging.friends.regions import PREFECTURES
from messaging.friends.selectors import friend_counts
from richmenu.models import RichMenuDailyStat


@dataclass(frozen=True)
class HomeFigures:
    """Today's figures, in the account's time zone."""

    today: dt.date
    following: int
    blocked: int
    added_today: int
    blocked_today: int
    unread_chats: int | None  # None: chat is off or the role has no chat
    next_broadcast: Broadcast | None  # the earliest scheduled one


def home_figures(
    *, account: OfficialAccount, with_chat: bool, now: dt.datetime | None = None
) -> HomeFigures:
    """Friends gained and lost today, unread chats, the next broadcast.

    "Today" starts at local midnight of the account's time zone. Four
    SELECTs at most (friends, chat on?, unread, next broadcast); no writes.
    """
    now = now or timezone.now()
    midnight = timezone.localtime(now, account.tz).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    counts = friend_counts(account=account, since=midnight)
    unread = None
    if with_chat and chat_enabled(account=account):
        unread = unread_conversation_count(account=account)
    next_broadcast = (
        Broadcast.objects.filter(
            account=account,
            status=Broadcast.Status.SCHEDULED,
            scheduled_at__isnull=False,
        )
        .only("id", "title", "scheduled_at", "status", "account_id")
        .order_by("scheduled_at", "id")
        .first()
    )
    return HomeFigures(
        today=midnight.date(),
        following=counts["following"],
        blocked=counts["blocked"],
        added_today=counts["added"],
        blocked_today=counts["blocked_since"],
        unread_chats=unread,
        next_broadcast=next_broadcast,
    )


# --- The analytics dashboard (issue 12) ---------------------------------------

# LINE hides attribute breakdowns below this many friends (privacy).
DEMOGRAPHIC_THRESHOLD = 20
TABS = ("friends", "messages", "chat", "richmenus", "posts")


def _days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def rolled_through(*, account: OfficialAccount) -> dt.date | None:
    """The last local day the rollups hold final figures for."""
    return (
        RollupCursor.objects.filter(account=account)
        .values_list("through", flat=True)
        .first()
    )


def friends_table(*, account, first: dt.date, last: dt.date) -> list[dict]:
    """One row per day (``None`` figures for days not rolled yet). 1 query."""
    rows = {
        r["day"]: r
        for r in DailyFriends.objects.filter(
            account=account, day__gte=first, day__lte=last
        ).values("day", "added", "blocked", "unblocked", "following", "target_reach")
    }
    empty = dict.fromkeys(
        ("added", "blocked", "unblocked", "following", "target_reach")
    )
    return [{**empty, **rows.get(day, {}), "day": day} for day in _days(first, last)]


def messages_table(
    *, account, first: dt.date, last: dt.date, through: dt.date | None = None
) -> dict:
    """Deliveries per day and kind: ``{"kinds": [...], "rows": [{day, kind:
    deliveries…, "total", "counted"}]}``, kinds ordered by volume; days
    after ``through`` (not rolled up yet) have ``None`` figures. 1 query."""
    by_day: dict[dt.date, dict] = {}
    volume: dict[str, int] = {}
    for r in DailyMessages.objects.filter(
        account=account, day__gte=first, day__lte=last
    ).values("day", "source", "deliveries", "counted"):
        row = by_day.setdefault(r["day"], {"total": 0, "counted": 0})
        row[r["source"]] = r["deliveries"]
        row["total"] += r["deliveries"]
        row["counted"] += r["counted"]
        volume[r["source"]] = volume.get(r["source"], 0) + r["deliveries"]
    kinds = sorted(volume, key=lambda k: (-volume[k], k))
    rows = []
    for day in _days(first, last):
        if through is None or day > through:
            rows.append({"day": day, **dict.fromkeys([*kinds, "total", "counted"])})
            continue
        row = by_day.get(day, {"total": 0, "counted": 0})
        rows.append({"day": day, **{k: row.get(k, 0) for k in kinds}, **row})
    return {"kinds": kinds, "rows": rows}


def chat_table(*, account, first: dt.date, last: dt.date) -> list[dict]:
    """One row per day of chat work (``None`` for days not rolled). 1 query."""
    fields = (
        "started",
        "customer_messages",
        "responses",
        "response_p50_seconds",
        "response_p90_seconds",
    )
    rows = {
        r["day"]: r
        for r in DailyChat.objects.filter(
            account=account, day__gte=first, day__lte=last
        ).values("day", *fields)
    }
    empty = dict.fromkeys(fields)
    return [{**empty, **rows.get(day, {}), "day": day} for day in _days(first, last)]


def demographics(*, account: OfficialAccount) -> dict | None:
    """Shares of following friends by gender, age band, region and OS, from
    their profile attributes; ``None`` below ``DEMOGRAPHIC_THRESHOLD``
    friends, as LINE hides them. ``{"total": n, "gender": [[code, n, %]…]
    …}`` with codes (JSON-safe, language-free: stored in the snapshot and
    labelled at display by ``demographics_labelled``). 4 queries."""
    following = Friend.objects.filter(account=account, status=Friend.Status.FOLLOWING)
    total = following.count()
    if total < DEMOGRAPHIC_THRESHOLD:
        return None

    def shares(pairs) -> list[list]:
        return [[code, n, round(100 * n / total, 1)] for code, n in pairs if n]

    by_gender = following.values_list("line_user__gender").annotate(n=Count("id"))
    by_os = following.values_list("line_user__os").annotate(n=Count("id"))
    by_region = (
        following.values_list("line_user__region")
        .annotate(n=Count("id"))
        .order_by("-n", "line_user__region")
    )
    bands = following.aggregate(
        **{
            band.code: Count("id", filter=q_age_bands([band.code]))
            for band in AGE_BANDS
        }
    )
    return {
        "total": total,
        "gender": shares(sorted(by_gender)),
        "age": shares((band.code, bands[band.code]) for band in AGE_BANDS),
        "region": shares(by_region),
        "os": shares(sorted(by_os)),
    }


def demographics_labelled(data: dict | None) -> dict | None:
    """``demographics`` with each code replaced by its label in the active
    language (``[[label, n, %]…]``)."""
    if data is None:
        return None
    names = {
        "gender": dict(LineUser.Gender.choices),
        "age": {band.code: band.label for band in AGE_BANDS},
        "region": dict(PREFECTURES),
        "os": dict(LineUser.OS.choices),
    }
    out = {"total": data["total"]}
    for key, labels in names.items():
        out[key] = [
            [str(labels.get(code, _("Unknown"))), n, pct]
            for code, n, pct in data.get(key, [])
        ]
    return out


def demographics_snapshot(*, account: OfficialAccount) -> tuple[dict | None, object]:
    """The latest snapshot's labelled shares and when they were computed
    (``(None, None)`` before the first rollup run). 1 query."""
    snapshot = (
        DemographicSnapshot.objects.filter(account=account)
        .only("dashboard", "computed_at")
        .first()
    )
    if snapshot is None:
        return None, None
    return demographics_labelled(snapshot.dashboard), snapshot.computed_at


def home_trends(*, account: OfficialAccount, today: dt.date) -> dict:
    """Yesterday's key figures beside the day before, and 30 days of friends,
    for the home page. 2 queries.

    ``{"figures": [(key, yesterday, day_before)…], "chart": {labels, series}}``
    with ``None`` for days not rolled up yet.
    """
    yesterday = today - dt.timedelta(days=1)
    first = yesterday - dt.timedelta(days=29)
    friends = friends_table(account=account, first=first, last=yesterday)
    sent = dict(
        DailyMessages.objects.filter(
            account=account,
            day__gte=yesterday - dt.timedelta(days=1),
            day__lte=yesterday,
        )
        .values("day")
        .annotate(n=Sum("deliveries"))
        .values_list("day", "n")
    )
    last, before = friends[-1], friends[-2]
    return {
        "figures": [
            ("added", last["added"], before["added"]),
            ("blocked", last["blocked"], before["blocked"]),
            ("following", last["following"], before["following"]),
            (
                "deliveries",
                sent.get(yesterday),
                sent.get(yesterday - dt.timedelta(days=1)),
            ),
        ],
        "chart": {
            "type": "line",
            "labels": [r["day"].isoformat() for r in friends],
            "series": [{"label": "", "data": [r["following"] for r in friends]}],
        },
    }


def richmenu_table(*, account: OfficialAccount, first: dt.date, last: dt.date) -> dict:
    """Rich menu impressions and taps per area per day (issue 15, #7).

    One query on ``RichMenuDailyStat`` (its unique index per menu and day).
    ``rows``: one per day and menu with figures, oldest first:
    ``{"day", "menu", "impressions", "taps", "areas": [taps per area]}``;
    ``areas``: the most areas any of those menus has; ``days``: every day
    of the range with the impressions and taps of all menus.
    """
    stats = (
        RichMenuDailyStat.objects.filter(
            rich_menu__account=account, day__gte=first, day__lte=last
        )
        .order_by("day", "rich_menu_id", "area")
        .values_list("day", "rich_menu_id", "rich_menu__name", "area", "count")
    )
    rows: dict[tuple, dict] = {}
    for day, menu_id, name, area, count in stats:
        row = rows.setdefault(
            (day, menu_id),
            {"day": day, "menu": name, "impressions": 0, "taps": 0, "by_area": {}},
        )
        if area == RichMenuDailyStat.IMPRESSION:
            row["impressions"] += count
        else:
            row["taps"] += count
            row["by_area"][area] = count
    width = max((max(r["by_area"], default=-1) + 1 for r in rows.values()), default=0)
    for row in rows.values():
        row["areas"] = [row["by_area"].get(i, 0) for i in range(width)]
        del row["by_area"]
    totals = {
        day: {"day": day, "impressions": 0, "taps": 0} for day in _days(first, last)
    }
    for row in rows.values():
        totals[row["day"]]["impressions"] += row["impressions"]
        totals[row["day"]]["taps"] += row["taps"]
    return {"rows": list(rows.values()), "areas": width, "days": list(totals.values())}
