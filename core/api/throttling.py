"""Per-channel rate limits of LINE's table (spec 1.3), counted in Redis.

A fixed window per (channel, endpoint, method): LINE uses a token bucket,
which a window of the same length approximates closely enough for clients
that back off on 429. Views name their limit with ``rate_scope``; unknown
scopes get the 2,000 requests/second that most endpoints have. Operators
may override limits with the ``LINE_API_RATE_LIMITS`` setting, a mapping
of scope to ``(requests, seconds)``.
"""

import logging
import time

from django.conf import settings
from django.core.cache import caches
from rest_framework.throttling import BaseThrottle

from core.redis import REDIS_ERRORS, redis_client, redis_key

HOUR = 3600
RATE_LIMITS: dict[str, tuple[int, int]] = {
    "default": (2000, 1),
    "multicast": (200, 1),
    "narrowcast": (60, HOUR),
    "broadcast": (60, HOUR),
    "webhook_test": (60, HOUR),
    "insight": (60, HOUR),
    "webhook_endpoint": (1000, 60),
    "loading": (100, 1),
    "audience": (60, 60),
    "richmenu_create": (100, HOUR),
    "richmenu_delete": (100, HOUR),
    "richmenu_alias_delete": (100, HOUR),
    "richmenu_list": (10, 1),
    "richmenu_batch": (3, HOUR),
    "richmenu_batch_progress": (100, HOUR),
}

logger = logging.getLogger(__name__)


def rate_for(scope: str) -> tuple[int, int]:
    overrides = getattr(settings, "LINE_API_RATE_LIMITS", {})
    if scope in overrides:
        return tuple(overrides[scope])
    return RATE_LIMITS.get(scope, RATE_LIMITS["default"])


def window_hit(key: str, seconds: int) -> int:
    """Count one request in ``key``'s window and return the window's total."""
    client = redis_client()
    if client is not None:
        pipe = client.pipeline()
        pipe.incr(key)
        pipe.expire(key, seconds + 1)
        try:
            count, _ok = pipe.execute()
        except REDIS_ERRORS:
            # Limits protect the platform; an outage of the counter store
            # must not take the whole API down with it.
            logger.warning("rate limit counter unavailable", exc_info=True)
            return 0
        return int(count)
    # Without Redis (a bare development machine) the process cache will do.
    store = caches["default"]
    store.add(key, 0, seconds + 1)
    return store.incr(key)


class ChannelRateThrottle(BaseThrottle):
    """Refuse a channel's request past its endpoint's limit (429)."""

    def allow_request(self, request, view) -> bool:
        account = getattr(request, "account", None)
        if account is None:
            return True
        scope = getattr(view, "rate_scope", "default")
        limit, seconds = rate_for(scope)
        window = int(time.time() // seconds)
        key = redis_key(
            "rl", account.channel_id, view.__class__.__name__, request.method, window
        )
        return window_hit(key, seconds) <= limit
