"""Shared set-up for benchmarks: a throwaway PostgreSQL database.

``bench_database()`` creates ``test_<dbname>``, migrates it and points
Django at it; the configured database is never written to.
``friends_generate()`` fills one account with many friends quickly (COPY).
"""

import datetime as dt
import os
import random
import signal
import statistics
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


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


# --- Private servers (bench/faults.py, tests/messaging/broadcasts/test_faults.py) ---


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise RuntimeError(f"timed out waiting for {what}")


class RedisServer:
    """A ``redis-server`` of its own on a free port, without persistence.

    For fault injection: ``restart()`` stops it (SIGTERM) and
    starts it again on the same port, empty, as a Redis restarted without
    persistence comes back; nobody else's Redis is touched. ``url(db)`` is
    its URL; ``stop()`` ends it. Raises ``RuntimeError`` when it does not
    answer within 10 s.
    """

    def __init__(self, directory):
        from pathlib import Path

        self.port = free_port()
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.proc = None
        self.start()

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def _ping(self) -> bool:
        import redis

        try:
            return bool(redis.Redis(port=self.port, socket_timeout=0.5).ping())
        except (redis.RedisError, OSError):
            return False

    def start(self) -> None:
        import subprocess

        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
                "--logfile",
                str(self.directory / f"redis-{self.port}.log"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_until(self._ping, 10, f"redis-server on port {self.port}")

    def stop(self) -> None:
        """SIGTERM (no persistence configured, so nothing is saved)."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except Exception:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def restart(self) -> float:
        """Stop and start again, empty; returns the seconds it was down."""
        began = time.monotonic()
        self.stop()
        self.start()
        return time.monotonic() - began


class PostgresCluster:
    """A PostgreSQL cluster of its own (``initdb``/``pg_ctl``) on a free port.

    Created under ``directory`` with trust authentication on 127.0.0.1 and
    run as the ``postgres`` system user when this process is root
    (PostgreSQL refuses to run as root). ``restart()`` is ``pg_ctl restart
    -m immediate`` (every backend killed, crash recovery on start, as after
    a power cut). ``url(name)`` is a URL for database ``name`` as the
    superuser ``postgres``. Raises ``subprocess.CalledProcessError`` when a
    command fails.
    """

    BIN = "/usr/lib/postgresql/15/bin"

    def __init__(self, directory):
        import os
        import subprocess
        from pathlib import Path

        self.port = free_port()
        self.directory = Path(directory)
        self.data = self.directory / "data"
        self.directory.mkdir(parents=True, exist_ok=True)
        self._as = []
        if os.geteuid() == 0:
            import shutil

            shutil.chown(self.directory, "postgres", "postgres")
            self._as = ["runuser", "-u", "postgres", "--"]
        subprocess.run(
            [
                *self._as,
                f"{self.BIN}/initdb",
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale",
                "C.UTF-8",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        self.start()

    def url(self, name: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def _ctl(self, *args: str) -> None:
        import subprocess

        subprocess.run(
            [
                *self._as,
                f"{self.BIN}/pg_ctl",
                "-D",
                str(self.data),
                "-l",
                str(self.directory / "postgres.log"),
                "-w",
                "-t",
                "60",
                *args,
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 "
            f"-c unix_socket_directories={self.directory} -c max_connections=50"
        )
        self._ctl("-o", options, "start")

    def restart(self) -> float:
        """Immediate shutdown and start; returns the seconds it was down."""
        began = time.monotonic()
        self._ctl("-m", "immediate", "restart")
        return time.monotonic() - began

    def stop(self) -> None:
        import contextlib
        import subprocess

        with contextlib.suppress(subprocess.CalledProcessError):
            self._ctl("-m", "fast", "stop")


class CeleryProcess:
    """One ``celery`` process group (worker or beat) and its log file."""

    def __init__(self, kind: str, env: dict, log_dir: Path, *extra: str):
        self.log_path = log_dir / f"{kind}-{uuid.uuid4().hex[:6]}.log"
        self.log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        celery = str(Path(sys.executable).with_name("celery"))
        self.proc = subprocess.Popen(
            [celery, "-A", "config", kind, "-l", "info", *extra],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_for_line(self, text: str, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log_path.read_text():
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        log = self.log_path.read_text()
        raise RuntimeError(f"no {text!r} in {self.log_path}:\n{log}")

    def kill(self) -> None:
        """SIGKILL the whole process group (main process and pool child)."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self.log.close()
