"""Keyword auto-responses: precedence, windows, normalisation, free."""

import datetime as dt

import pytest
from freezegun import freeze_time

from chat.inbound import customer_message_send
from core.exceptions import ApplicationError
from messaging.automation.services import autoresponse_reply, autoresponse_save
from messaging.store.models import Message
from tests.messaging.broadcasts.helpers import text, usage_pair
from tests.unchanged import assert_unchanged


@pytest.fixture
def rules(account, alice):
    def rule(name, match, keywords=(), position=0, **kwargs):
        return autoresponse_save(
            account=account,
            actor=alice,
            name=name,
            match=match,
            keywords=list(keywords),
            messages=[text(f"reply from {name}")],
            position=position,
            **kwargs,
        )

    return {
        "partial": rule("partial coffee", "partial", ["coffee"]),
        "exact": rule("exact menu", "exact", ["coffee menu", "menu"], position=5),
        "catch_all": rule("catch-all", "catch_all"),
        "hours": rule(
            "opening hours",
            "partial",
            ["open"],
            active_from=dt.time(9, 0),
            active_to=dt.time(18, 0),
        ),
        "night": rule(
            "night owl",
            "exact",
            ["hello"],
            active_from=dt.time(22, 0),
            active_to=dt.time(6, 0),
        ),
    }


def reply(friend, text_value) -> list[str]:
    return [m.text for m in autoresponse_reply(friend=friend, text=text_value)]


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("coffee menu", "reply from exact menu"),  # exact beats partial
        ("Coffee MENU", "reply from exact menu"),  # case-insensitive
        ("ＣＯＦＦＥＥ　ｍｅｎｕ", "reply from exact menu"),  # full-width
        ("iced coffee please", "reply from partial coffee"),  # partial beats catch-all
        ("menu please", "reply from catch-all"),  # exact needs the whole text
        ("こんにちは", "reply from catch-all"),
    ],
)
def test_precedence_exact_then_partial_then_catch_all(
    account, crowd, rules, message, expected
):
    with freeze_time("2026-11-24 12:00:00+09:00"):
        assert reply(crowd["ann"], message) == [expected]


@pytest.mark.parametrize(
    ("clock", "message", "expected"),
    [
        ("2026-11-24 10:00:00+09:00", "are you open?", "reply from opening hours"),
        ("2026-11-24 20:00:00+09:00", "are you open?", "reply from catch-all"),
        # the 22:00–06:00 window wraps midnight (account time zone: Tokyo)
        ("2026-11-24 23:30:00+09:00", "hello", "reply from night owl"),
        ("2026-11-24 05:59:00+09:00", "hello", "reply from night owl"),
        ("2026-11-24 06:00:00+09:00", "hello", "reply from catch-all"),
    ],
)
def test_active_time_windows(account, crowd, rules, clock, message, expected):
    with freeze_time(clock):
        assert reply(crowd["ann"], message) == [expected]


def test_within_a_kind_the_lowest_position_wins(account, alice, crowd, rules):
    autoresponse_save(
        account=account,
        actor=alice,
        name="iced first",
        match="partial",
        keywords=["iced"],
        messages=[text("reply from iced first")],
        position=0,
    )
    autoresponse_save(
        account=account,
        actor=alice,
        name="partial coffee",
        match="partial",
        keywords=["coffee"],
        messages=[text("reply from partial coffee")],
        position=3,
        rule=rules["partial"],
    )
    with freeze_time("2026-11-24 12:00:00+09:00"):
        assert reply(crowd["ann"], "iced coffee?") == ["reply from iced first"]


def test_replies_are_free_and_stored_as_auto_responses(account, crowd, rules):
    with freeze_time("2026-11-24 12:00:00+09:00"):
        rows = autoresponse_reply(friend=crowd["ann"], text="menu")
    assert [(m.source, m.direction) for m in rows] == [("auto_response", "out")]
    assert usage_pair(account) == (0, 0)


