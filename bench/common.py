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
