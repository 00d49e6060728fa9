"""Conditions on friends, as ``Q`` objects over ``messaging.Friend``.

One builder per condition, so the friends list, its CSV export, bulk
tagging and (later) broadcast segments all target exactly the same set.
Builders take already-validated values; forms do the parsing. Profile
conditions read the copies of the LINE user's attributes on the friend row
(``Friend.user_gender`` …), so they need no join.

Age bands follow LINE's 5-year steps (narrowcast ``age_15 … age_70``):
under 20, 20–24, 25–29 … 60–64, 65 and over, plus "unknown" for customers
who never shared their age.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from functools import reduce
from operator import or_
from zoneinfo import ZoneInfo

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _

from messaging.friends.models import Friend

NO_SOURCE = None  # in ``FriendFilters.sources``: friends who came without a source


@dataclass(frozen=True)
class AgeBand:
    code: str
    lo: int | None  # inclusive
    hi: int | None  # exclusive

    @property
    def label(self) -> str:
        if self.code == AGE_UNKNOWN:
            return _("Unknown")
        if self.lo is None:
            return _("Under %(hi)d") % {"hi": self.hi}
        if self.hi is None:
            return _("%(lo)d and over") % {"lo": self.lo}
        return _("%(lo)d–%(hi)d") % {"lo": self.lo, "hi": self.hi - 1}


AGE_UNKNOWN = "unknown"


AGE_BANDS: tuple[AgeBand, ...] = (
    AgeBand("lt20", None, 20),
    *(AgeBand(f"{lo}_{lo + 4}", lo, lo + 5) for lo in range(20, 65, 5)),
    AgeBand("65plus", 65, None),
    AgeBand(AGE_UNKNOWN, None, None),
)


AGE_BANDS_BY_CODE = {band.code: band for band in AGE_BANDS}


def age_band_of(age: int | None) -> AgeBand:
    """The band an age falls in (``unknown`` for ``None``)."""
    if age is not None:
        for band in AGE_BANDS:
            if band.code == AGE_UNKNOWN:
                continue
            if (band.lo is None or age >= band.lo) and (
                band.hi is None or age < band.hi
            ):
                return band
    return AGE_BANDS_BY_CODE[AGE_UNKNOWN]


@dataclass(frozen=True)
class FriendFilters:
    """What the friends list, export and bulk tagging select.

    Empty tuples and ``None`` mean "any". Within one condition values are
    alternatives (OR); different conditions must all hold (AND).
    """

    tag_ids: tuple[int, ...] = ()
    genders: tuple[str, ...] = ()
    age_bands: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    oses: tuple[str, ...] = ()
    # Source ids; ``NO_SOURCE`` (None) selects friends without a source.
    sources: tuple[int | None, ...] = ()
    since_from: dt.date | None = None
    since_to: dt.date | None = None
    status: str = ""
    name: str = ""

    @property
    def is_empty(self) -> bool:
        return self == FriendFilters()

    def to_json(self) -> dict:
        """A JSON-safe dict of the non-empty conditions (for the audit log)."""
        out = {}
        for key, value in asdict(self).items():
            if value in ((), None, ""):
                continue
            out[key] = value.isoformat() if isinstance(value, dt.date) else value
        return {k: list(v) if isinstance(v, tuple) else v for k, v in out.items()}


def _any(conditions: Iterable[Q]) -> Q:
    conditions = list(conditions)
    return reduce(or_, conditions) if conditions else Q()


def q_tags(tag_ids: Iterable[int]) -> Q:
    """Tagged with any of ``tag_ids`` (a semi-join: no duplicate rows)."""
    tag_ids = list(tag_ids)
    if not tag_ids:
        return Q()
    tagged = Friend.tags.through.objects.filter(
        friend_id=OuterRef("pk"), tag_id__in=tag_ids
    )
    return Q(Exists(tagged))


def q_genders(genders: Iterable[str]) -> Q:
    genders = list(genders)
    return Q(user_gender__in=genders) if genders else Q()


def q_age_bands(codes: Iterable[str]) -> Q:
    conditions = []
    for code in codes:
        band = AGE_BANDS_BY_CODE[code]
        if band.code == AGE_UNKNOWN:
            conditions.append(Q(user_age__isnull=True))
            continue
        q = Q(user_age__isnull=False)
        if band.lo is not None:
            q &= Q(user_age__gte=band.lo)
        if band.hi is not None:
            q &= Q(user_age__lt=band.hi)
        conditions.append(q)
    return _any(conditions)


def q_regions(regions: Iterable[str]) -> Q:
    regions = list(regions)
    return Q(user_region__in=regions) if regions else Q()


def q_oses(oses: Iterable[str]) -> Q:
    oses = list(oses)
    return Q(user_os__in=oses) if oses else Q()


def q_sources(sources: Iterable[int | None]) -> Q:
    sources = list(sources)
    ids = [s for s in sources if s is not NO_SOURCE]
    conditions = []
    if ids:
        conditions.append(Q(source_id__in=ids))
    if NO_SOURCE in sources:
        conditions.append(Q(source__isnull=True))
    return _any(conditions)


def q_friend_since(
    since_from: dt.date | None, since_to: dt.date | None, *, tz: ZoneInfo
) -> Q:
    """Friend since between two calendar days (inclusive) in ``tz``."""
    q = Q()
    if since_from is not None:
        q &= Q(friend_since__gte=dt.datetime.combine(since_from, dt.time(), tz))
    if since_to is not None:
        end = dt.datetime.combine(since_to + dt.timedelta(days=1), dt.time(), tz)
        q &= Q(friend_since__lt=end)
    return q


def q_status(status: str) -> Q:
    return Q(status=status) if status else Q()


def q_name(text: str) -> Q:
    """Display name contains ``text``; a full user ID matches exactly."""
    text = text.strip()
    if not text:
        return Q()
    q = Q(line_user__display_name__icontains=text)
    if len(text) == 33 and text.startswith("U"):
        q |= Q(line_user__user_id=text)
    return q


def friend_filters_q(filters: FriendFilters, *, tz: ZoneInfo) -> Q:
    """All of ``filters`` as one condition (AND of the builders above)."""
    return (
        q_tags(filters.tag_ids)
        & q_genders(filters.genders)
        & q_age_bands(filters.age_bands)
        & q_regions(filters.regions)
        & q_oses(filters.oses)
        & q_sources(filters.sources)
        & q_friend_since(filters.since_from, filters.since_to, tz=tz)
        & q_status(filters.status)
        & q_name(filters.name)
    )
