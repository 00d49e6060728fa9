"""What the Insight API answers (issue 12; spec 1.4 "Insight", insight.yml).

Read from the daily rollups and the broadcast ledger. Dates are local days
of the account (LINE: UTC+9; the default account time zone is Tokyo).
Statuses as LINE's: ``ready`` (final figures), ``unready`` (the day is not
rolled up yet: today, the future, or the nightly task has not run), and
``out_of_service`` (before the account's figures begin).
"""

import datetime as dt

from django.db.models import Count, Q
from django.utils import timezone, translation

from accounts.models import OfficialAccount
from analytics.models import DailyFriends, DailyMessages, RollupCursor
from analytics.rollups import day_bounds
from analytics.selectors import DEMOGRAPHIC_THRESHOLD
from messaging.broadcasts.models import Broadcast, BroadcastLink, Delivery
from messaging.friends.models import Friend, LineUser
from messaging.friends.regions import PREFECTURES
from messaging.store.models import Message

READY, UNREADY, OUT_OF_SERVICE = "ready", "unready", "out_of_service"

# GET /v2/bot/insight/message/delivery: LINE's keys for our message kinds.
DELIVERY_KEYS = {
    Message.Source.BROADCAST: "broadcast",
    Message.Source.AUTO_RESPONSE: "autoResponse",
    Message.Source.GREETING: "welcomeResponse",
    Message.Source.CHAT: "chat",
    Message.Source.API_BROADCAST: "apiBroadcast",
    Message.Source.API_PUSH: "apiPush",
    Message.Source.API_MULTICAST: "apiMulticast",
    Message.Source.API_NARROWCAST: "apiNarrowcast",
    Message.Source.API_REPLY: "apiReply",
}
# LINE's age tiles (insight.yml AgeTile) as [lo, hi) years.
AGE_TILES = [
    ("from0to14", 0, 15),
    ("from15to19", 15, 20),
    ("from20to24", 20, 25),
    ("from25to29", 25, 30),
    ("from30to34", 30, 35),
    ("from35to39", 35, 40),
    ("from40to44", 40, 45),
    ("from45to49", 45, 50),
    ("from50to54", 50, 55),
    ("from55to59", 55, 60),
    ("from60to64", 60, 65),
    ("from65to69", 65, 70),
    ("from70", 70, None),
]
# Friendship durations (SubscriptionPeriodTile) as upper bounds in days.
PERIOD_TILES = [
    ("within7days", 7),
    ("within30days", 30),
    ("within90days", 90),
    ("within180days", 180),
    ("within365days", 365),
]
APP_TYPES = {LineUser.OS.IOS: "ios", LineUser.OS.ANDROID: "android"}


def _status(account: OfficialAccount, day: dt.date) -> str:
    through = (
        RollupCursor.objects.filter(account=account)
        .values_list("through", flat=True)
        .first()
    )
    if through is None or day > through:
        return UNREADY
    return READY


def followers(*, account: OfficialAccount, day: dt.date) -> dict:
    """``{status, followers, targetedReaches, blocks}`` for the end of ``day``.

    ``followers`` counts first adds up to that day (never decreases, as
    LINE's); the figures are left out unless ``ready``.
    """
    status = _status(account, day)
    if status != READY:
        return {"status": status}
    row = DailyFriends.objects.filter(account=account, day=day).first()
    if row is None:
        return {"status": OUT_OF_SERVICE}
    # First adds up to the end of the day (a friend who blocked later still
    # counts once, as on LINE).
    _start, day_end = day_bounds(account, day)
    ever = Friend.objects.filter(account=account, friend_since__lt=day_end).count()
    return {
        "status": READY,
        "followers": ever,
        "targetedReaches": row.target_reach,
        "blocks": row.blocked_total,
    }


def message_deliveries(*, account: OfficialAccount, day: dt.date) -> dict:
    """``{status, broadcast, targeting, autoResponse, …, apiReply}`` of ``day``.

    Manager broadcasts are all under ``broadcast`` (``targeting`` is 0: we
    do not split Manager broadcasts by audience); step and test messages
    have no key in LINE's response and are left out.
    """
    status = _status(account, day)
    if status != READY:
        return {"status": status}
    rows = dict(
        DailyMessages.objects.filter(account=account, day=day).values_list(
            "source", "deliveries"
        )
    )
    body = {"status": READY, "targeting": 0}
    for source, key in DELIVERY_KEYS.items():
        body[key] = rows.get(source, 0)
    return body


def _tiles(counts: list[tuple[str, int]], total: int, key: str) -> list[dict]:
    return [
        {key: name, "percentage": round(100 * n / total, 1)} for name, n in counts if n
    ]


