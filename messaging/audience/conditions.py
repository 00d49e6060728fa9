"""Audiences: conditions on friends joined with AND/OR, compiled to ``Q``.

A definition is JSON, stored on a ``Segment`` or a ``Broadcast``::

    {"match": "all" | "any",
     "conditions": [
        {"type": "tag", "values": [3, 5]},
        {"type": "gender", "values": ["female"], "negate": true},
        {"type": "group", "match": "any", "conditions": [...]},
     ]}

Each condition type is a ``Condition`` registered in ``CONDITIONS``: it
cleans raw JSON (checking that ids belong to the account), compiles to a
``Q`` over ``messaging.Friend`` and describes itself for people. New
filters (shop-card points, coupon use, ...) are one more registered class;
nothing else changes. Attribute conditions reuse the builders of
``messaging.friends.filters`` so the friends list and segments agree.

Definitions are evaluated when a broadcast starts (and when each batch
runs), never materialised; ``now`` is passed in so relative conditions
(friend period) mean the same thing in every batch of one broadcast.
"""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import OfficialAccount
from core.exceptions import ApplicationError
from messaging.friends.filters import (
    AGE_BANDS,
    AGE_BANDS_BY_CODE,
    NO_SOURCE,
    q_age_bands,
    q_genders,
    q_oses,
    q_regions,
    q_sources,
    q_tags,
)
from messaging.friends.models import (
    CustomField,
    Friend,
    FriendFieldValue,
    FriendSource,
    LineUser,
    Tag,
)
from messaging.friends.regions import PREFECTURES, REGION_GROUPS

MAX_CONDITIONS = 20
MAX_DEPTH = 2  # a top level and one level of groups
MAX_VALUES = 100
MATCHES = ("all", "any")
# work_mem of an audience count (``audience_count``): room to hash the ids
# of a membership condition under OR/NOT (about 4M ids at PostgreSQL's
# default hash_mem_multiplier of 2).
COUNT_WORK_MEM = "64MB"


class SegmentInvalid(ApplicationError):
    """The definition cannot be used; ``message`` says why."""


def _bad(message: str) -> SegmentInvalid:
    return SegmentInvalid(message, {"audience": message})


def _ints(raw, *, allow_none: bool = False) -> list:
    if not isinstance(raw, list) or not raw:
        raise _bad(_("Choose at least one value for each condition."))
    if len(raw) > MAX_VALUES:
        raise _bad(_("A condition can list at most %(n)d values.") % {"n": MAX_VALUES})
    out = []
    for value in raw:
        if value is None and allow_none:
            out.append(None)
            continue
        try:
            out.append(int(value))
        except (TypeError, ValueError):
            raise _bad(_("A condition has an invalid value.")) from None
    return sorted(set(out), key=lambda v: (v is not None, v or 0))


def _choices(raw, allowed) -> list[str]:
    if not isinstance(raw, list) or not raw:
        raise _bad(_("Choose at least one value for each condition."))
    allowed = list(allowed)
    values = []
    for value in raw:
        if value not in allowed:
            raise _bad(_("A condition has an invalid value."))
        if value not in values:
            values.append(value)
    return sorted(values, key=allowed.index)


class Condition:
    """One kind of filter. Subclasses set ``key``/``label`` and implement."""

    key: str = ""
    label = ""
    # What the page's builder shows: "multi" (checkboxes of ``options``),
    # "days" (min/max days), "field" (custom field, operator, value) or
    # "broadcast" (one earlier broadcast).
    widget = "multi"
    # Offered by the Manager's audience builder; False for conditions only
    # built by code (the Messaging API's LINE filters).
    builder = True
    # Selects friends by what they did with messages (opened, clicked):
    # insights, which "operator without insights" may not count.
    insight = False

    def options(self, account: OfficialAccount) -> list[tuple]:
        return []

    def option_groups(self) -> list[tuple]:
        """``[(label, [option value, …]), …]`` when the builder shows the
        options in groups (regions), else empty."""
        return []

    def clean(self, account: OfficialAccount, raw: dict) -> dict:
        raise NotImplementedError

    def q(self, account: OfficialAccount, cond: dict, *, now: dt.datetime) -> Q:
        """The condition as a ``Q`` on ``Friend``.

        Conditions that are membership in another table define
        ``friend_ids`` instead and get a correlated ``EXISTS`` here.
        """
        ids = self.friend_ids(account, cond, now=now)
        if ids is None:
            raise NotImplementedError
        return Q(Exists(ids.filter(friend_id=OuterRef("pk"))))

    def friend_ids(
        self, account: OfficialAccount, cond: dict, *, now: dt.datetime
    ) -> QuerySet | None:
        """The matching friends as a query of one column, ``friend_id``.

        For conditions that are rows of another table (tags, deliveries);
        None (the default) for conditions on the friend row itself, which
        implement ``q``. With it the audience count can test membership
        in a hashed set where ``EXISTS`` would be planned row by row (under
        OR and NOT, see ``audience_count``).
        """
        return None

    def describe(self, account: OfficialAccount, cond: dict) -> str:
        raise NotImplementedError


