"""Did the Celery broker lose its queues, is its queue empty? (issue 19, #8)

A Redis broker restarted without persistence comes back empty: every task
that was waiting in it is gone, and nothing tells the code that queued
them. This module keeps a sentinel key in the broker's own database; when
the key is missing, the broker's data was lost since the last look (or
this is the first look), and callers re-queue what they had queued —
their tasks are idempotent, so a needless re-queue costs only no-op tasks.

A worker killed mid-task (SIGKILL, out of memory) loses the task it held:
Redis hands an unacknowledged task back only after the transport's
visibility timeout (an hour). ``broker_queue_length`` lets a caller see
that nothing waits in the queue any more, so work still marked pending is
either running right now or lost.
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


# kombu's Redis transport keeps a queue as one list per priority step:
# ``<queue>`` for priority 0, ``<queue>\x06\x16<step>`` for the others.
_PRIORITY_STEPS = (0, 3, 6, 9)
_PRIORITY_SEP = "\x06\x16"


def broker_queue_length(queue: str = "") -> int | None:
    """Tasks waiting in ``queue`` of the Redis broker (default queue: "").

    Counts what no worker has taken yet; tasks a worker has taken and not
    acknowledged (running, or lost with a killed worker) are not counted.
    None for a broker that is not Redis or cannot be reached.
    """
    url = getattr(settings, "CELERY_BROKER_URL", "") or ""
    if not url.startswith(("redis://", "rediss://", "unix://")):
        return None
    options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}) or {}
    prefix = options.get("global_keyprefix", "")
    name = queue or getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "celery")
    keys = [
        f"{prefix}{name}{_PRIORITY_SEP}{step}" if step else f"{prefix}{name}"
        for step in _PRIORITY_STEPS
    ]
    try:
        with _client(url).pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.llen(key)
            return sum(pipe.execute())
    except (redis.RedisError, OSError):
        logger.warning("broker unreachable while measuring its queue")
        return None
