"""Bearer token → channel, cached per process (issue 18 #7).

Every Messaging API request authenticates its channel access token; through
the ORM that lookup (token, account and plan in one join) cost ~1.3 ms of a
~6 ms push (``bench/api.py``). Here each process keeps the records it looked
up, keyed by the token's SHA-256, and trusts an entry while

* the **channel-auth epoch** — one integer in Redis,
  ``{REDIS_KEY_PREFIX}:channel-auth-epoch`` — still has the value it had
  when the entry was fetched. Every write that can change an answer (a token
  issued or revoked, an account saved, suspended or resumed) moves the
  epoch (``channel_auth_changed``), so the next request of every process
  sees a revoked token or a suspended account;
* it is younger than ``CHANNEL_AUTH_CACHE_SECONDS`` (default 60; 0 turns
  the cache off) — a bound for writes that bypass the services;
* the token has not expired (checked against the cached ``expires_at`` at
  each use, as LINE's short-lived tokens expire after 30 days).

Reading the epoch is one Redis round trip (~0.07 ms). Without Redis, or
while it is unreachable, nothing is cached and every request reads the
database, as before.

Each call returns its own copy of the token and account instances: the
cache is shared by a process's threads (gunicorn ``gthread``), the copies
are not.
"""

import copy
import logging
import time

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import ChannelAccessToken
from core.redis import REDIS_ERRORS, redis_client, redis_key

logger = logging.getLogger(__name__)

# Entries per process; a deployment has a handful of channels, but a client
# cycling through garbage tokens must not grow the cache (misses are not
# stored, and the cache is emptied when full).
CACHE_MAX_ENTRIES = 1024

# token hash -> (monotonic time fetched, epoch then, record with account)
_cache: dict[str, tuple[float, bytes, ChannelAccessToken]] = {}


def _epoch_key() -> str:
    return redis_key("channel-auth-epoch")


def _epoch() -> bytes | None:
    """The current epoch, ``b""`` if never moved, None if Redis is away."""
    client = redis_client()
    if client is None:
        return None
    try:
        return client.get(_epoch_key()) or b""
    except REDIS_ERRORS:
        logger.warning("channel-auth epoch unavailable", exc_info=True)
        return None


def _bump() -> None:
    client = redis_client()
    if client is not None:
        try:
            client.incr(_epoch_key())
        except REDIS_ERRORS:
            logger.warning("channel-auth epoch not moved", exc_info=True)
    # This process, at least, forgets at once (and without Redis it never
    # caches anything anyway).
    _cache.clear()


def channel_auth_changed() -> None:
    """Tell every process to forget its cached tokens and accounts.

    Call after writing a ``ChannelAccessToken`` or an ``OfficialAccount``.
    Moves the epoch now (readers inside this transaction see the new rows)
    and again when the transaction commits (readers that refetched between
    the two saw the old rows). Never raises: with Redis away, other processes
    stop caching until it is back (``_epoch`` is None).
    """
    _bump()
    transaction.on_commit(_bump)


def _fetch(token_hash: str) -> ChannelAccessToken | None:
    return (
        ChannelAccessToken.objects.select_related("account", "account__plan")
        .filter(token_hash=token_hash, revoked_at=None)
        .filter(Q(expires_at=None) | Q(expires_at__gt=timezone.now()))
        .first()
    )


def _own_copy(record: ChannelAccessToken) -> ChannelAccessToken:
    mine = copy.copy(record)
    mine.account = copy.copy(record.account)
    return mine


def channel_token_lookup(*, token_hash: str) -> ChannelAccessToken | None:
    """The active token record with the SHA-256 ``token_hash``, or None.

    The record comes with ``account`` and ``account.plan`` loaded; None for
    an unknown, revoked or expired token. Answers from the process cache
    when it may (module docstring), else with one query.
    """
    seconds = getattr(settings, "CHANNEL_AUTH_CACHE_SECONDS", 60)
    epoch = _epoch() if seconds > 0 else None
    if epoch is not None:
        hit = _cache.get(token_hash)
        if hit is not None:
            fetched, hit_epoch, record = hit
            if (
                hit_epoch == epoch
                and time.monotonic() - fetched < seconds
                and (record.expires_at is None or record.expires_at > timezone.now())
            ):
                return _own_copy(record)
    fetched = time.monotonic()
    record = _fetch(token_hash)
    if record is not None and epoch is not None:
        if len(_cache) >= CACHE_MAX_ENTRIES:
            _cache.clear()
        _cache[token_hash] = (fetched, epoch, _own_copy(record))
    return record