CONDITIONS: dict[str, Condition] = {}


def register(cls: type[Condition]) -> type[Condition]:
    """Class decorator adding a condition type to the registry."""
    CONDITIONS[cls.key] = cls()
    return cls


class _ChoiceCondition(Condition):
    """A condition whose values are fixed choices of ``LineUser``."""

    def choices(self) -> list[tuple[str, str]]:
        raise NotImplementedError

    def options(self, account):
        return [(value, str(label)) for value, label in self.choices()]

    def clean(self, account, raw):
        return {"values": _choices(raw.get("values"), dict(self.choices()))}

    def describe(self, account, cond):
        labels = dict(self.choices())
        return ", ".join(str(labels[v]) for v in cond["values"])


@register
class GenderCondition(_ChoiceCondition):
    key = "gender"
    label = gettext_lazy("Gender")

    def choices(self):
        return LineUser.Gender.choices

    def q(self, account, cond, *, now):
        return q_genders(cond["values"])


@register
class AgeCondition(_ChoiceCondition):
    key = "age"
    label = gettext_lazy("Age")

    def choices(self):
        return [(band.code, band.label) for band in AGE_BANDS]

    def clean(self, account, raw):
        return {"values": _choices(raw.get("values"), AGE_BANDS_BY_CODE)}

    def q(self, account, cond, *, now):
        return q_age_bands(cond["values"])


@register
class AgeRangeCondition(Condition):
    """Age in whole years, ``min`` ≤ age < ``below`` (LINE's ``age`` filter).

    The Messaging API's demographic filter gives ages in steps of 5
    (``age_20`` …); a friend of unknown age never matches (spec 1.5).
    """

    key = "age_range"
    label = gettext_lazy("Age")
    builder = False

    def clean(self, account, raw):
        out = {}
        for key in ("min", "below"):
            value = raw.get(key)
            if value is None:
                out[key] = None
                continue
            if not isinstance(value, int) or not 0 <= value <= 200:
                raise _bad(_("A condition has an invalid value."))
            out[key] = value
        if out["min"] is None and out["below"] is None:
            raise _bad(_("A condition has an invalid value."))
        return out

    def q(self, account, cond, *, now):
        q = Q(user_age__isnull=False)
        if cond["min"] is not None:
            q &= Q(user_age__gte=cond["min"])
        if cond["below"] is not None:
            q &= Q(user_age__lt=cond["below"])
        return q

    def describe(self, account, cond):
        lo, hi = cond["min"], cond["below"]
        if hi is None:
            return _("%(n)d or older") % {"n": lo}
        if lo is None:
            return _("under %(n)d") % {"n": hi}
        return _("%(lo)d to %(hi)d") % {"lo": lo, "hi": hi - 1}


@register
class RegionCondition(_ChoiceCondition):
    key = "region"
    label = gettext_lazy("Region")

    def choices(self):
        return list(PREFECTURES)

    def option_groups(self):
        return REGION_GROUPS

    def q(self, account, cond, *, now):
        return q_regions(cond["values"])


@register
class OSCondition(_ChoiceCondition):
    key = "os"
    label = gettext_lazy("OS")

    def choices(self):
        return LineUser.OS.choices

    def q(self, account, cond, *, now):
        return q_oses(cond["values"])


@register
class TagCondition(Condition):
    key = "tag"
    label = gettext_lazy("Tag")

    def options(self, account):
        return list(Tag.objects.filter(account=account).values_list("pk", "name"))

    def clean(self, account, raw):
        ids = _ints(raw.get("values"))
        found = set(
            Tag.objects.filter(account=account, pk__in=ids).values_list("pk", flat=True)
        )
        if found != set(ids):
            raise _bad(_("A tag in the audience no longer exists."))
        return {"values": ids}

    def q(self, account, cond, *, now):
        return q_tags(cond["values"])

    def friend_ids(self, account, cond, *, now):
        return Friend.tags.through.objects.filter(tag_id__in=cond["values"]).values(
            "friend_id"
        )

    def describe(self, account, cond):
        names = Tag.objects.filter(account=account, pk__in=cond["values"])
        return ", ".join(names.order_by("name").values_list("name", flat=True))