def test_no_reply_without_rules_to_blocked_friends_or_when_off(account, alice, crowd):
    assert reply(crowd["ann"], "anything") == []
    rule = autoresponse_save(
        account=account,
        actor=alice,
        name="all",
        match="catch_all",
        keywords=[],
        messages=[text("hi")],
    )
    assert reply(crowd["cai"], "anything") == []  # Cai blocked the account
    autoresponse_save(
        account=account,
        actor=alice,
        name="all",
        match="catch_all",
        keywords=[],
        messages=[text("hi")],
        is_active=False,
        rule=rule,
    )
    assert reply(crowd["ann"], "anything") == []
    assert not Message.objects.filter(source="auto_response").exists()


def test_customer_message_then_reply_in_the_talk_room(account, crowd, rules):
    """A customer's text through the door gets its auto-response once."""
    with freeze_time("2026-11-24 12:00:00+09:00"):
        customer_message_send(
            friend=crowd["ann"], message={"type": "text", "text": "menu"}
        )
    room = list(
        Message.objects.filter(friend=crowd["ann"])
        .order_by("id")
        .values_list("direction", "text")
    )
    assert room == [("in", "menu"), ("out", "reply from exact menu")]


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"match": "exact", "keywords": []}, "Add at least one keyword."),
        ({"match": "fuzzy", "keywords": ["a"]}, "Choose how keywords match."),
        (
            {"match": "partial", "keywords": ["a"], "active_from": dt.time(9)},
            "Give both ends of the active time window, or neither.",
        ),
        (
            {"match": "partial", "keywords": ["a"], "messages": [text("a")] * 4},
            "A broadcast can have at most 3 bubbles.",
        ),
    ],
)
def test_bad_rules_are_refused(account, alice, kwargs, error):
    kwargs = {"messages": [text("x")], **kwargs}
    # when the rule is saved, then it is refused and nothing is written
    with assert_unchanged(), pytest.raises(ApplicationError) as excinfo:
        autoresponse_save(account=account, actor=alice, name="r", **kwargs)
    assert excinfo.value.message == error


def _save(account, alice, **kwargs):
    fields = {
        "name": "new rule",
        "match": "partial",
        "keywords": ["coffee"],
        "messages": [text("again")],
    }
    return autoresponse_save(account=account, actor=alice, **{**fields, **kwargs})


@pytest.mark.parametrize(
    "kwargs",
    [
        {"keywords": ["ＣＯＦＦＥＥ"]},  # the same keyword, full-width
        {"match": "exact", "keywords": ["latte", "Coffee"]},  # another match kind
        {"keywords": ["coffee"], "active_from": dt.time(9), "active_to": dt.time(10)},
    ],
)
def test_a_keyword_an_active_rule_answers_is_refused(account, alice, rules, kwargs):
    """Only the first of two such rules would ever answer (LINE refuses)."""
    with assert_unchanged(), pytest.raises(ApplicationError) as error:
        _save(account, alice, **kwargs)
    assert error.value.details == {
        "keywords": (
            "The active rule “partial coffee” already answers “"
            + kwargs["keywords"][-1]
            + "” at these times. Use another keyword, turn one rule off, or give "
            "them time windows that do not overlap."
        )
    }


def test_a_second_active_catch_all_is_refused(account, alice, rules):
    with assert_unchanged(), pytest.raises(ApplicationError) as error:
        _save(account, alice, match="catch_all", keywords=[])
    assert error.value.message == (
        "The active rule “catch-all” already answers every other message at "
        "these times."
    )


def test_the_same_keyword_is_fine_when_off_or_at_other_times(account, alice, rules):
    # "open" answers 09:00-18:00; the evening rule takes over after it
    evening = _save(
        account,
        alice,
        keywords=["open"],
        active_from=dt.time(18),
        active_to=dt.time(21),
    )
    off = _save(account, alice, name="off", is_active=False)
    # saving a rule again does not conflict with itself
    again = _save(
        account, alice, name="partial coffee", rule=rules["partial"], position=2
    )
    assert (evening.keywords, off.is_active, again.position) == (["open"], False, 2)
