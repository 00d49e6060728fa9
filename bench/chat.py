"""Chat inbox benchmark: list and search p95 at 100k conversations / 1M messages.

Usage (PostgreSQL only): ``python -m bench chat`` fills a scratch database
(created and dropped by the run). To keep the data between runs, point
DATABASE_URL at a database of its own and pass ``--in-place [--fresh]``:

    DATABASE_URL=postgres://lineoa:lineoa@127.0.0.1:5432/lineoa_chat_bench \\
        .venv/bin/python bench/chat.py --in-place [--fresh] [--runs 30]

Generates one account ("Bench Café") with 100,000 friends, a conversation
each and 1,000,000 messages over a year (COPY, about a minute), then times
the selectors the inbox page calls, end to end through the ORM, and prints
p50/p95/max per scenario. Figures for this machine are in docs/chat.md.
"""

import argparse
import datetime as dt
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from bench.common import bench_database  # noqa: E402

CONVERSATIONS = 100_000
MESSAGES = 1_000_000
BENCH_ACCOUNT = "Bench Café"
SEED = 20260302

FAMILY = [
    "山田",
    "佐藤",
    "鈴木",
    "高橋",
    "田中",
    "伊藤",
    "渡辺",
    "中村",
    "小林",
    "加藤",
]
GIVEN = ["花子", "太郎", "さくら", "健", "愛", "翔", "美咲", "大輔", "陽菜", "蓮"]
LATIN = ["Ann", "Ben", "Cai", "Dan", "Eve", "Fay", "Gus", "Hal", "Ivy", "Jo", "Ken"]
CUSTOMER = [
    "明日2名で予約できますか？",
    "今日は何時まで営業していますか",
    "駐車場はありますか",
    "テイクアウトはできますか？",
    "ありがとうございました！",
    "Do you have oat milk?",
    "Is the shop open on Sunday?",
    "Can I book a table for four?",
    "クーポンは使えますか",
    "ポイントカードを忘れました",
]
STAFF = [
    "はい、ご予約承りました。",
    "本日は20時まで営業しております。",
    "申し訳ございません、満席です。",
    "Yes, we do! See you soon.",
    "We open at 10:00 on Sundays.",
    "またのご来店をお待ちしております。",
]


def _setup_django():
    import django

    django.setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        sys.exit("bench/chat.py needs PostgreSQL (set DATABASE_URL)")


def _columns(model, names):
    return [model._meta.get_field(n).column for n in names]


