"""One Redis client per process for the app's own keys (not the cache API).

Rate-limit windows (``core.api.throttling``) and the channel-auth epoch
(``accounts.channel_auth``) talk to Redis directly: one pipeline round trip
instead of the cache framework's several. Keys start with
``settings.REDIS_KEY_PREFIX`` like every other key of this deployment.
"""

from functools import cache

import redis
from django.conf import settings

# What redis-py raises when the server is away or a socket broke under load
# ("I/O operation on closed file" is a ValueError; seen with bench/api.py at
# 32 clients on 2 cores). Callers degrade instead of answering 500.
REDIS_ERRORS = (redis.RedisError, OSError, ValueError)


@cache
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=1)


def redis_client() -> redis.Redis | None:
    """The client for ``settings.REDIS_URL``, or None without Redis.

    Without Redis (a bare development machine, ``make run``'s embedded
    defaults) callers fall back to the database or the process cache.
    """
    url = getattr(settings, "REDIS_URL", "")
    return _client(url) if url else None


def redis_key(*parts: object) -> str:
    """``REDIS_KEY_PREFIX:part:part…``, the deployment's key namespace."""
    return ":".join([settings.REDIS_KEY_PREFIX, *map(str, parts)])
