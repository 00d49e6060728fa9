"""Shared set-up for benchmarks: a throwaway PostgreSQL database.

``bench_database()`` creates ``<dbname>_bench``, migrates it and points
Django at it; the configured database is never written to.
"""

import os
import statistics
import time
from contextlib import contextmanager


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


@contextmanager
def bench_database():
    """Create, migrate, yield and drop a scratch copy of the schema."""
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    creation = connection.creation
    name = creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        yield name
    finally:
        connection.close()
        creation.destroy_test_db(name, verbosity=0)
    del call_command


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
