"""Faults injected into a broadcast on real workers (issue 19, #8).

A PostgreSQL cluster and a ``redis-server`` of the bench's own (initdb and
pg_ctl from /usr/lib/postgresql/15/bin, free ports, data under /tmp; run as
the ``postgres`` user when root) carry everything: the scratch database,
the broker, the cache and the channel layer. Real ``celery worker -c 1``
processes and a real ``celery beat`` (the dispatcher every 15 s, as
deployed) run against them; the shared servers are never touched.

Cases, each a one-bubble broadcast to every friend sent as the Manager
sends it (``broadcast_send_now``; the start goes through the broker), timed
from the press to ``sent``:

* ``baseline`` — one worker, undisturbed;
* ``kill`` — at 25 % the worker's process group is SIGKILLed mid-batch and
  a new worker started (as a supervisor would);
* ``redis`` — at 25 % Redis is restarted, empty (no persistence: the queue
  and the unacknowledged tasks are gone);
* ``postgres`` — at 25 % PostgreSQL is restarted (``pg_ctl restart -m
  immediate``: every backend killed, crash recovery);
* ``race`` — two workers, every batch task queued twice side by side, so
  both take the same batch at the same moment.

One line per case: total seconds, ratio to the baseline of the same run,
recipients lost (no delivery), messages duplicated (beyond one per
recipient), whether the quota's ``used`` equals what was delivered with
nothing left reserved, how long the fault lasted, the time to recover:
from the end of the fault (worker ready, server answering) to the first
batch committed that was not already in flight when the fault struck, and
from the end of the fault to the batch that was in flight done (after a
SIGKILL or a PostgreSQL restart, its re-run: a killed worker's task is
lost, and the dispatcher re-queues it).

    python -m bench faults                       # 100,000 friends
    python -m bench.faults --friends 20000 --cases baseline,redis
"""

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from bench.common import CeleryProcess, PostgresCluster, RedisServer

CASES = ("baseline", "kill", "redis", "postgres", "race")
# A case that has not finished after this long is reported as stuck.
CASE_TIMEOUT = 600


def _args(argv):
    parser = argparse.ArgumentParser(prog="bench.faults")
    parser.add_argument("--friends", type=int, default=100_000)
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument(
        "--at", type=float, default=0.25, help="fraction delivered when it strikes"
    )
    args = parser.parse_args(argv)
    # A fault must strike mid-fan-out: with the engine's batches of 5,000
    # (messaging.broadcasts.fanout.BATCH_SIZE) fewer friends are one batch,
    # delivered all at once, and there is no "mid" to strike in.
    if args.friends < 20_000:
        parser.error("--friends must be at least 20000 (four batches)")
    args.cases = [c for c in args.cases.split(",") if c]
    unknown = set(args.cases) - set(CASES)
    if unknown:
        parser.error(f"unknown cases: {', '.join(sorted(unknown))}")
    return args


# --- Processes ------------------------------------------------------------------


def worker(env: dict, log_dir: Path) -> CeleryProcess:
    """A ready ``celery worker -c 1``."""
    process = CeleryProcess(
        "worker",
        env,
        log_dir,
        "-c",
        "1",
        "-n",
        f"faults-{uuid.uuid4().hex[:6]}@%h",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    )
    process.wait_for_line(" ready.")
    return process


def twin_runs(workers: list[CeleryProcess]) -> tuple[int, int]:
    """(batch runs that wrote, batch runs that found nothing to do)."""
    wrote = idle = 0
    for process in workers:
        for line in process.log_path.read_text().splitlines():
            if "messaging.broadcast_batch_task[" in line and " succeeded in " in line:
                if line.endswith(": 0"):
                    idle += 1
                else:
                    wrote += 1
    return wrote, idle


# --- Observing the fan-out --------------------------------------------------------


def _retrying(query):
    """Run ``query()``; through a database restart, reconnect and retry."""
    from django.db import connection
    from django.db.utils import InterfaceError, OperationalError

    deadline = time.monotonic() + 120
    while True:
        try:
            return query()
        except (OperationalError, InterfaceError):
            if time.monotonic() > deadline:
                raise
            with contextlib.suppress(Exception):
                connection.close()
            time.sleep(0.1)


