"""Business hours and the away message: at most once per off-hours period."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from freezegun import freeze_time

from accounts import quota
from chat.hours import off_hours_period_start
from chat.models import AwayMessageSent, BusinessHours, ChatSettings
from chat.services import chat_settings_update
from core.exceptions import ApplicationError
from messaging.store.models import Message
from tests.chat.factories import conversation_of, customer_says, make_friend
from tests.unchanged import assert_unchanged

TOKYO = ZoneInfo("Asia/Tokyo")
MON, TUE, WED, THU, FRI, SAT, SUN = range(7)
# Weekdays 10:00-12:00 and 13:00-18:00 (closed for lunch).
WEEKDAY_HOURS = [
    (day, start, end)
    for day in (MON, TUE, WED, THU, FRI)
    for start, end in ((600, 720), (780, 1080))
]
AWAY = "We are closed now and will answer from 10:00."


def tokyo(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TOKYO)


# --- Pure arithmetic (no database) --------------------------------------------


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        # 2026-03-02 is a Monday.
        (tokyo(2026, 3, 2, 9, 0), tokyo(2026, 2, 27, 18, 0)),  # since Friday
        (tokyo(2026, 3, 2, 10, 0), None),  # opening minute is open
        (tokyo(2026, 3, 2, 11, 59, 59), None),
        (tokyo(2026, 3, 2, 12, 0), tokyo(2026, 3, 2, 12, 0)),  # closing minute
        (tokyo(2026, 3, 2, 12, 30), tokyo(2026, 3, 2, 12, 0)),  # lunch
        (tokyo(2026, 3, 2, 13, 0), None),
        (tokyo(2026, 3, 2, 23, 0), tokyo(2026, 3, 2, 18, 0)),
        (tokyo(2026, 3, 3, 2, 0), tokyo(2026, 3, 2, 18, 0)),  # after midnight
        (tokyo(2026, 3, 8, 15, 0), tokyo(2026, 3, 6, 18, 0)),  # Sunday
    ],
)
def test_off_hours_period_start(at, expected):
    assert off_hours_period_start(WEEKDAY_HOURS, tz=TOKYO, at=at) == expected


def test_evening_until_midnight_joins_the_next_morning():
    """Fri 22:00-24:00 + Sat 00:00-02:00 is one open span over midnight."""
    hours = [(FRI, 1320, 1440), (SAT, 0, 120)]
    assert off_hours_period_start(hours, tz=TOKYO, at=tokyo(2026, 3, 7, 0, 0)) is None
    assert off_hours_period_start(hours, tz=TOKYO, at=tokyo(2026, 3, 7, 1, 0)) is None
    assert off_hours_period_start(hours, tz=TOKYO, at=tokyo(2026, 3, 7, 3, 0)) == tokyo(
        2026, 3, 7, 2, 0
    )


def test_hours_are_read_in_the_given_time_zone():
    """09:30 in Tokyo is 00:30 UTC: open 09:00-17:00 Tokyo time."""
    at = dt.datetime(2026, 3, 2, 0, 30, tzinfo=dt.UTC)
    assert off_hours_period_start([(MON, 540, 1020)], tz=TOKYO, at=at) is None
    new_york = ZoneInfo("America/New_York")
    # 2026-03-01 19:30 in New York is a Sunday: closed since Friday 17:00.
    assert off_hours_period_start([(FRI, 540, 1020)], tz=new_york, at=at) == (
        dt.datetime(2026, 2, 27, 17, 0, tzinfo=new_york)
    )


def test_no_intervals_means_closed_with_one_period_per_day():
    at = tokyo(2026, 3, 2, 15, 0)
    assert off_hours_period_start([], tz=TOKYO, at=at) == tokyo(2026, 3, 2, 0, 0)


# --- The away message ---------------------------------------------------------


def _configure(account, actor, *, hours=WEEKDAY_HOURS, enabled=True, away=True):
    return chat_settings_update(
        account=account,
        actor=actor,
        business_hours_enabled=enabled,
        away_message_enabled=away,
        away_message=AWAY,
        intervals=hours,
    )


def _away_texts(friend) -> list[str]:
    return list(
        Message.objects.filter(friend=friend, source=Message.Source.AWAY)
        .order_by("id")
        .values_list("text", flat=True)
    )


def _write_at(friend, when, text="Hello"):
    with freeze_time(when):
        customer_says(friend, text)


@pytest.mark.django_db
def test_away_message_is_sent_once_per_off_hours_period(account, alice):
    # given weekday hours with a lunch break
    _configure(account, alice)
    friend = make_friend(account)
    # when the customer writes before opening, twice
    _write_at(friend, tokyo(2026, 3, 2, 9, 0))
    _write_at(friend, tokyo(2026, 3, 2, 9, 30))
    # then one away message went out
    assert _away_texts(friend) == [AWAY]
    # when they write during opening hours
    _write_at(friend, tokyo(2026, 3, 2, 10, 30))
    assert _away_texts(friend) == [AWAY]
    # when they write during lunch, twice: a new period, one more message
    _write_at(friend, tokyo(2026, 3, 2, 12, 10))
    _write_at(friend, tokyo(2026, 3, 2, 12, 50))
    assert _away_texts(friend) == [AWAY, AWAY]
    # when they write in the evening and after midnight: one more period
    _write_at(friend, tokyo(2026, 3, 2, 19, 0))
    _write_at(friend, tokyo(2026, 3, 3, 1, 0))
    assert _away_texts(friend) == [AWAY, AWAY, AWAY]
    assert list(
        AwayMessageSent.objects.order_by("period_start").values_list(
            "period_start", flat=True
        )
    ) == [
        tokyo(2026, 2, 27, 18, 0),
        tokyo(2026, 3, 2, 12, 0),
        tokyo(2026, 3, 2, 18, 0),
    ]


@pytest.mark.django_db
def test_each_conversation_gets_its_own_away_message(account, alice):
    _configure(account, alice)
    ann, ben = make_friend(account, "Ann"), make_friend(account, "Ben")
    _write_at(ann, tokyo(2026, 3, 2, 20, 0))
    _write_at(ben, tokyo(2026, 3, 2, 20, 5))
    assert (_away_texts(ann), _away_texts(ben)) == ([AWAY], [AWAY])


@pytest.mark.django_db
def test_away_message_is_free_and_does_not_answer_the_customer(account, alice):
    """The away message costs no quota and does not end the waiting period."""
    # given a month whose limit is used up, and closed hours
    account.quota_override = 0
    account.save(update_fields=["quota_override"])
    usage = quota.usage_get(account=account)
    _configure(account, alice)
    friend = make_friend(account)
    # when a customer writes at night
    _write_at(friend, tokyo(2026, 3, 2, 21, 0))
    # then the away message went out, free of quota
    assert _away_texts(friend) == [AWAY]
    usage.refresh_from_db()
    assert (usage.used, usage.reserved) == (0, 0)
    # and the customer is still waiting for a person
    conversation = conversation_of(friend)
    assert conversation.waiting_since == tokyo(2026, 3, 2, 21, 0)
    assert conversation.response_times.count() == 0
    away = Message.objects.get(source=Message.Source.AWAY)
    assert (away.direction, away.sent_by) == (Message.Direction.OUTBOUND, None)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("enabled", "away"), [(False, True), (True, False), (False, False)]
)
def test_no_away_message_when_switched_off(account, alice, enabled, away):
    _configure(account, alice, enabled=enabled, away=away)
    friend = make_friend(account)
    _write_at(friend, tokyo(2026, 3, 2, 21, 0))
    assert _away_texts(friend) == []
    assert AwayMessageSent.objects.count() == 0


@pytest.mark.django_db
def test_no_away_message_without_settings(account):
    friend = make_friend(account)
    _write_at(friend, tokyo(2026, 3, 2, 21, 0))
    assert _away_texts(friend) == []


@pytest.mark.django_db
def test_always_closed_account_answers_once_a_day(account, alice):
    """Business hours on with no intervals: closed; one period per day."""
    _configure(account, alice, hours=[])
    friend = make_friend(account)
    _write_at(friend, tokyo(2026, 3, 2, 9, 0))
    _write_at(friend, tokyo(2026, 3, 2, 22, 0))
    _write_at(friend, tokyo(2026, 3, 3, 9, 0))
    assert _away_texts(friend) == [AWAY, AWAY]


# --- Settings validation --------------------------------------------------------


@pytest.mark.django_db
def test_settings_replace_the_intervals(account, alice):
    _configure(account, alice)
    chat_settings_update(
        account=account,
        actor=alice,
        business_hours_enabled=True,
        away_message_enabled=True,
        away_message="  Closed!  ",
        intervals=[(SAT, 540, 720), (MON, 600, 1440)],
    )
    assert list(
        BusinessHours.objects.filter(account=account).values_list(
            "weekday", "opens_minute", "closes_minute"
        )
    ) == [(MON, 600, 1440), (SAT, 540, 720)]
    assert ChatSettings.objects.get(account=account).away_message == "Closed!"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("intervals", "away_text", "field"),
    [
        ([(MON, 600, 720), (MON, 700, 800)], AWAY, "hours"),  # overlap
        ([(MON, 720, 600)], AWAY, "hours"),  # closes before it opens
        ([(MON, 600, 600)], AWAY, "hours"),  # empty interval
        ([(MON, 600, 1441)], AWAY, "hours"),  # past 24:00
        ([(MON, 600, 720)], "   ", "away_message"),  # away on, no text
        ([(MON, 600, 720)], "x" * 5001, "away_message"),
    ],
)
def test_bad_settings_are_refused_and_nothing_changes(
    account, alice, intervals, away_text, field
):
    # given saved weekday hours
    _configure(account, alice)
    # when alice saves bad settings
    with assert_unchanged(), pytest.raises(ApplicationError) as exc:
        chat_settings_update(
            account=account,
            actor=alice,
            business_hours_enabled=True,
            away_message_enabled=True,
            away_message=away_text,
            intervals=intervals,
        )
    # then the error names the field and the old settings stay
    assert list(exc.value.details) == [field]
    assert BusinessHours.objects.filter(account=account).count() == 10
    assert ChatSettings.objects.get(account=account).away_message == AWAY
