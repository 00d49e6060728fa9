"""LINE-shaped public numbers for internal primary keys.

LINE's message IDs are opaque 18-digit numbers; ours are a bigint sequence,
which would tell every bot the platform's message volume. Rows keep their
sequential key and the outside world sees ``public_number(pk)``: a keyed
permutation of ``[0, 9 × 10^17)`` shifted into the 18-digit range. It is
one-to-one (no collisions, no column, no index, no write on insert — COPY
and bulk writers need no change) and ``public_number_parse`` inverts it.

The permutation is a balanced Feistel network on 60 bits (two 30-bit
halves, 8 rounds keyed by BLAKE2b) with cycle walking back into the
domain. The key comes from ``settings.PUBLIC_ID_KEY`` (by default derived
from ``SECRET_KEY``): rotating it changes every public number, so bots that
stored message IDs could no longer fetch their content (docs/api.md).
"""

import hashlib
from functools import lru_cache

from django.conf import settings

LOW = 10**17  # the smallest 18-digit number
SPAN = 9 * 10**17  # how many 18-digit numbers there are
_HALF_BITS = 30
_HALF_MASK = (1 << _HALF_BITS) - 1
_ROUNDS = 8


@lru_cache(maxsize=4)
def _round_keys(secret: str, namespace: str) -> tuple[bytes, ...]:
    seed = hashlib.blake2b(
        f"{namespace}:{secret}".encode(), person=b"lineoa-pubid"
    ).digest()
    return tuple(
        hashlib.blake2b(bytes([i]), key=seed, digest_size=16).digest()
        for i in range(_ROUNDS)
    )


def _keys(namespace: str) -> tuple[bytes, ...]:
    secret = getattr(settings, "PUBLIC_ID_KEY", "") or settings.SECRET_KEY
    return _round_keys(secret, namespace)


def _f(key: bytes, half: int) -> int:
    digest = hashlib.blake2b(half.to_bytes(4, "big"), key=key, digest_size=4).digest()
    return int.from_bytes(digest, "big") & _HALF_MASK


def _encrypt(value: int, keys: tuple[bytes, ...]) -> int:
    left, right = value >> _HALF_BITS, value & _HALF_MASK
    for key in keys:
        left, right = right, left ^ _f(key, right)
    return (left << _HALF_BITS) | right


def _decrypt(value: int, keys: tuple[bytes, ...]) -> int:
    left, right = value >> _HALF_BITS, value & _HALF_MASK
    for key in reversed(keys):
        left, right = right ^ _f(key, left), left
    return (left << _HALF_BITS) | right


def public_number(pk: int, *, namespace: str = "message") -> str:
    """The 18-digit public number (a string, as LINE's JSON has it) of ``pk``.

    ``pk`` is a positive primary key below 9 × 10^17.
    """
    if not 0 < pk <= SPAN:
        raise ValueError("pk out of range")
    keys = _keys(namespace)
    value = _encrypt(pk - 1, keys)
    while value >= SPAN:  # cycle walking: at most a few steps
        value = _encrypt(value, keys)
    return str(LOW + value)


def public_number_parse(number: str, *, namespace: str = "message") -> int | None:
    """The primary key behind an 18-digit public number, None if malformed."""
    if not (len(number) == 18 and number.isascii() and number.isdigit()):
        return None
    value = int(number) - LOW
    if not 0 <= value < SPAN:
        return None
    keys = _keys(namespace)
    value = _decrypt(value, keys)
    while value >= SPAN:
        value = _decrypt(value, keys)
    return value + 1
