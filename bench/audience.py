"""Audience counts at scale: the composer's live count for mixed segments.

Usage (PostgreSQL only): ``python -m bench audience`` (a scratch database,
created and dropped) or ``python bench/audience.py --friends 1000000 --runs
5``; ``--keep`` leaves the database for the next run (which then skips
generating), ``--explain`` prints each case's plan once.

Generates one account with ``--friends`` friends (the profiles of
``bench.common.friends_generate``: half female, ages 12–80, 47 prefectures,
iOS/Android/other, 5 % blocked), a tag on 10 % of them, a second tag on
3 %, and a sent broadcast that reached 30 % of the following friends, of
whom 40 % opened it. Then, in ``--runs`` rounds (after one warm-up round),
times a plain ``SELECT count(*)`` of the account's friends (the baseline)
and the composer's estimate (``audience_estimate``, what the live count and
the send check call) for each case, and prints per case the median and
spread in ms, the ratio of the median to the baseline's median, and the
count (the same seed gives the same counts on every run and branch).
"""

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from bench.common import bench_database, copy_rows, friends_generate  # noqa: E402

SEED = 20261205
NAME = "Bench Audience"
FIRST_DAY = dt.date(2025, 12, 1)
TAG_SHARE = 0.10
RARE_TAG_SHARE = 0.03
REACHED_SHARE = 0.30
OPENED_SHARE = 0.40
TARGET_MS = 300


def _cases(vip: int, rare: int, broadcast: int) -> list[tuple[str, dict | None]]:
    female = {"type": "gender", "values": ["female"]}
    tag = {"type": "tag", "values": [vip]}
    android = {"type": "os", "values": ["android"]}
    opened = {"type": "broadcast_opened", "broadcast": broadcast}
    return [
        ("all friends", None),
        ("female", {"match": "all", "conditions": [female]}),
        (
            "female 20-29 in Tokyo",
            {
                "match": "all",
                "conditions": [
                    female,
                    {"type": "age", "values": ["20_24", "25_29"]},
                    {"type": "region", "values": ["jp_13"]},
                ],
            },
        ),
        ("tag", {"match": "all", "conditions": [tag]}),
        ("tag OR Android", {"match": "any", "conditions": [tag, android]}),
        (
            "NOT tag AND female",
            {"match": "all", "conditions": [{**tag, "negate": True}, female]},
        ),
        ("opened a broadcast", {"match": "all", "conditions": [opened]}),
        (
            "(tag OR Android) AND NOT female AND 30-39",
            {
                "match": "all",
                "conditions": [
                    {"type": "group", "match": "any", "conditions": [tag, android]},
                    {**female, "negate": True},
                    {"type": "age", "values": ["30_34", "35_39"]},
                ],
            },
        ),
        (
            "opened OR rare tag OR Kanto, NOT tag, >= 90 days",
            {
                "match": "all",
                "conditions": [
                    {
                        "type": "group",
                        "match": "any",
                        "conditions": [
                            opened,
                            {"type": "tag", "values": [rare]},
                            {
                                "type": "region",
                                "values": [f"jp_{n:02d}" for n in range(8, 15)],
                            },
                        ],
                    },
                    {**tag, "negate": True},
                    {"type": "friend_period", "min_days": 90},
                ],
            },
        ),
    ]


