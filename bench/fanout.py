"""Broadcast fan-out on real Celery workers against a COPY ceiling.

For each audience size (default 100,000 and 1,000,000 friends) and for one
and two workers (``celery -A config worker -c 1`` subprocesses on the
configured broker), a broadcast is sent the way the Manager sends it
(``broadcast_send_now``; the start task goes through the broker) and timed
from the press to ``sent``. Worker memory is sampled every 200 ms (RSS of
each worker's process tree, main process plus pool child).

In the same run, the same number of delivery and message rows are written
with PostgreSQL ``COPY … FROM STDIN`` into the same tables (same indexes
and constraints), the data generated beforehand so only the database work
is timed: the ceiling for getting those rows into PostgreSQL. The ratio
``fan-out rows/s ÷ COPY rows/s`` is printed; the target is ≥ 0.5 with worker
memory flat as the audience grows.

    python -m bench fanout                 # 100k and 1M, 1 and 2 workers
    python -m bench.fanout --sizes 100000  # smaller

Needs DATABASE_URL (PostgreSQL) and a broker: ``BENCH_BROKER_URL`` or
``CELERY_BROKER_URL``, a Redis database the bench may purge.
"""

import argparse
import contextlib
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench.common import Timer, bench_database

BUBBLES = 1
FRIEND_COPY_CHUNK = 100_000


def _args(argv):
    parser = argparse.ArgumentParser(prog="bench.fanout")
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--bubbles", type=int, default=BUBBLES, choices=(1, 2, 3))
    return parser.parse_args(argv)