def _progress(broadcast_id: int) -> tuple[str, int]:
    from django.db.models import Sum

    from messaging.broadcasts.models import Broadcast, BroadcastBatch

    status = Broadcast.objects.filter(pk=broadcast_id).values_list("status", flat=True)
    sent = BroadcastBatch.objects.filter(broadcast_id=broadcast_id).aggregate(
        n=Sum("sent")
    )["n"]
    return status.get(), sent or 0


def _in_flight(broadcast_id: int) -> set[int]:
    """Pending batches whose row a worker's transaction holds right now."""
    from django.db import transaction

    from messaging.broadcasts.models import BroadcastBatch

    pending = BroadcastBatch.objects.filter(
        broadcast_id=broadcast_id, status=BroadcastBatch.Status.PENDING
    )
    with transaction.atomic():
        free = set(
            pending.select_for_update(skip_locked=True).values_list("pk", flat=True)
        )
        every = set(pending.values_list("pk", flat=True))
    return every - free


def _usage(account) -> tuple[int, int]:
    from accounts.models import MonthlyUsage

    row = MonthlyUsage.objects.filter(account=account).order_by("-month").first()
    return (row.used, row.reserved) if row else (0, 0)


def _outcome(broadcast_id: int, n: int) -> dict:
    from django.db.models import Count

    from messaging.broadcasts.models import Delivery
    from messaging.store.models import Message

    delivered = Delivery.objects.filter(broadcast_id=broadcast_id).count()
    messages = Message.objects.filter(source="broadcast").aggregate(
        rows=Count("id"), friends=Count("friend_id", distinct=True)
    )
    return {
        "delivered": delivered,
        "lost": n - delivered,
        "duplicated": messages["rows"] - messages["friends"],
    }


# --- One case ---------------------------------------------------------------------