@register
class SourceCondition(Condition):
    key = "source"
    label = gettext_lazy("Acquisition source")

    def options(self, account):
        rows = FriendSource.objects.filter(account=account).values_list("pk", "name")
        return [(None, _("No source (search, ID, other)")), *rows]

    def clean(self, account, raw):
        values = _ints(raw.get("values"), allow_none=True)
        ids = [v for v in values if v is not NO_SOURCE]
        found = set(
            FriendSource.objects.filter(account=account, pk__in=ids).values_list(
                "pk", flat=True
            )
        )
        if found != set(ids):
            raise _bad(_("An acquisition source in the audience no longer exists."))
        return {"values": values}

    def q(self, account, cond, *, now):
        return q_sources(cond["values"])

    def describe(self, account, cond):
        names = dict(self.options(account))
        return ", ".join(str(names.get(v, v)) for v in cond["values"])


@register
class FriendPeriodCondition(Condition):
    """Friends for at least / at most N days at send time (LINE's period)."""

    key = "friend_period"
    label = gettext_lazy("Friend period")
    widget = "days"

    def clean(self, account, raw):
        out = {}
        for key in ("min_days", "max_days"):
            value = raw.get(key)
            if value in (None, ""):
                out[key] = None
                continue
            try:
                value = int(value)
            except (TypeError, ValueError):
                raise _bad(_("Enter the friend period in whole days.")) from None
            if not 0 <= value <= 36500:
                raise _bad(_("Enter the friend period in whole days."))
            out[key] = value
        if out["min_days"] is None and out["max_days"] is None:
            raise _bad(_("Enter a minimum or a maximum number of days."))
        if (
            out["min_days"] is not None
            and out["max_days"] is not None
            and out["min_days"] > out["max_days"]
        ):
            raise _bad(_("The minimum number of days is above the maximum."))
        return out

    def q(self, account, cond, *, now):
        q = Q()
        if cond["min_days"] is not None:
            q &= Q(friend_since__lte=now - dt.timedelta(days=cond["min_days"]))
        if cond["max_days"] is not None:
            q &= Q(friend_since__gt=now - dt.timedelta(days=cond["max_days"]))
        return q

    def describe(self, account, cond):
        lo, hi = cond["min_days"], cond["max_days"]
        if hi is None:
            return _("%(n)d days or more") % {"n": lo}
        if lo is None:
            return _("less than %(n)d days") % {"n": hi}
        return _("%(lo)d to %(hi)d days") % {"lo": lo, "hi": hi}


_FIELD_OPS = {
    CustomField.Kind.TEXT: ("eq", "contains", "set", "unset"),
    CustomField.Kind.NUMBER: ("eq", "gt", "lt", "set", "unset"),
    CustomField.Kind.DATE: ("eq", "before", "after", "set", "unset"),
    CustomField.Kind.CHOICE: ("eq", "set", "unset"),
}


