"""Run benchmarks: ``python -m bench`` (all) or ``python -m bench quota api``.

Each ``bench/<name>.py`` has a ``main(argv)`` that prints its own figures.
Benchmarks need DATABASE_URL (PostgreSQL) and REDIS_URL; ``make bench`` sets
them. They create and drop their own database, never the one configured.
"""

import importlib
import os
import pkgutil
import secrets
import sys
from pathlib import Path


def main(argv: list[str]) -> None:
    # The servers a bench starts refuse the development key (DEBUG=0).
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    names = argv or sorted(
        m.name
        for m in pkgutil.iter_modules([str(Path(__file__).parent)])
        if not m.name.startswith("_") and m.name != "common"
    )
    for name in names:
        print(f"\n=== bench/{name}.py ===", flush=True)
        importlib.import_module(f"bench.{name}").main([])


if __name__ == "__main__":
    main(sys.argv[1:])