def demographics(*, account: OfficialAccount, now: dt.datetime | None = None) -> dict:
    """``{available, genders, ages, areas, appTypes, subscriptionPeriods}``.

    From the following friends' profile attributes; ``available`` is false
    (and nothing else is said) below ``DEMOGRAPHIC_THRESHOLD`` friends.
    """
    now = now or timezone.now()
    following = Friend.objects.filter(account=account, status=Friend.Status.FOLLOWING)
    total = following.count()
    if total < DEMOGRAPHIC_THRESHOLD:
        return {"available": False}
    genders = following.values_list("line_user__gender").annotate(n=Count("id"))
    ages = following.aggregate(
        unknown=Count("id", filter=Q(line_user__age__isnull=True)),
        **{
            name: Count(
                "id",
                filter=Q(line_user__age__gte=lo)
                & (Q(line_user__age__lt=hi) if hi else Q()),
            )
            for name, lo, hi in AGE_TILES
        },
    )
    # LINE names areas in Japanese, whatever the caller's language.
    with translation.override("ja"):
        regions = {code: str(name) for code, name in PREFECTURES}
    areas = following.values_list("line_user__region").annotate(n=Count("id"))
    oses = following.values_list("line_user__os").annotate(n=Count("id"))
    periods = following.aggregate(
        **{
            name: Count(
                "id",
                filter=Q(friend_since__gt=now - dt.timedelta(days=days))
                & Q(friend_since__lte=now - dt.timedelta(days=previous)),
            )
            for (name, days), previous in zip(
                PERIOD_TILES, [0, *(d for _n, d in PERIOD_TILES[:-1])], strict=True
            )
        },
        over365days=Count(
            "id", filter=Q(friend_since__lte=now - dt.timedelta(days=365))
        ),
    )
    app_types: dict[str, int] = {}
    for os, n in oses:
        name = APP_TYPES.get(os, "others")
        app_types[name] = app_types.get(name, 0) + n
    return {
        "available": True,
        "genders": _tiles(sorted(genders), total, "gender"),
        "ages": _tiles(
            [(name, ages[name]) for name, _lo, _hi in AGE_TILES]
            + [("unknown", ages["unknown"])],
            total,
            "age",
        ),
        "areas": _tiles(
            sorted(
                ((regions.get(code, "unknown"), n) for code, n in areas),
                key=lambda pair: -pair[1],
            ),
            total,
            "area",
        ),
        "appTypes": _tiles(sorted(app_types.items()), total, "appType"),
        "subscriptionPeriods": _tiles(
            [(name, periods[name]) for name, _d in PERIOD_TILES]
            + [("over365days", periods["over365days"])],
            total,
            "subscriptionPeriod",
        ),
    }


def message_event(*, account: OfficialAccount, request_id: str) -> dict | None:
    """Opens and clicks of one API narrowcast/broadcast (``X-Line-Request-Id``).

    ``None`` when no such request of this account exists. Unique counts
    are ``None`` below ``DEMOGRAPHIC_THRESHOLD`` recipients (LINE's privacy
    rule); ``delivered`` is ``None`` until the send has finished.
    """
    broadcast = (
        Broadcast.objects.filter(account=account, request_id=request_id)
        .exclude(origin=Broadcast.Origin.MANAGER)
        .first()
    )
    if broadcast is None:
        return None
    sent = Delivery.objects.filter(broadcast=broadcast, status=Delivery.Status.SENT)
    figures = sent.aggregate(
        delivered=Count("id"),
        opened=Count("id", filter=Q(message__read_at__isnull=False)),
        clicked=Count("id", filter=Q(clicked_at__isnull=False)),
    )
    small = figures["delivered"] < DEMOGRAPHIC_THRESHOLD
    finished = broadcast.status == Broadcast.Status.SENT

    def unique(n: int) -> int | None:
        return None if small else n

    started = broadcast.started_at or broadcast.created_at
    bubbles = len(broadcast.messages or [])
    links = BroadcastLink.objects.filter(broadcast=broadcast).annotate(
        unique=Count("friend_clicks")
    )
    return {
        "overview": {
            "requestId": request_id,
            "timestamp": int(started.timestamp()),
            "delivered": figures["delivered"] if finished else None,
            "uniqueImpression": unique(figures["opened"]),
            "uniqueClick": unique(figures["clicked"]),
            "uniqueMediaPlayed": None,
            "uniqueMediaPlayed100Percent": None,
        },
        "messages": [
            {
                "seq": seq,
                # Every bubble of a send is shown when its room opens.
                "impression": unique(figures["opened"]),
                "mediaPlayed": None,
                "uniqueMediaPlayed": None,
            }
            for seq in range(1, bubbles + 1)
        ],
        "clicks": [
            {
                "seq": seq,
                "url": link.url,
                "click": unique(link.clicks),
                "uniqueClick": unique(link.unique),
                "uniqueClickOfRequest": unique(link.unique),
            }
            for seq, link in enumerate(links.order_by("id"), start=1)
        ],
    }


def local_yesterday(account: OfficialAccount) -> dt.date:
    """The account's local yesterday: the latest day with final figures."""
    return timezone.localtime(timezone.now(), account.tz).date() - dt.timedelta(days=1)


def demographics_snapshot(*, account: OfficialAccount) -> dict:
    """What ``GET /v2/bot/insight/demographic`` answers: the latest snapshot
    (refreshed by the rollup task), ``{"available": false}`` before one."""
    from analytics.models import DemographicSnapshot

    found = (
        DemographicSnapshot.objects.filter(account=account)
        .values_list("insight", flat=True)
        .first()
    )
    return found or {"available": False}