@register
class CustomFieldCondition(Condition):
    key = "custom_field"
    label = gettext_lazy("Custom field")
    widget = "field"

    def options(self, account):
        return [
            (f.pk, f.name, f.kind, f.choices)
            for f in CustomField.objects.filter(account=account)
        ]

    def clean(self, account, raw):
        try:
            field_id = int(raw.get("field"))
        except (TypeError, ValueError):
            raise _bad(_("Choose a custom field.")) from None
        field = CustomField.objects.filter(account=account, pk=field_id).first()
        if field is None:
            raise _bad(_("A custom field in the audience no longer exists."))
        op = raw.get("op")
        if op not in _FIELD_OPS[field.kind]:
            raise _bad(_("Choose how to compare the field."))
        out = {"field": field.pk, "kind": field.kind, "op": op, "value": None}
        if op in ("set", "unset"):
            return out
        value = raw.get("value")
        if field.kind == CustomField.Kind.NUMBER:
            try:
                number = Decimal(str(value).strip())
            except (InvalidOperation, AttributeError):
                raise _bad(_("Enter a number to compare with.")) from None
            if not number.is_finite():
                raise _bad(_("Enter a number to compare with."))
            out["value"] = str(number)
        elif field.kind == CustomField.Kind.DATE:
            try:
                out["value"] = dt.date.fromisoformat(str(value)).isoformat()
            except ValueError:
                raise _bad(_("Enter a date to compare with.")) from None
        elif field.kind == CustomField.Kind.CHOICE:
            if value not in field.choices:
                raise _bad(_("Choose one of the field's choices."))
            out["value"] = value
        else:
            text = str(value or "").strip()
            if not text or len(text) > 500:
                raise _bad(_("Enter a text to compare with."))
            out["value"] = text
        return out

    def q(self, account, cond, *, now):
        values = FriendFieldValue.objects.filter(
            friend_id=OuterRef("pk"), field_id=cond["field"]
        )
        op, value = cond["op"], cond["value"]
        if op == "unset":
            return ~Q(Exists(values))
        if op == "set":
            return Q(Exists(values))
        kind = cond["kind"]
        if kind == CustomField.Kind.NUMBER:
            lookup = {"eq": "exact", "gt": "gt", "lt": "lt"}[op]
            values = values.filter(**{f"value_number__{lookup}": Decimal(value)})
        elif kind == CustomField.Kind.DATE:
            lookup = {"eq": "exact", "before": "lt", "after": "gt"}[op]
            values = values.filter(
                **{f"value_date__{lookup}": dt.date.fromisoformat(value)}
            )
        elif op == "contains":
            values = values.filter(value_text__icontains=value)
        elif kind == CustomField.Kind.CHOICE:
            values = values.filter(value_text=value)
        else:
            values = values.filter(value_text__iexact=value)
        return Q(Exists(values))

    def describe(self, account, cond):
        name = (
            CustomField.objects.filter(account=account, pk=cond["field"])
            .values_list("name", flat=True)
            .first()
        )
        ops = {
            "eq": _("is"),
            "contains": _("contains"),
            "gt": _("is above"),
            "lt": _("is below"),
            "before": _("is before"),
            "after": _("is after"),
            "set": _("is set"),
            "unset": _("is not set"),
        }
        text = f"{name} {ops[cond['op']]}"
        return text if cond["value"] is None else f"{text} {cond['value']}"


def _clean_group(account, raw, depth: int, counter: list[int]) -> dict:
    if not isinstance(raw, dict):
        raise _bad(_("The audience could not be read."))
    match = raw.get("match", "all")
    if match not in MATCHES:
        raise _bad(_("The audience could not be read."))
    conditions = raw.get("conditions")
    if not isinstance(conditions, list) or not conditions:
        raise _bad(_("Add at least one condition to the audience."))
    out = []
    for item in conditions:
        if not isinstance(item, dict):
            raise _bad(_("The audience could not be read."))
        counter[0] += 1
        if counter[0] > MAX_CONDITIONS:
            raise _bad(
                _("An audience can have at most %(n)d conditions.")
                % {"n": MAX_CONDITIONS}
            )
        kind = item.get("type")
        if kind == "group":
            if depth >= MAX_DEPTH:
                raise _bad(_("Groups cannot be nested more than one level."))
            cleaned = _clean_group(account, item, depth + 1, counter)
            cleaned["type"] = "group"
        elif kind in CONDITIONS:
            cleaned = {"type": kind, **CONDITIONS[kind].clean(account, item)}
        else:
            raise _bad(_("The audience uses an unknown condition."))
        if item.get("negate"):
            cleaned["negate"] = True
        out.append(cleaned)
    return {"match": match, "conditions": out}


def segment_clean(*, account: OfficialAccount, definition) -> dict:
    """A normalised copy of ``definition``, or raise ``SegmentInvalid``.

    Ids are checked against ``account``: another account's tag, source,
    field or broadcast is reported as gone, exactly like a deleted one.
    """
    return _clean_group(account, definition, 1, [0])


def _group_q(account, group: dict, now, *, hashed: bool, joined: bool = True) -> Q:
    """``group`` as one ``Q``.

    ``joined``: every enclosing group is a plain AND, so a membership
    condition here can become a (anti-)semi-join. With ``hashed``, a
    membership condition anywhere else is written ``id IN (SELECT …)``,
    which PostgreSQL tests against a hash of the ids built once, instead of
    the correlated ``EXISTS`` it would plan as a subquery per friend.
    """
    alternatives = group["match"] == "any" and len(group["conditions"]) > 1
    parts = []
    for cond in group["conditions"]:
        inner = joined and not alternatives
        if cond["type"] == "group":
            q = _group_q(
                account,
                cond,
                now,
                hashed=hashed,
                joined=inner and not cond.get("negate"),
            )
        else:
            kind = CONDITIONS[cond["type"]]
            ids = (
                None if inner or not hashed else kind.friend_ids(account, cond, now=now)
            )
            q = kind.q(account, cond, now=now) if ids is None else Q(pk__in=ids)
        parts.append(~q if cond.get("negate") else q)
    combined = parts[0]
    for q in parts[1:]:
        combined = combined & q if group["match"] == "all" else combined | q
    return combined


