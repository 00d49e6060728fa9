"""Did the Celery broker lose its queues? (issue 19, #8)

A Redis broker restarted without persistence comes back empty: every task
that was waiting in it is gone, and nothing tells the code that queued
them. This module keeps a sentinel key in the broker's own database; when
the key is missing, the broker's data was lost since the last look (or
this is the first look), and callers re-queue what they had queued —
their tasks are idempotent, so a needless re-queue costs only no-op tasks.
"""

import logging
import secrets
from functools import cache

import redis
from django.conf import settings

logger = logging.getLogger(__name__)


@cache
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=2)


def sentinel_key() -> str:
    """The sentinel's key in the broker's database (``REDIS_KEY_PREFIX``)."""
    return f"{settings.REDIS_KEY_PREFIX}:broker-epoch"


def broker_data_lost() -> bool:
    """True once after the broker's database was emptied (restart, flush).

    Sets a new sentinel when it is missing, so the next call answers False
    until the data is lost again. Always False for a broker that is not
    Redis (``filesystem://`` in development keeps its files) and when the
    broker cannot be reached (nothing can be re-queued then anyway).
    """
    url = getattr(settings, "CELERY_BROKER_URL", "") or ""
    if not url.startswith(("redis://", "rediss://", "unix://")):
        return False
    try:
        created = _client(url).set(sentinel_key(), secrets.token_hex(8), nx=True)
    except (redis.RedisError, OSError):
        logger.warning("broker unreachable while checking for lost queues")
        return False
    return bool(created)
