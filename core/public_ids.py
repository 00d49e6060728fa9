"""LINE-shaped public numbers for internal primary keys.

LINE's message IDs are opaque 18-digit numbers; ours are a bigint sequence,
which would tell every bot the platform's message volume. Rows keep their
sequential key and the outside world sees ``public_number(pk)``: a keyed
permutation of ``[0, 9 × 10^17)`` shifted into the 18-digit range
(13 digits for audience IDs, which LINE's JSON writes as numbers: they
stay exact in JavaScript). It is
one-to-one (no collisions, no column, no index, no write on insert — COPY
and bulk writers need no change) and ``public_number_parse`` inverts it.

The permutation is a balanced Feistel network (60 bits for 18 digits,
8 rounds keyed by BLAKE2b) with cycle walking back into the
domain. The key comes from ``settings.PUBLIC_ID_KEY`` (by default derived
from ``SECRET_KEY``): rotating it changes every public number, so bots that
stored message IDs could no longer fetch their content (docs/api.md).
"""

import hashlib
from functools import lru_cache

from django.conf import settings

LOW = 10**17  # the smallest 18-digit number
SPAN = 9 * 10**17  # how many 18-digit numbers there are
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


def _f(key: bytes, half: int, bits: int) -> int:
    digest = hashlib.blake2b(half.to_bytes(8, "big"), key=key, digest_size=8).digest()
    return int.from_bytes(digest, "big") & ((1 << bits) - 1)


def _half_bits(span: int) -> int:
    return ((span - 1).bit_length() + 1) // 2


def _encrypt(value: int, keys: tuple[bytes, ...], bits: int) -> int:
    mask = (1 << bits) - 1
    left, right = value >> bits, value & mask
    for key in keys:
        left, right = right, left ^ _f(key, right, bits)
    return (left << bits) | right


def _decrypt(value: int, keys: tuple[bytes, ...], bits: int) -> int:
    mask = (1 << bits) - 1
    left, right = value >> bits, value & mask
    for key in reversed(keys):
        left, right = right ^ _f(key, left, bits), left
    return (left << bits) | right


def public_number(pk: int, *, namespace: str = "message", digits: int = 18) -> str:
    """The public number of ``pk`` with ``digits`` digits (a string; LINE's
    JSON writes message IDs as strings).

    ``pk`` is a positive primary key, at most 9 × 10^(digits - 1).
    """
    low, span = 10 ** (digits - 1), 9 * 10 ** (digits - 1)
    if not 0 < pk <= span:
        raise ValueError("pk out of range")
    keys, bits = _keys(namespace), _half_bits(span)
    value = _encrypt(pk - 1, keys, bits)
    while value >= span:  # cycle walking: a few steps at most
        value = _encrypt(value, keys, bits)
    return str(low + value)


def public_number_parse(
    number: str, *, namespace: str = "message", digits: int = 18
) -> int | None:
    """The primary key behind a public number, None if malformed."""
    if not (len(number) == digits and number.isascii() and number.isdigit()):
        return None
    low, span = 10 ** (digits - 1), 9 * 10 ** (digits - 1)
    value = int(number) - low
    if not 0 <= value < span:
        return None
    keys, bits = _keys(namespace), _half_bits(span)
    value = _decrypt(value, keys, bits)
    while value >= span:
        value = _decrypt(value, keys, bits)
    return value + 1