def segment_uses_insights(definition) -> bool:
    """Whether ``definition`` has a condition marked ``insight``.

    Reads cleaned and raw definitions alike (unknown shapes are False;
    ``segment_clean`` refuses them on its own).
    """
    if not isinstance(definition, dict):
        return False
    for cond in definition.get("conditions") or []:
        if not isinstance(cond, dict):
            continue
        kind = cond.get("type")
        if kind == "group":
            if segment_uses_insights(cond):
                return True
        elif kind in CONDITIONS and CONDITIONS[kind].insight:
            return True
    return False


def segment_q(*, account: OfficialAccount, definition: dict | None, now) -> Q:
    """The cleaned ``definition`` as one ``Q`` on ``Friend`` (None: all).

    Membership conditions are correlated ``EXISTS``: what a fan-out batch
    (a range of a few thousand ids) needs, one index probe per friend.
    """
    if definition is None:
        return Q()
    return _group_q(account, definition, now, hashed=False)


def audience_friends(
    *, account: OfficialAccount, definition: dict | None, now, hashed: bool = False
) -> QuerySet:
    """Following friends of ``account`` in the audience (unordered).

    ``hashed`` writes membership conditions under OR/NOT as ``id IN
    (SELECT …)`` (the same friends; see ``audience_count``), for a query
    over the whole account; by default they are ``EXISTS`` (``segment_q``).
    """
    q = Q()
    if definition is not None:
        q = _group_q(account, definition, now, hashed=hashed)
    return (
        Friend.objects.filter(account=account, status=Friend.Status.FOLLOWING)
        .filter(q)
        .order_by()
    )


def audience_count(*, account: OfficialAccount, definition: dict | None, now) -> int:
    """How many following friends of ``account`` are in the audience.

    Exactly ``audience_friends(...).count()`` (the recipients the fan-out
    plans before a cap), written for one pass over the whole account: under
    OR and NOT a membership condition (tag, opened broadcast) becomes
    ``id IN (SELECT friend_id …)``, a set hashed once, instead of an
    ``EXISTS`` per friend; plain ANDs keep ``EXISTS`` (semi- and
    anti-joins). On PostgreSQL, for this statement only, JIT is off (its
    compilation took 0.3–0.7 s of a count that runs in less) and
    ``work_mem`` is 64 MB, so the planner can hash a set of up to about
    four million ids (it must fit ``work_mem × hash_mem_multiplier``, or
    PostgreSQL scans the set once per friend). Two queries on PostgreSQL;
    see docs/broadcasts.md, "Audience counts". The settings are
    transaction-local: inside a caller's transaction they hold to its end.
    """
    qs = audience_friends(account=account, definition=definition, now=now, hashed=True)
    if connection.vendor != "postgresql":
        return qs.count()
    # No savepoint: inside a caller's transaction the settings hold to its
    # end, which costs nothing and saves two round trips.
    with transaction.atomic(savepoint=False):
        count_settings()
        return qs.count()


def count_settings() -> None:
    """Set, for the rest of the transaction, what ``audience_count`` needs.

    PostgreSQL only: JIT off and ``COUNT_WORK_MEM`` (one query).
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('jit', 'off', true), set_config('work_mem', %s, true)",
            [COUNT_WORK_MEM],
        )


def segment_describe(*, account: OfficialAccount, definition: dict | None) -> str:
    """One line for people: ``Tag: vip AND Gender: Female``."""
    if definition is None:
        return _("All friends")
    return _describe_group(account, definition)


def _describe_group(account, group: dict) -> str:
    parts = []
    for cond in group["conditions"]:
        if cond["type"] == "group":
            text = f"({_describe_group(account, cond)})"
        else:
            kind = CONDITIONS[cond["type"]]
            text = f"{kind.label}: {kind.describe(account, cond)}"
        if cond.get("negate"):
            text = _("not %(condition)s") % {"condition": text}
        parts.append(text)
    word = _("AND") if group["match"] == "all" else _("OR")
    joiner = f" {word} "
    return joiner.join(parts)


def condition_catalogue(*, account: OfficialAccount) -> list[dict]:
    """What the page's audience builder offers (JSON-safe)."""
    out = []
    for kind in CONDITIONS.values():
        if not kind.builder:
            continue
        out.append(
            {
                "key": kind.key,
                "label": str(kind.label),
                "widget": kind.widget,
                "options": [list(o) for o in kind.options(account)],
                "groups": [
                    [str(label), codes] for label, codes in kind.option_groups()
                ],
            }
        )
    return out