# --- Processes and memory ----------------------------------------------------------


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            out += [int(c) for c in (task / "children").read_text().split()]
    return out


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_rss_kib(pid: int) -> int:
    """RSS of a process and all its descendants."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        total += _rss_kib(current)
        stack += _children(current)
    return total


class Workers:
    """N ``celery worker -c 1`` process groups with an RSS sampler."""

    def __init__(self, n: int, env: dict, log_dir: Path):
        celery = str(Path(sys.executable).with_name("celery"))
        self.procs = []
        self.logs = []
        for i in range(n):
            log = open(log_dir / f"fanout-worker-{i}.log", "w")  # noqa: SIM115
            self.logs.append(log)
            self.procs.append(
                subprocess.Popen(
                    [
                        celery,
                        "-A",
                        "config",
                        "worker",
                        "-l",
                        "warning",
                        "-c",
                        "1",
                        "-n",
                        f"fanout{i}-{os.getpid()}@%h",
                        "--without-gossip",
                        "--without-mingle",
                        "--without-heartbeat",
                    ],
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        self.peak_kib = [0] * n
        self._stop = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)

    def wait_ready(self, app, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            replies = app.control.ping(timeout=1.0) or []
            if len(replies) >= len(self.procs):
                self._sampler.start()
                return
        raise RuntimeError("workers did not start; see var/fanout-worker-*.log")

    def _sample(self) -> None:
        while not self._stop.is_set():
            for i, proc in enumerate(self.procs):
                self.peak_kib[i] = max(self.peak_kib[i], tree_rss_kib(proc.pid))
            time.sleep(0.2)

    def stop(self) -> None:
        self._stop.set()
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        for log in self.logs:
            log.close()


# --- Data -----------------------------------------------------------------------


def _friends_copy(account, n: int) -> None:
    """n LINE users and friends of ``account`` by COPY (set-up, not timed)."""
    from django.db import connection
    from django.utils import timezone

    from messaging.friends.models import Friend, LineUser

    now = timezone.now().isoformat()
    base = LineUser.objects.count() + 1
    lu, fr = LineUser._meta.db_table, Friend._meta.db_table
    with connection.cursor() as cursor:
        for start in range(0, n, FRIEND_COPY_CHUNK):
            stop = min(n, start + FRIEND_COPY_CHUNK)
            buf = io.StringIO()
            for i in range(start, stop):
                uid = f"U{base + i:032x}"
                buf.write(f"{uid}\tGuest {i}\t\t\tja\tfemale\t30\tjp_13\tios\t{now}\n")
            with cursor.cursor.copy(
                f"COPY {lu} (user_id, display_name, status_message, picture, "
                "language, gender, age, region, os, created_at) FROM STDIN"
            ) as copy:
                copy.write(buf.getvalue())
            cursor.execute(
                f"INSERT INTO {fr} (account_id, line_user_id, status, followed_at, "
                "friend_since, source_id, last_message_at) "
                f"SELECT %s, id, 'following', %s, %s, NULL, NULL FROM {lu} "
                "WHERE user_id >= %s AND user_id <= %s ORDER BY id",
                [
                    account.pk,
                    now,
                    now,
                    f"U{base + start:032x}",
                    f"U{base + stop - 1:032x}",
                ],
            )
        cursor.execute(f"VACUUM ANALYZE {lu}")
        cursor.execute(f"VACUUM ANALYZE {fr}")


def _reset_outputs() -> None:
    """Empty the written tables so every run starts from the same state."""
    from django.db import connection

    from messaging.broadcasts.models import BroadcastBatch, Delivery
    from messaging.friends.models import Friend
    from messaging.store.models import Message

    tables = ", ".join(m._meta.db_table for m in (Delivery, BroadcastBatch, Message))
    with connection.cursor() as cursor:
        # CASCADE: other apps' rows pointing at messages (none in this scratch
        # database) would otherwise block the truncate.
        cursor.execute(f"TRUNCATE {tables} CASCADE")
        cursor.execute(f"UPDATE {Friend._meta.db_table} SET last_message_at = NULL")
        for model in (Friend, Message, Delivery):
            cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")


def _copy_ceiling(account, broadcast, n: int, bubbles: int) -> tuple[float, int]:
    """rows/s of COPYing n deliveries and n*bubbles messages; rows written."""
    from django.db import connection
    from django.utils import timezone

    from messaging.broadcasts.models import Delivery
    from messaging.friends.models import Friend
    from messaging.store.models import Message

    friend_ids = list(
        Friend.objects.filter(account=account)
        .order_by("id")
        .values_list("id", flat=True)
    )[:n]
    now = timezone.now().isoformat()
    message = json.dumps({"type": "text", "text": "Hello Guest 1234567"})
    msg_buf = io.StringIO()
    del_buf = io.StringIO()
    for fid in friend_ids:
        for _ in range(bubbles):
            msg_buf.write(
                f"{account.pk}\t{fid}\tout\tbroadcast\ttext\t{message}\t"
                f"Hello Guest 1234567\t\t\t\\N\t\t{now}\t\\N\n"
            )
        del_buf.write(f"{broadcast.pk}\t{fid}\t\\N\tsent\t{now}\t\\N\n")
    msg_data, del_data = msg_buf.getvalue(), del_buf.getvalue()
    del msg_buf, del_buf
    rows = len(friend_ids) * (1 + bubbles)
    with Timer() as timer, connection.cursor() as cursor:
        with cursor.cursor.copy(
            f"COPY {Message._meta.db_table} (account_id, friend_id, direction, "
            "source, type, payload, text, content, preview, sent_by_id, "
            "quote_token, created_at, read_at) FROM STDIN"
        ) as copy:
            copy.write(msg_data)
        with cursor.cursor.copy(
            f"COPY {Delivery._meta.db_table} (broadcast_id, friend_id, "
            "message_id, status, sent_at, clicked_at) FROM STDIN"
        ) as copy:
            copy.write(del_data)
    return rows / timer.seconds, rows


# --- Runs -----------------------------------------------------------------------


def _fan_out(account, admin, n: int, workers: int, bubbles: int, env, log_dir):
    from django.db import connection

    from config.celery import app
    from messaging.broadcasts.compose import broadcast_save
    from messaging.broadcasts.control import broadcast_send_now
    from messaging.broadcasts.models import Broadcast

    _reset_outputs()
    connection.close()
    app.control.purge()
    pool = Workers(workers, env, log_dir)
    try:
        pool.wait_ready(app)
        broadcast = broadcast_save(
            account=account,
            actor=admin,
            title=f"bench {n} x{workers}",
            messages=[
                {"type": "text", "text": f"Hello {{Nickname}} #{i + 1}"}
                for i in range(bubbles)
            ],
        )
        with Timer() as timer:
            broadcast_send_now(broadcast=broadcast, actor=admin)
            while True:
                status = (
                    Broadcast.objects.filter(pk=broadcast.pk)
                    .values_list("status", flat=True)
                    .get()
                )
                if status in ("sent", "failed", "cancelled"):
                    break
                time.sleep(0.2)
        broadcast.refresh_from_db()
        if status != "sent" or broadcast.sent_count != n:
            raise RuntimeError(
                f"broadcast ended {status} with {broadcast.sent_count}/{n}"
            )
        fan_out_seconds = (broadcast.finished_at - broadcast.started_at).total_seconds()
    finally:
        pool.stop()
    return {
        "seconds": timer.seconds,
        "fan_out_seconds": fan_out_seconds,
        "peak_mib": max(pool.peak_kib) / 1024,
        "broadcast": broadcast,
    }


def main(argv=None) -> None:
    args = _args(argv or [])
    sizes = [int(s) for s in args.sizes.split(",")]
    worker_counts = [int(w) for w in args.workers.split(",")]
    broker = os.environ.get("BENCH_BROKER_URL") or os.environ.get("CELERY_BROKER_URL")
    if broker:
        os.environ["CELERY_BROKER_URL"] = broker
    with bench_database():
        from django.conf import settings
        from django.db import connection

        from accounts.models import Plan, User
        from accounts.services import account_create, account_quota_override_set
        from messaging.broadcasts.fanout import BATCH_SIZE

        db = connection.settings_dict
        env = {
            **os.environ,
            "DATABASE_URL": (
                f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}"
                f":{db['PORT'] or 5432}/{db['NAME']}"
            ),
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "CELERY_TASK_ALWAYS_EAGER": "false",
        }
        log_dir = Path(settings.VAR_DIR)
        log_dir.mkdir(parents=True, exist_ok=True)
        admin = User.objects.create(username="bench")
        print(
            f"batch size {BATCH_SIZE}, {args.bubbles} bubble(s) per recipient, "
            f"workers with -c 1, broker {settings.CELERY_BROKER_URL}"
        )
        header = (
            f"{'friends':>9} {'workers':>7} {'total s':>8} {'deliv/s':>9} "
            f"{'rows/s':>9} {'COPY rows/s':>11} {'ratio':>6} {'peak RSS':>9}"
        )
        results = []
        for n in sizes:
            account = account_create(
                actor=admin,
                display_name=f"Bench {n}",
                plan=Plan.objects.get(code="standard"),
            )
            account_quota_override_set(account=account, actor=None, limit=10**9)
            with Timer() as setup:
                _friends_copy(account, n)
            print(f"\n{n:,} friends created by COPY in {setup.seconds:.1f} s")
            runs = []
            for workers in worker_counts:
                run = _fan_out(account, admin, n, workers, args.bubbles, env, log_dir)
                runs.append((workers, run))
            _reset_outputs()
            ceiling, rows = _copy_ceiling(
                account, runs[-1][1]["broadcast"], n, args.bubbles
            )
            print(header)
            for workers, run in runs:
                rate = rows / run["seconds"]
                line = (
                    f"{n:>9,} {workers:>7} {run['seconds']:>8.1f} "
                    f"{n / run['seconds']:>9,.0f} {rate:>9,.0f} {ceiling:>11,.0f} "
                    f"{rate / ceiling:>6.2f} {run['peak_mib']:>7.0f} MB"
                )
                print(line, flush=True)
                results.append((n, workers, run, rate / ceiling))
        if len(sizes) > 1:
            print("\npeak worker RSS by audience size (flat memory):")
            for workers in worker_counts:
                peaks = [
                    f"{r[2]['peak_mib']:.0f} MB" for r in results if r[1] == workers
                ]
                print(f"  {workers} worker(s): " + " → ".join(peaks))


if __name__ == "__main__":
    main(sys.argv[1:])