def _copy(cursor, model, names, rows):
    cols = ", ".join(f'"{c}"' for c in _columns(model, names))
    with cursor.copy(f'COPY "{model._meta.db_table}" ({cols}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(row)


def generate(*, fresh: bool) -> None:
    """Fill the database with the bench account unless it is there."""
    from django.core.management import call_command
    from django.db import connection, transaction

    from accounts.models import Membership, OfficialAccount, Plan, User
    from accounts.services import account_create
    from chat.models import Conversation
    from messaging.friends.models import Friend, LineUser, Tag
    from messaging.store.models import Message

    call_command("migrate", verbosity=0)
    existing = OfficialAccount.objects.filter(display_name=BENCH_ACCOUNT).first()
    complete = (
        existing is not None
        and Conversation.objects.filter(account=existing).count() == CONVERSATIONS
    )
    if complete and not fresh:
        print(f"reusing {BENCH_ACCOUNT} ({existing.basic_id})")
        return
    if existing:
        print("deleting the previous bench account…")
        friend_ids = Friend.objects.filter(account=existing).values("line_user_id")
        LineUser.objects.filter(pk__in=friend_ids).delete()
        existing.delete()

    rnd = random.Random(SEED)
    started = time.perf_counter()
    staff = [User.objects.get_or_create(username=f"bench{i}")[0] for i in range(5)]
    account = account_create(
        actor=staff[0],
        display_name=BENCH_ACCOUNT,
        plan=Plan.objects.get(code="standard"),
    )
    for user in staff[1:]:
        Membership.objects.get_or_create(
            account=account, user=user, defaults={"role": "operator"}
        )
    tags = [Tag.objects.create(account=account, name=f"tag{i:02d}") for i in range(20)]
    tags.append(Tag.objects.create(account=account, name="常連さん"))
    now = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
    year_ago = now - dt.timedelta(days=365)

    with transaction.atomic(), connection.cursor() as cursor:
        pg = cursor.cursor  # the psycopg cursor, for COPY
        print("line users…")
        _copy(
            pg,
            LineUser,
            [
                "user_id",
                "display_name",
                "status_message",
                "picture",
                "language",
                "gender",
                "region",
                "os",
                "created_at",
            ],
            (
                (
                    f"U{rnd.getrandbits(128):032x}",
                    (
                        rnd.choice(FAMILY) + rnd.choice(GIVEN)
                        if i % 3
                        else f"{rnd.choice(LATIN)} {i}"
                    )[:20],
                    "",
                    "",
                    "ja",
                    "unknown",
                    "",
                    "ios",
                    year_ago,
                )
                for i in range(CONVERSATIONS)
            ),
        )
        cursor.execute(
            "SELECT id FROM messaging_lineuser ORDER BY id DESC LIMIT %s",
            [CONVERSATIONS],
        )
        user_ids = sorted(r[0] for r in cursor.fetchall())

        print("friends…")
        blocked = set(rnd.sample(range(CONVERSATIONS), CONVERSATIONS // 50))
        _copy(
            pg,
            Friend,
            ["account", "line_user", "status", "followed_at", "friend_since"],
            (
                (
                    account.pk,
                    uid,
                    "blocked" if i in blocked else "following",
                    year_ago,
                    year_ago,
                )
                for i, uid in enumerate(user_ids)
            ),
        )
        friend_ids = list(
            Friend.objects.filter(account=account)
            .order_by("id")
            .values_list("id", flat=True)
        )

        print("messages (sorted by time, so ids follow time)…")
        span = (now - year_ago).total_seconds()
        stamps = sorted(
            (
                year_ago + dt.timedelta(seconds=rnd.random() * span),
                rnd.randrange(CONVERSATIONS),
            )
            for _ in range(MESSAGES)
        )
        last = {}
        last_in = {}

        def message_rows():
            for n, (when, i) in enumerate(stamps):
                friend_id = friend_ids[i]
                inbound = rnd.random() < 0.55
                text = rnd.choice(CUSTOMER if inbound else STAFF)
                if n % 100_000 == 0:
                    text = f"{text} ZEBRA{n}"  # rare words for the search bench
                last[i] = when
                if inbound:
                    last_in[i] = when
                yield (
                    account.pk,
                    friend_id,
                    "in" if inbound else "out",
                    "customer" if inbound else "chat",
                    "text",
                    json.dumps({"type": "text", "text": text}, ensure_ascii=False),
                    text,
                    "",
                    "",
                    "",
                    when,
                    when if rnd.random() < 0.9 else None,
                )

        _copy(
            pg,
            Message,
            [
                "account",
                "friend",
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
            message_rows(),
        )

        print("conversations…")
        statuses = ["done"] * 6 + ["needs_action"] * 3 + ["snoozed"]

        def conversation_rows():
            for i, friend_id in enumerate(friend_ids):
                when = last.get(i, year_ago)
                status = rnd.choice(statuses)
                yield (
                    account.pk,
                    friend_id,
                    status,
                    None,
                    rnd.choice(staff).pk if rnd.random() < 0.5 else None,
                    when if status == "needs_action" else None,
                    when,
                    last_in.get(i, when),
                    rnd.choice([0, 0, 0, 1, 2]) if status != "done" else 0,
                    year_ago,
                    when,
                )

        _copy(
            pg,
            Conversation,
            [
                "account",
                "friend",
                "status",
                "snoozed_until",
                "assignee",
                "waiting_since",
                "last_message_at",
                "last_customer_message_at",
                "unread_count",
                "created_at",
                "updated_at",
            ],
            conversation_rows(),
        )

        print("tags…")
        through = Friend.tags.through
        _copy(
            pg,
            through,
            ["friend", "tag"],
            (
                (friend_id, rnd.choice(tags).pk)
                for friend_id in friend_ids
                if rnd.random() < 0.3
            ),
        )
        Friend.objects.filter(account=account).update(last_message_at=now)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"generated in {time.perf_counter() - started:.0f} s")


def _time(fn, runs: int) -> list[float]:
    fn()  # warm the cache and the connection
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def measure(runs: int) -> list[tuple[str, int, list[float]]]:
    from accounts.models import OfficialAccount, User
    from chat import selectors
    from messaging.friends.models import Tag

    account = OfficialAccount.objects.get(display_name=BENCH_ACCOUNT)
    user = User.objects.get(username="bench1")
    tag = Tag.objects.get(account=account, name="tag07")
    first = selectors.inbox_page(account=account, user=user)
    conversation = first.conversations[0]

    def page(**filters):
        def run():
            result = selectors.inbox_page(account=account, user=user, **filters)
            return len(result.conversations)

        return run

    scenarios = [
        ("inbox: needs action, all", page()),
        ("inbox: mine", page(view="mine")),
        ("inbox: unassigned", page(view="unassigned")),
        ("inbox: any status", page(status="any")),
        ("inbox: done", page(status="done")),
        ("inbox: unread only", page(unread=True)),
        ("inbox: tag", page(tag_id=tag.pk)),
        ("inbox: page 2 (cursor)", page(cursor=first.next_cursor)),
        ("search: name 山田花子", page(q="山田花子", status="any")),
        ("search: name ann 1 (latin)", page(q="ann 1", status="any")),
        ("search: tag 常連", page(q="常連", status="any")),
        ("search: text 駐車場 (3 chars, 1 in 18)", page(q="駐車場", status="any")),
        ("search: text oat milk", page(q="oat milk", status="any")),
        ("search: text 予約 (2 chars, 1 in 8)", page(q="予約", status="any")),
        ("search: text 駐輪 (2 chars, no match)", page(q="駐輪", status="any")),
        ("search: text 2名 (1 in 18, needs action)", page(q="2名")),
        ("search: rare word ZEBRA500000", page(q="ZEBRA500000", status="any")),
        ("search: no match", page(q="存在しない言葉", status="any")),
        (
            "counts (views + unread)",
            lambda: selectors.inbox_counts(account=account, user=user),
        ),
        (
            "conversation: latest messages",
            lambda: selectors.conversation_messages(conversation=conversation),
        ),
    ]
    results = []
    for name, fn in scenarios:
        rows = fn()
        results.append((name, rows if isinstance(rows, int) else -1, _time(fn, runs)))
    return results


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fresh", action="store_true", help="regenerate the data")
    parser.add_argument("--runs", type=int, default=30, help="timed runs each")
    parser.add_argument(
        "--in-place",
        action="store_true",
        help="use DATABASE_URL itself and keep the data (default: a scratch "
        "database created and dropped by this run)",
    )
    args = parser.parse_args(argv)
    if args.in_place:
        _setup_django()
        _run(args, fresh=args.fresh)
        return
    with bench_database():
        _run(args, fresh=True)


def _run(args, *, fresh: bool) -> None:
    generate(fresh=fresh)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM chat_conversation),"
            " (SELECT count(*) FROM messaging_message)"
        )
        conversations, messages = cursor.fetchone()
    print(
        f"\n{conversations:,} conversations, {messages:,} messages; "
        f"{args.runs} runs each, milliseconds\n"
    )
    print(f"{'scenario':<44} {'rows':>5} {'p50':>8} {'p95':>8} {'max':>8}")
    for name, rows, times in measure(args.runs):
        shown = "" if rows < 0 else str(rows)
        print(
            f"{name:<44} {shown:>5} {statistics.median(times):8.1f} "
            f"{_p(times, 0.95):8.1f} {max(times):8.1f}"
        )


if __name__ == "__main__":
    main()
