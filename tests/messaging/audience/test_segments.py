"""Segments compile to queries that select exactly the right friends.

The ``crowd`` fixture (tests/messaging/conftest.py) is six friends of Demo
Café with known attributes; Cai has blocked the account, so no segment
ever selects her.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Q

from messaging.audience import conditions as segments
from messaging.audience.conditions import (
    CONDITIONS,
    Condition,
    SegmentInvalid,
    audience_friends,
    segment_clean,
    segment_describe,
)
from messaging.friends.services import custom_field_create, friend_fields_set

TOKYO = ZoneInfo("Asia/Tokyo")
NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=TOKYO)


def names(account, definition, now=NOW) -> set[str]:
    cleaned = (
        None
        if definition is None
        else segment_clean(account=account, definition=definition)
    )
    qs = audience_friends(account=account, definition=cleaned, now=now)
    return set(qs.values_list("line_user__display_name", flat=True))


def one(condition: dict, match: str = "all") -> dict:
    return {"match": match, "conditions": [condition]}


def test_no_definition_is_every_following_friend(account, crowd):
    assert names(account, None) == {"Ann", "Ben", "Dan", "Eve", "Fay"}


@pytest.mark.parametrize(
    ("tags", "expected"),
    [(["vip"], {"Ann"}), (["regular"], {"Dan"}), (["vip", "regular"], {"Ann", "Dan"})],
)
def test_tag_condition_matches_any_listed_tag_and_never_blocked(
    account, crowd, tags, expected
):
    values = [crowd[t].pk for t in tags]
    assert names(account, one({"type": "tag", "values": values})) == expected


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"type": "gender", "values": ["female"]}, {"Ann", "Eve"}),
        ({"type": "gender", "values": ["male", "unknown"]}, {"Ben", "Dan", "Fay"}),
        ({"type": "age", "values": ["lt20"]}, {"Ann"}),
        ({"type": "age", "values": ["20_24", "60_64"]}, {"Ben", "Fay"}),
        ({"type": "age", "values": ["65plus", "unknown"]}, {"Eve", "Dan"}),
        ({"type": "region", "values": ["jp_13", "jp_01"]}, {"Ann", "Eve"}),
        ({"type": "os", "values": ["android"]}, {"Ben"}),
    ],
)
def test_attribute_conditions(account, crowd, condition, expected):
    assert names(account, one(condition)) == expected


def test_source_condition_with_and_without_a_source(account, crowd):
    flyer = crowd["flyer"].pk
    assert names(account, one({"type": "source", "values": [flyer]})) == {
        "Ann",
        "Dan",
    }
    assert names(account, one({"type": "source", "values": [None]})) == {
        "Eve",
        "Fay",
    }


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        # 30 days before 10 March 12:00 is 8 February 12:00.
        ({"min_days": 30, "max_days": None}, {"Ann", "Ben", "Dan"}),
        ({"min_days": None, "max_days": 30}, {"Eve", "Fay"}),
        ({"min_days": 20, "max_days": 40}, {"Dan", "Eve"}),
    ],
)
def test_friend_period_counts_days_back_from_send_time(
    account, crowd, condition, expected
):
    definition = one({"type": "friend_period", **condition})
    assert names(account, definition) == expected


def test_and_or_negation_and_groups(account, crowd):
    vip = crowd["vip"].pk
    female_ios = {
        "match": "all",
        "conditions": [
            {"type": "gender", "values": ["female"]},
            {"type": "os", "values": ["ios"]},
        ],
    }
    male_or_hokkaido = {
        "match": "any",
        "conditions": [
            {"type": "gender", "values": ["male"]},
            {"type": "region", "values": ["jp_01"]},
        ],
    }
    not_vip = one({"type": "tag", "values": [vip], "negate": True})
    female_and_group = {
        "match": "all",
        "conditions": [
            {"type": "gender", "values": ["female"]},
            {
                "type": "group",
                "match": "any",
                "conditions": [
                    {"type": "tag", "values": [vip]},
                    {"type": "region", "values": ["jp_01"]},
                ],
            },
        ],
    }
    assert names(account, female_ios) == {"Ann", "Eve"}
    assert names(account, male_or_hokkaido) == {"Ben", "Eve", "Fay"}
    assert names(account, not_vip) == {"Ben", "Dan", "Eve", "Fay"}
    assert names(account, female_and_group) == {"Ann", "Eve"}


def test_custom_field_conditions(account, alice, crowd):
    points = custom_field_create(
        account=account, actor=alice, name="points", kind="number"
    )
    birthday = custom_field_create(
        account=account, actor=alice, name="birthday", kind="date"
    )
    for who, value in (("ann", "10"), ("ben", "25.5"), ("eve", "3")):
        friend_fields_set(
            account=account, actor=alice, friend=crowd[who], values={points.pk: value}
        )
    friend_fields_set(
        account=account,
        actor=alice,
        friend=crowd["dan"],
        values={birthday.pk: "1990-05-01"},
    )

    def field(op, value=None, f=points):
        return one({"type": "custom_field", "field": f.pk, "op": op, "value": value})

    assert names(account, field("gt", "5")) == {"Ann", "Ben"}
    assert names(account, field("eq", "10")) == {"Ann"}
    assert names(account, field("lt", "10")) == {"Eve"}
    assert names(account, field("set")) == {"Ann", "Ben", "Eve"}
    assert names(account, field("unset")) == {"Dan", "Fay"}
    assert names(account, field("before", "2000-01-01", birthday)) == {"Dan"}


def test_a_segment_is_counted_in_one_query(account, crowd, django_assert_num_queries):
    definition = segment_clean(
        account=account,
        definition={
            "match": "all",
            "conditions": [
                {"type": "tag", "values": [crowd["vip"].pk, crowd["regular"].pk]},
                {"type": "gender", "values": ["female", "unknown"]},
                {"type": "friend_period", "min_days": 1, "max_days": None},
            ],
        },
    )
    with django_assert_num_queries(1):
        count = audience_friends(
            account=account, definition=definition, now=NOW
        ).count()
    assert count == 2  # Ann and Dan


def test_the_count_hashes_memberships_under_or_and_not_only(
    account, crowd, django_assert_num_queries
):
    """Under a plain AND a tag is a semi-join (EXISTS); under OR, or in a
    negated group, it is ``id IN (SELECT …)``; the friends are the same."""
    vip, regular = crowd["vip"].pk, crowd["regular"].pk
    definition = segment_clean(
        account=account,
        definition={
            "match": "all",
            "conditions": [
                {"type": "tag", "values": [regular], "negate": True},
                {
                    "type": "group",
                    "match": "any",
                    "conditions": [
                        {"type": "tag", "values": [vip]},
                        {"type": "os", "values": ["android"]},
                    ],
                },
            ],
        },
    )
    # when counted for the composer (one SET, one count)
    with django_assert_num_queries(2) as captured:
        count = segments.audience_count(account=account, definition=definition, now=NOW)
    # then Ann (vip) and Ben (Android) are in, from the hashed form
    assert count == 2
    sql = captured.captured_queries[-1]["sql"]
    assert sql.count("NOT (EXISTS(") == 1
    assert sql.count('"messaging_friend"."id" IN (SELECT') == 1
    assert set(
        audience_friends(account=account, definition=definition, now=NOW).values_list(
            "line_user__display_name", flat=True
        )
    ) == {"Ann", "Ben"}


@pytest.mark.parametrize(
    ("definition", "message"),
    [
        ({"match": "all", "conditions": []}, "Add at least one condition"),
        (one({"type": "gender", "values": []}), "Choose at least one value"),
        (one({"type": "gender", "values": ["robot"]}), "invalid value"),
        (one({"type": "shoe_size", "values": [42]}), "unknown condition"),
        (one({"type": "friend_period", "min_days": 9, "max_days": 3}), "above"),
        ({"match": "most", "conditions": [{"type": "os", "values": ["ios"]}]}, "read"),
        ("not json at all", "could not be read"),
    ],
)
def test_invalid_definitions_are_refused_with_a_reason(
    account, crowd, definition, message
):
    with pytest.raises(SegmentInvalid) as excinfo:
        segment_clean(account=account, definition=definition)
    assert message in excinfo.value.message


def test_ids_of_another_account_are_reported_as_gone(account, crowd):
    """Charlie's tag looks like a deleted tag to Demo Café (no leak)."""
    with pytest.raises(SegmentInvalid) as excinfo:
        segment_clean(
            account=account,
            definition=one({"type": "tag", "values": [crowd["other_tag"].pk]}),
        )
    assert excinfo.value.message == "A tag in the audience no longer exists."