def generate(friends: int):
    """The account, its two tags and the sent broadcast (see the module)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from messaging.broadcasts.models import Broadcast, Delivery
    from messaging.friends.models import Friend, Tag
    from messaging.store.models import Message

    rnd = random.Random(SEED)
    t0 = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        pg = cursor.cursor
        account, staff, friend_ids = friends_generate(
            friends=friends,
            rnd=rnd,
            name=NAME,
            username="bench-audience",
            first_day=FIRST_DAY,
        )
        vip = Tag.objects.create(account=account, name="vip")
        rare = Tag.objects.create(account=account, name="rare")
        through = Friend.tags.through._meta.db_table
        copy_rows(
            pg,
            through,
            ["friend_id", "tag_id"],
            (
                (fid, tag.pk)
                for fid in friend_ids
                for tag, share in ((vip, TAG_SHARE), (rare, RARE_TAG_SHARE))
                if rnd.random() < share
            ),
        )
        sent_at = timezone.now() - dt.timedelta(days=7)
        broadcast = Broadcast.objects.create(
            account=account,
            title="Spring sale",
            messages=[{"type": "text", "text": "Spring sale"}],
            status=Broadcast.Status.SENT,
            created_by=staff,
            started_at=sent_at,
            finished_at=sent_at,
        )
        following = list(
            Friend.objects.filter(
                account=account, status=Friend.Status.FOLLOWING
            ).values_list("id", flat=True)
        )
        reached = sorted(rnd.sample(following, round(len(following) * REACHED_SHARE)))
        opened = {fid for fid in reached if rnd.random() < OPENED_SHARE}
        copy_rows(
            pg,
            Message._meta.db_table,
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
                "read_at",
            ],
            (
                (
                    account.pk,
                    fid,
                    "out",
                    "broadcast",
                    "text",
                    '{"type": "text", "text": "Spring sale"}',
                    "Spring sale",
                    "",
                    "",
                    "",
                    sent_at,
                    sent_at + dt.timedelta(hours=1) if fid in opened else None,
                )
                for fid in reached
            ),
        )
        cursor.execute(
            f"SELECT friend_id, id FROM {Message._meta.db_table} "
            "WHERE account_id = %s AND source = 'broadcast'",
            [account.pk],
        )
        message_of = dict(cursor.fetchall())
        copy_rows(
            pg,
            Delivery._meta.db_table,
            ["broadcast_id", "friend_id", "message_id", "status", "sent_at"],
            ((broadcast.pk, fid, message_of[fid], "sent", sent_at) for fid in reached),
        )
    with connection.cursor() as cursor:
        # What autovacuum does to freshly loaded tables soon after: hint
        # bits, statistics and the visibility map (index-only scans).
        cursor.execute("VACUUM ANALYZE")
    print(
        f"generated {friends:,} friends, {len(reached):,} deliveries "
        f"in {time.perf_counter() - t0:.0f} s",
        flush=True,
    )
    return account, vip, rare, broadcast


def _existing(friends: int):
    """The account, tags and broadcast a ``--keep`` run left, or None."""
    from accounts.models import OfficialAccount
    from messaging.broadcasts.models import Broadcast
    from messaging.friends.models import Friend, Tag

    account = OfficialAccount.objects.filter(display_name=NAME).first()
    if account is None or Friend.objects.filter(account=account).count() != friends:
        return None
    tags = Tag.objects.filter(account=account)
    return (
        account,
        tags.get(name="vip"),
        tags.get(name="rare"),
        Broadcast.objects.get(account=account, title="Spring sale"),
    )


def run(friends: int, runs: int, explain: bool) -> None:
    from django.db import connection, transaction

    from messaging.audience import conditions
    from messaging.audience.conditions import audience_friends, segment_clean

    # --explain shows the plan the composer's count runs (before issue 18
    # #10 that was the EXISTS form, without the count's settings).
    count_settings = getattr(conditions, "count_settings", None)
    hashed = {} if count_settings is None else {"hashed": True}
    from messaging.broadcasts.selectors import audience_estimate

    found = _existing(friends)
    if found is None:
        found = generate(friends)
    else:
        print(f"reusing the {friends:,} friends of a --keep run", flush=True)
        with connection.cursor() as cursor:
            # Migrations since may have rewritten rows (as autovacuum would).
            cursor.execute("VACUUM ANALYZE")
    account, vip, rare, broadcast = found
    cases = [
        (
            label,
            None
            if definition is None
            else segment_clean(account=account, definition=definition),
        )
        for label, definition in _cases(vip.pk, rare.pk, broadcast.pk)
    ]

    def baseline() -> tuple[float, int]:
        t = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM messaging_friend WHERE account_id = %s",
                [account.pk],
            )
            n = cursor.fetchone()[0]
        return (time.perf_counter() - t) * 1000, n

    def estimate(definition) -> tuple[float, int]:
        t = time.perf_counter()
        n = audience_estimate(account=account, audience=definition).matching
        return (time.perf_counter() - t) * 1000, n

    if explain:
        now = dt.datetime.now(dt.UTC)
        for label, definition in cases:
            qs = audience_friends(
                account=account, definition=definition, now=now, **hashed
            )
            sql, params = qs.values("id").query.sql_with_params()
            with transaction.atomic(), connection.cursor() as cursor:
                if count_settings is not None:
                    count_settings()
                cursor.execute(
                    f"EXPLAIN (ANALYZE, BUFFERS) SELECT count(*) FROM ({sql}) a",
                    params,
                )
                plan = "\n".join(r[0] for r in cursor.fetchall())
            print(f"--- {label}\n{plan}\n", flush=True)

    base: list[float] = []
    times: dict[str, list[float]] = {label: [] for label, _d in cases}
    counts: dict[str, int] = {}
    total = 0
    for round_ in range(runs + 1):  # round 0 warms the caches up
        ms, total = baseline()
        if round_:
            base.append(ms)
        for label, definition in cases:
            ms, counts[label] = estimate(definition)
            if round_:
                times[label].append(ms)
    base_ms = statistics.median(base)
    print(
        f"\n{friends:,} friends, median of {runs} rounds, "
        f"target <= {TARGET_MS} ms per case",
        flush=True,
    )
    width = max(len(label) for label in times)
    print(f"{'case':<{width}}  {'median':>9}  {'spread':>15}  {'ratio':>6}  count")
    print(
        f"{'plain count(*) of the friends':<{width}}  {base_ms:7.1f} ms  "
        f"{min(base):6.1f}-{max(base):6.1f}  {1:6.2f}  {total:,}"
    )
    worst = 0.0
    for label, values in times.items():
        median = statistics.median(values)
        worst = max(worst, median)
        print(
            f"{label:<{width}}  {median:7.1f} ms  "
            f"{min(values):6.1f}-{max(values):6.1f}  "
            f"{median / base_ms:6.2f}  {counts[label]:,}",
            flush=True,
        )
    print(
        f"slowest case {worst:.0f} ms ({'within' if worst <= TARGET_MS else 'over'} "
        f"the {TARGET_MS} ms target); load average "
        f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}",
        flush=True,
    )


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--friends", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args(argv)
    with bench_database(keep=args.keep):
        run(args.friends, args.runs, args.explain)


if __name__ == "__main__":
    main(sys.argv[1:])
