"""Who a broadcast goes to: audience, random subset, recipient order."""

from django.db.models import F, Q, QuerySet

from messaging.audience.conditions import audience_friends
from messaging.broadcasts.models import Broadcast

# The random subset under a recipient cap ranks friends by a keyed hash of
# their id: two rounds of modular arithmetic under a 31-bit prime, which
# fits in 64-bit integers on PostgreSQL and SQLite alike.
_HASH_PRIME = 2147483647
_HASH_A = 1103515245
_HASH_B = 48271


def _sample_hash(seed: int):
    """SQL expression ranking friends for the random subset (see constants)."""
    x1 = (F("id") % _HASH_PRIME * _HASH_A + seed) % _HASH_PRIME
    return (x1 * x1 % _HASH_PRIME * _HASH_B + x1) % _HASH_PRIME


def _subset_q(broadcast: Broadcast) -> Q:
    if broadcast.sample_hash is None:
        return Q()
    return Q(sample_h__lt=broadcast.sample_hash) | Q(
        sample_h=broadcast.sample_hash, id__lte=broadcast.sample_friend_id
    )


def _definition_of(broadcast: Broadcast) -> dict | None:
    if broadcast.segment_id is not None:
        return broadcast.segment.definition
    return broadcast.audience


def _recipients(broadcast: Broadcast) -> QuerySet:
    """The broadcast's audience as fixed at start (following friends)."""
    qs = audience_friends(
        account=broadcast.account,
        definition=broadcast.audience_used,
        now=broadcast.started_at,
    )
    if broadcast.sample_hash is not None:
        qs = qs.annotate(sample_h=_sample_hash(broadcast.sample_seed)).filter(
            _subset_q(broadcast)
        )
    return qs


def _sample_threshold(broadcast: Broadcast, qs: QuerySet) -> tuple[int, int]:
    """(hash, id) of the ``max_recipients``-th friend in hash order."""
    row = (
        qs.annotate(sample_h=_sample_hash(broadcast.sample_seed))
        .order_by("sample_h", "id")
        .values_list("sample_h", "id")[broadcast.max_recipients - 1]
    )
    return row