class Case:
    """A broadcast run through one fault; fills in the figures it prints."""

    def __init__(self, name: str, ctx: dict):
        self.name = name
        self.ctx = ctx
        self.workers: list[CeleryProcess] = []
        self.fault_seconds = None
        self.recover_seconds = None
        self.in_flight = None
        self.twins = None

    def _start_worker(self) -> CeleryProcess:
        process = worker(self.ctx["worker_env"], self.ctx["log_dir"])
        self.workers.append(process)
        return process

    def _inject(self, broadcast_id: int) -> None:
        """Strike once ``at`` of the audience is delivered, mid-batch."""
        n, at = self.ctx["n"], self.ctx["at"]
        deadline = time.monotonic() + CASE_TIMEOUT
        while _retrying(lambda: _progress(broadcast_id))[1] < at * n:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name}: never reached {at:.0%}")
            time.sleep(0.05)
        flight_deadline = time.monotonic() + 5
        in_flight = _in_flight(broadcast_id)
        while not in_flight and time.monotonic() < flight_deadline:
            time.sleep(0.02)
            in_flight = _in_flight(broadcast_id)
        began = time.monotonic()
        if self.name == "kill":
            self.workers.pop().kill()
            self._start_worker()
        elif self.name == "redis":
            self.ctx["redis"].restart()
        elif self.name == "postgres":
            self.ctx["postgres"].restart()
        ended_wall = time.time()
        self.fault_seconds = time.monotonic() - began
        self._watch_recovery(broadcast_id, in_flight, ended_wall)

    def _watch_recovery(self, broadcast_id, in_flight, ended_wall) -> None:
        from messaging.broadcasts.models import BroadcastBatch

        def first_done():
            return (
                BroadcastBatch.objects.filter(
                    broadcast_id=broadcast_id,
                    status=BroadcastBatch.Status.DONE,
                    done_at__gte=_aware(ended_wall),
                )
                .exclude(pk__in=in_flight)
                .order_by("done_at")
                .values_list("done_at", flat=True)
                .first()
            )

        deadline = time.monotonic() + CASE_TIMEOUT
        while time.monotonic() < deadline:
            done_at = _retrying(first_done)
            if done_at is not None:
                self.recover_seconds = done_at.timestamp() - ended_wall
                break
            time.sleep(0.05)
        self.in_flight = (in_flight, ended_wall)

    def in_flight_seconds(self) -> float | None:
        """From the fault's end to the batch in flight at the fault done
        (after a SIGKILL or a PostgreSQL restart: its re-run)."""
        from django.db.models import Max

        from messaging.broadcasts.models import BroadcastBatch

        if not self.in_flight or not self.in_flight[0]:
            return None
        ids, ended_wall = self.in_flight
        last = _retrying(
            lambda: BroadcastBatch.objects.filter(pk__in=ids).aggregate(
                last=Max("done_at")
            )["last"]
        )
        return None if last is None else last.timestamp() - ended_wall

    def run(self) -> dict:
        from config.celery import app
        from messaging.broadcasts.compose import broadcast_save
        from messaging.broadcasts.control import broadcast_send_now
        from messaging.broadcasts.fanout import broadcast_start
        from messaging.broadcasts.models import BroadcastBatch
        from messaging.broadcasts.tasks import broadcast_batch_task

        account, admin, n = self.ctx["account"], self.ctx["admin"], self.ctx["n"]
        _retrying(self.ctx["reset"])
        usage_before = _retrying(lambda: _usage(account))
        try:
            self._start_worker()
            if self.name == "race":
                self._start_worker()
            broadcast = broadcast_save(
                account=account,
                actor=admin,
                title=f"faults {self.name}",
                messages=[{"type": "text", "text": "Hello {Nickname}"}],
            )
            if self.name == "race":
                # Both workers stop taking tasks; the start's own batch tasks
                # are replaced by pairs, then both take them at once.
                app.control.cancel_consumer("celery", reply=True, timeout=5)
                started = time.monotonic()
                broadcast_send_now(broadcast=broadcast, actor=admin)
                broadcast_start(broadcast_id=broadcast.pk)
                app.control.purge()
                for batch_id in (
                    BroadcastBatch.objects.filter(broadcast=broadcast)
                    .order_by("seq")
                    .values_list("pk", flat=True)
                ):
                    broadcast_batch_task.delay(batch_id)
                    broadcast_batch_task.delay(batch_id)
                app.control.add_consumer("celery", reply=True, timeout=5)
            else:
                started = time.monotonic()
                broadcast_send_now(broadcast=broadcast, actor=admin)
            if self.name in ("kill", "redis", "postgres"):
                self._inject(broadcast.pk)
            deadline = started + CASE_TIMEOUT
            status = "sending"
            while time.monotonic() < deadline:
                status = _retrying(lambda: _progress(broadcast.pk))[0]
                if status in ("sent", "failed", "cancelled"):
                    break
                time.sleep(0.1)
            total = time.monotonic() - started
            if self.name == "race":
                self.twins = twin_runs(self.workers)
        finally:
            for process in self.workers:
                process.stop()
        outcome = _retrying(lambda: _outcome(broadcast.pk, n))
        used, reserved = _retrying(lambda: _usage(account))
        quota_exact = (used - usage_before[0], reserved - usage_before[1]) == (
            outcome["delivered"],
            0,
        )
        return {
            "status": status,
            "total": total,
            "quota_exact": quota_exact,
            **outcome,
        }


def _aware(wall: float):
    import datetime as dt

    return dt.datetime.fromtimestamp(wall, tz=dt.UTC)


# --- Main -------------------------------------------------------------------------