def test_groups_nest_one_level_only(account, crowd):
    inner = {
        "type": "group",
        "match": "any",
        "conditions": [{"type": "os", "values": ["ios"]}],
    }
    middle = {"type": "group", "match": "any", "conditions": [inner]}
    with pytest.raises(SegmentInvalid):
        segment_clean(
            account=account, definition={"match": "all", "conditions": [middle]}
        )


def test_describe_reads_like_the_conditions(account, crowd):
    definition = segment_clean(
        account=account,
        definition={
            "match": "any",
            "conditions": [
                {"type": "tag", "values": [crowd["vip"].pk]},
                {"type": "gender", "values": ["male"], "negate": True},
            ],
        },
    )
    assert segment_describe(account=account, definition=definition) == (
        "Tag: vip OR not Gender: Male"
    )


def test_new_condition_types_plug_into_the_registry(account, crowd):
    """A later filter (e.g. shop-card points) is one registered class."""

    @segments.register
    class NameStartsWith(Condition):
        key = "name_starts"
        label = "Name starts with"

        def clean(self, account, raw):
            return {"prefix": str(raw["prefix"])}

        def q(self, account, cond, *, now):
            return Q(line_user__display_name__startswith=cond["prefix"])

        def describe(self, account, cond):
            return cond["prefix"]

    try:
        assert names(account, one({"type": "name_starts", "prefix": "E"})) == {"Eve"}
    finally:
        del CONDITIONS["name_starts"]
