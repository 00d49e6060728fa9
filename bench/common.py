"""Shared set-up for benchmarks: a throwaway PostgreSQL database.

``bench_database()`` creates ``test_<dbname>``, migrates it and points
Django at it; the configured database is never written to.
``friends_generate()`` fills one account with many friends quickly (COPY).
"""

import datetime as dt
import os
import random
import statistics
import time
from contextlib import contextmanager


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


@contextmanager
def bench_database(*, keep: bool = False):
    """Create, migrate, yield and drop a scratch copy of the schema.

    With ``keep`` the database is reused when it exists (migrated to the
    current schema) and left in place afterwards, so a benchmark can skip
    generating its data on the next run; drop it by hand when done.
    """
    setup_django()
    from django.db import connection

    creation = connection.creation
    name = creation.create_test_db(
        verbosity=0, autoclobber=not keep, keepdb=keep, serialize=False
    )
    try:
        yield name
    finally:
        connection.close()
        if not keep:
            creation.destroy_test_db(name, verbosity=0)


def copy_rows(cursor, table: str, columns: list[str], rows) -> None:
    """``COPY table (columns) FROM STDIN`` from an iterable of tuples.

    ``cursor`` is a psycopg 3 cursor (``connection.cursor().cursor``).
    """
    cols = ", ".join(f'"{c}"' for c in columns)
    with cursor.copy(f'COPY "{table}" ({cols}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(row)


def friends_generate(
    *, friends: int, rnd: random.Random, name: str, username: str, first_day: dt.date
):
    """One new account with ``friends`` friends, written with COPY.

    Profiles are spread over genders (half female, a quarter male, a
    quarter unknown), ages 12–80 (unknown for one in ten), the 47
    prefectures and OSes; friend dates are spread over the year from
    ``first_day`` (midnight in the account's zone); 5 % are blocked. The
    same ``rnd`` state gives the same rows. Runs inside the caller's
    transaction, if any. Returns ``(account, staff, friend_ids)`` with the
    ids in ascending order.
    """
    from django.db import connection

    from accounts.models import Plan, User
    from accounts.services import account_create
    from messaging.friends.regions import PREFECTURES

    staff, _ = User.objects.get_or_create(username=username)
    account = account_create(
        actor=staff, display_name=name, plan=Plan.objects.get(code="standard")
    )
    start = dt.datetime.combine(first_day, dt.time.min, tzinfo=account.tz)
    regions = [code for code, _name in PREFECTURES]
    with connection.cursor() as cursor:
        pg = cursor.cursor
        copy_rows(
            pg,
            "messaging_lineuser",
            [
                "user_id",
                "display_name",
                "status_message",
                "picture",
                "language",
                "gender",
                "age",
                "region",
                "os",
                "created_at",
            ],
            (
                (
                    f"U{rnd.getrandbits(128):032x}",
                    f"Guest {i}",
                    "",
                    "",
                    "ja",
                    rnd.choice(("male", "female", "female", "unknown")),
                    rnd.randint(12, 80) if i % 10 else None,
                    rnd.choice(regions),
                    rnd.choice(("ios", "android", "others")),
                    start,
                )
                for i in range(friends)
            ),
        )
        cursor.execute(
            "SELECT id FROM messaging_lineuser ORDER BY id DESC LIMIT %s", [friends]
        )
        user_ids = sorted(r[0] for r in cursor.fetchall())
        rows = []
        for uid in user_ids:
            since = start + dt.timedelta(seconds=rnd.randint(0, 366 * 86400))
            blocked = rnd.random() < 0.05
            blocked_at = (
                since + dt.timedelta(hours=rnd.randint(1, 500)) if blocked else None
            )
            rows.append(
                (
                    account.pk,
                    uid,
                    "blocked" if blocked else "following",
                    since,
                    since,
                    blocked_at,
                )
            )
        copy_rows(
            pg,
            "messaging_friend",
            [
                "account_id",
                "line_user_id",
                "status",
                "followed_at",
                "friend_since",
                "blocked_at",
            ],
            rows,
        )
        cursor.execute(
            "SELECT id FROM messaging_friend WHERE account_id = %s ORDER BY id",
            [account.pk],
        )
        friend_ids = [r[0] for r in cursor.fetchall()]
    return account, staff, friend_ids


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary(values_ms: list[float]) -> str:
    return (
        f"p50 {percentile(values_ms, 50):.2f} ms, "
        f"p95 {percentile(values_ms, 95):.2f} ms, "
        f"mean {statistics.fmean(values_ms):.2f} ms"
    )


class Timer:
    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start