def _measure(args, tmp: Path) -> None:
    postgres = PostgresCluster(tmp / "postgres")
    redis_server = RedisServer(tmp / "redis")
    os.environ.update(
        {
            "DATABASE_URL": postgres.url("lineoa_faults"),
            "REDIS_URL": redis_server.url(0),
            "CELERY_BROKER_URL": redis_server.url(1),
            "CELERY_TASK_ALWAYS_EAGER": "false",
        }
    )
    os.environ.pop("BENCH_BROKER_URL", None)
    beat = None
    try:
        from bench.common import Timer, bench_database

        with bench_database():
            from django.conf import settings
            from django.db import connection

            from accounts.models import Plan, User
            from accounts.services import account_create, account_quota_override_set
            from bench.fanout import _friends_copy, _reset_outputs
            from messaging.broadcasts.fanout import BATCH_SIZE

            db = connection.settings_dict
            env = {
                **os.environ,
                "DATABASE_URL": (
                    f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}"
                    f":{db['PORT']}/{db['NAME']}"
                ),
                "DJANGO_SETTINGS_MODULE": "config.settings",
            }
            admin = User.objects.create(username="bench")
            account = account_create(
                actor=admin,
                display_name=f"Faults {args.friends}",
                plan=Plan.objects.get(code="standard"),
            )
            account_quota_override_set(account=account, actor=None, limit=10**9)
            with Timer() as setup:
                _friends_copy(account, args.friends)
            beat = CeleryProcess(
                "beat",
                env,
                tmp,
                "-s",
                str(tmp / "beat-schedule"),
                "--pidfile",
                str(tmp / "beat.pid"),
            )
            beat.wait_for_line("beat: Starting...")
            print(
                f"{args.friends:,} friends (COPY in {setup.seconds:.1f} s), batch size "
                f"{BATCH_SIZE:,}, one bubble, workers -c 1, beat every 15 s; "
                f"private PostgreSQL on :{postgres.port}, Redis on "
                f":{redis_server.port} ({settings.CELERY_BROKER_URL}); fault at "
                f"{args.at:.0%}",
                flush=True,
            )
            ctx = {
                "account": account,
                "admin": admin,
                "n": args.friends,
                "at": args.at,
                "worker_env": env,
                "log_dir": tmp,
                "redis": redis_server,
                "postgres": postgres,
                "reset": _reset_outputs,
            }
            print(
                f"{'case':<9} {'status':<7} {'total s':>8} {'ratio':>6} {'lost':>5} "
                f"{'dup':>4} {'quota':>6} {'fault s':>8} {'recover s':>10} "
                f"{'in-flight s':>11}",
                flush=True,
            )
            baseline = None
            for name in args.cases:
                case = Case(name, ctx)
                result = case.run()
                if name == "baseline":
                    baseline = result["total"]
                ratio = f"{result['total'] / baseline:.2f}" if baseline else "-"
                fault = f"{case.fault_seconds:.1f}" if case.fault_seconds else "-"
                recover = (
                    f"{case.recover_seconds:.1f}"
                    if case.recover_seconds is not None
                    else ("never" if case.fault_seconds else "-")
                )
                flight = case.in_flight_seconds()
                line = (
                    f"{name:<9} {result['status']:<7} {result['total']:>8.1f} "
                    f"{ratio:>6} {result['lost']:>5} {result['duplicated']:>4} "
                    f"{'exact' if result['quota_exact'] else 'WRONG':>6} "
                    f"{fault:>8} {recover:>10} "
                    f"{'-' if flight is None else f'{flight:.1f}':>11}"
                )
                if case.twins:
                    line += f"  (batch runs: {case.twins[0]} wrote, "
                    line += f"{case.twins[1]} found it done)"
                print(line, flush=True)
            connection.close()
    finally:
        if beat is not None:
            beat.stop()
        redis_server.stop()
        postgres.stop()


def main(argv=None) -> None:
    """Print one line per case (see the module docstring).

    Runs in a fresh process when Django is already set up in this one
    (``python -m bench`` runs every bench in one process): the scratch
    database must live on the bench's own PostgreSQL, which settings read
    once.
    """
    argv = list(argv or [])
    from django.conf import settings

    if settings.configured:
        subprocess.run([sys.executable, "-m", "bench.faults", *argv], check=True)
        return
    args = _args(argv)
    with tempfile.TemporaryDirectory(prefix="lineoa-faults-") as tmp:
        # The postgres user runs the cluster below it.
        os.chmod(tmp, 0o755)
        _measure(args, Path(tmp))


if __name__ == "__main__":
    main(sys.argv[1:])
