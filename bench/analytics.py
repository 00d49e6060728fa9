"""Analytics benchmark: one day's rollup, and the dashboard tabs, at scale.

Usage (PostgreSQL only): ``python -m bench analytics`` (a scratch database,
created and dropped) or ``python bench/analytics.py --friends 1000000
--messages 10000000``. Generates one account with ``--friends`` friends
(profiles spread over genders, ages, regions, OSes; friend dates over a
year, some blocked) and ``--messages`` outbound messages on one day (every
kind, COPY), then prints:

- the rollup of that day, against a baseline measured in the same run: a
  plain ``SELECT count(*)`` over the same friend and message rows (the
  least any rollup must read), as a ratio;
- p50/p95 of each dashboard tab (GET through Django, 20 runs) and of the
  Insight API's demographic endpoint.
"""

import argparse
import datetime as dt
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from bench.common import (  # noqa: E402
    bench_database,
    copy_rows,
    friends_generate,
    summary,
)

SEED = 20261130
DAY = dt.date(2026, 3, 2)
KINDS = [
    ("broadcast", 50),
    ("api_push", 20),
    ("api_multicast", 10),
    ("step", 8),
    ("api_reply", 6),
    ("auto_response", 3),
    ("greeting", 2),
    ("chat", 1),
]


def generate(friends: int, messages: int):
    from django.db import connection, transaction

    from accounts.models import OfficialAccount

    rnd = random.Random(SEED)
    t0 = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        pg = cursor.cursor
        account, staff, friend_ids = friends_generate(
            friends=friends,
            rnd=rnd,
            name="Bench Analytics",
            username="bench-analytics",
            first_day=DAY - dt.timedelta(days=365),
        )
        day_start = dt.datetime.combine(DAY, dt.time.min, tzinfo=account.tz)
        weights = [w for _k, w in KINDS]
        kinds = [k for k, _w in KINDS]

        def message_rows():
            # Sends of 1 to 3 bubbles sharing a timestamp, over the day.
            made = 0
            while made < messages:
                kind = rnd.choices(kinds, weights)[0]
                fid = friend_ids[rnd.randrange(len(friend_ids))]
                at = day_start + dt.timedelta(seconds=rnd.randint(0, 86399))
                for _b in range(min(rnd.randint(1, 3), messages - made)):
                    made += 1
                    yield (
                        account.pk,
                        fid,
                        "out",
                        kind,
                        "text",
                        '{"type": "text", "text": "x"}',
                        "x",
                        "",
                        "",
                        "",
                        at,
                    )

        copy_rows(
            pg,
            "messaging_message",
            [
                "account_id",
                "friend_id",
                "direction",
                "source",
                "type",
                "payload",
                "text",
                "content",
                "preview",
                "quote_token",
                "created_at",
            ],
            message_rows(),
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        f"generated {friends:,} friends and {messages:,} messages "
        f"in {time.perf_counter() - t0:.0f} s",
        flush=True,
    )
    return OfficialAccount.objects.get(pk=account.pk), staff


def run(friends: int, messages: int, runs: int) -> None:
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    from analytics.models import RollupCursor
    from analytics.rollups import day_bounds, demographics_refresh, rollup_days

    account, staff = generate(friends, messages)
    start, end = day_bounds(account, DAY)

    def baseline() -> float:
        t = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM messaging_friend WHERE account_id = %s",
                [account.pk],
            )
            cursor.execute(
                "SELECT count(*) FROM messaging_message WHERE account_id = %s "
                "AND created_at >= %s AND created_at < %s",
                [account.pk, start, end],
            )
        return time.perf_counter() - t

    def rollup() -> float:
        t = time.perf_counter()
        rollup_days(account=account, first=DAY, last=DAY)
        return time.perf_counter() - t

    # Alternate the two, three times each, and compare medians.
    base, roll = [], []
    for _ in range(3):
        base.append(baseline())
        roll.append(rollup())
    base.sort()
    roll.sort()
    print(
        f"rollup of one day: {roll[1]:.2f} s (median of 3; spread "
        f"{roll[0]:.2f}–{roll[2]:.2f}); baseline count(*) {base[1]:.2f} s; "
        f"ratio {roll[1] / base[1]:.1f}×",
        flush=True,
    )
    RollupCursor.objects.update_or_create(account=account, defaults={"through": DAY})
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    client = Client()
    client.force_login(staff)
    url = f"/manager/{account.slug}/analytics/"
    t = time.perf_counter()
    demographics_refresh(account=account)
    print(
        f"friends' attribute snapshot: {time.perf_counter() - t:.2f} s "
        "(the rollup task, at most every 6 hours)",
        flush=True,
    )
    for tab in ("friends", "messages", "chat"):
        params = {"tab": tab, "preset": "custom", "start": "2026-02-01"}
        client.get(url, {**params, "end": "2026-03-02"})  # warm-up
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            response = client.get(
                url,
                {
                    "tab": tab,
                    "preset": "custom",
                    "start": "2026-02-01",
                    "end": "2026-03-02",
                },
            )
            times.append((time.perf_counter() - t) * 1000)
            assert response.status_code == 200, response.status_code
        print(f"dashboard tab {tab}: {summary(times)}", flush=True)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--friends", type=int, default=1_000_000)
    parser.add_argument("--messages", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args(argv)
    with bench_database():
        run(args.friends, args.messages, args.runs)


if __name__ == "__main__":
    main(sys.argv[1:])
