"""Daily rollups (issue 12): exact totals, Tokyo days, idempotent, backfill."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from analytics.models import (
    DailyChat,
    DailyFriends,
    DailyFriendSource,
    DailyMessages,
    RollupCursor,
)
from analytics.rollups import rollup_days, rollup_due
from chat.models import Conversation, ResponseTime
from messaging.friends.models import Friend
from messaging.store.models import Message
from tests.messaging.factories import FriendSourceFactory, make_friend
from tests.unchanged import assert_unchanged

pytestmark = pytest.mark.django_db

UTC = dt.UTC
DAY = dt.date(2026, 3, 2)  # a Monday; Tokyo midnight is 03-01 15:00 UTC
START = dt.datetime(2026, 3, 1, 15, 0, tzinfo=UTC)


def at(hours: float) -> dt.datetime:
    """``hours`` after the start of DAY in Tokyo."""
    return START + dt.timedelta(hours=hours)


def _send(friend, source, when, bubbles=1):
    for i in range(bubbles):
        Message.objects.create(
            account=friend.account,
            friend=friend,
            direction="out",
            source=source,
            type="text",
            payload={"type": "text", "text": f"b{i}"},
            text=f"b{i}",
            created_at=when,
        )


@pytest.fixture
def day_of_activity(account):
    """A known day: 3 added (1 via a flyer), 1 blocked, 1 unblocked."""
    flyer = FriendSourceFactory(account=account, name="flyer", code="flyer0001")
    old = make_friend(account, since=at(-48))
    make_friend(account, since=at(-0.5))  # the evening before, Tokyo
    make_friend(account, since=at(1), source=flyer)
    new = make_friend(account, since=at(5))
    make_friend(account, since=at(23.5), gender="unknown")  # not targetable
    make_friend(account, since=at(24.5))  # the next day
    Friend.objects.filter(pk=old.pk).update(status="blocked", blocked_at=at(2))
    back = make_friend(account, since=at(-72))
    Friend.objects.filter(pk=back.pk).update(blocked_at=at(-30), unblocked_at=at(3))
    # messages: a broadcast of 2 bubbles to 2 friends, a push, a reply
    _send(new, "broadcast", at(6), bubbles=2)
    _send(back, "broadcast", at(6), bubbles=2)
    _send(new, "api_push", at(7))
    _send(new, "api_push", at(8))
    _send(new, "api_reply", at(9))
    _send(new, "chat", at(30))  # the next day
    return {"flyer": flyer, "new": new}


def test_a_day_is_rolled_into_exact_totals(account, day_of_activity):
    assert rollup_days(account=account, first=DAY, last=DAY) == 1
    friends = DailyFriends.objects.get(account=account, day=DAY)
    assert (friends.added, friends.blocked, friends.unblocked) == (3, 1, 1)
    # following at the end of the day: all but the blocked one and the
    # next day's; target reach leaves out the friend of unknown gender
    assert (friends.following, friends.blocked_total) == (5, 1)
    assert friends.target_reach == 4
    sources = {
        (r.source_id, r.source_name, r.added)
        for r in DailyFriendSource.objects.filter(account=account, day=DAY)
    }
    assert sources == {(0, "", 2), (day_of_activity["flyer"].pk, "flyer", 1)}
    messages = {
        r.source: (r.bubbles, r.deliveries, r.counted)
        for r in DailyMessages.objects.filter(account=account, day=DAY)
    }
    assert messages == {
        "broadcast": (4, 2, 2),
        "api_push": (2, 2, 2),
        "api_reply": (1, 1, 0),
    }


def _snapshot() -> list[list[dict]]:
    """Every rollup row without its id (a re-run replaces rows)."""
    return [
        sorted(
            (
                {k: v for k, v in row.items() if k != "id"}
                for row in model.objects.values()
            ),
            key=repr,
        )
        for model in (DailyFriends, DailyFriendSource, DailyMessages, DailyChat)
    ]


def test_rolling_again_changes_nothing(account, day_of_activity):
    rollup_days(account=account, first=DAY, last=DAY)
    before = _snapshot()
    assert sum(len(rows) for rows in before) == 1 + 2 + 3 + 1
    rollup_days(account=account, first=DAY, last=DAY)
    assert _snapshot() == before


def test_chat_day_counts_answers_and_percentiles(account, alice):
    friend = make_friend(account, since=at(-100))
    conversation = Conversation.objects.create(
        account=account,
        friend=friend,
        last_message_at=at(1),
        last_customer_message_at=at(1),
        created_at=at(1),
    )
    for seconds in (30, 60, 90, 120, 600):
        ResponseTime.objects.create(
            account=account,
            conversation=conversation,
            waiting_since=at(2),
            responded_at=at(2) + dt.timedelta(seconds=seconds),
            seconds=seconds,
            responder=alice,
        )
    rollup_days(account=account, first=DAY, last=DAY)
    chat = DailyChat.objects.get(account=account, day=DAY)
    assert (chat.started, chat.responses) == (1, 5)
    assert (chat.response_p50_seconds, chat.response_p90_seconds) == (90, 600)


def test_the_beat_task_rolls_up_to_yesterday_and_remembers(account, day_of_activity):
    now = at(24 * 3 + 1)  # DAY + 3, 01:00 Tokyo → yesterday is DAY + 2
    totals = rollup_due(now=now)
    assert totals["accounts"] >= 1
    cursor = RollupCursor.objects.get(account=account)
    assert cursor.through == DAY + dt.timedelta(days=2)
    # the first run starts at the first friend (three days before DAY)
    days = set(
        DailyFriends.objects.filter(account=account).values_list("day", flat=True)
    )
    assert min(days) == DAY - dt.timedelta(days=3)
    assert max(days) == DAY + dt.timedelta(days=2)
    # a run later the same day rolls only the cursor's day again
    count = DailyFriends.objects.count()
    rollup_due(now=now + dt.timedelta(hours=2))
    assert DailyFriends.objects.count() == count


def test_rebuild_command_backfills_a_range_and_refuses_bad_input(
    account, day_of_activity
):
    out = StringIO()
    call_command(
        "analytics_rebuild", "--from", "2026-03-01", "--to", "2026-03-03", stdout=out
    )
    assert "rolled 3 account-days" in out.getvalue()
    assert DailyFriends.objects.filter(account=account).count() == 3
    for args in (
        ["--from", "2026-03-05", "--to", "2026-03-01"],
        ["--from", "2026-02-30", "--to", "2026-03-01"],
        ["--from", "2026-03-01", "--to", "2026-03-02", "--account", "@nosuch"],
    ):
        with assert_unchanged(), pytest.raises(CommandError):
            call_command("analytics_rebuild", *args, stdout=StringIO())
    assert DailyFriends.objects.filter(account=account).count() == 3


def test_the_beat_task_refreshes_attribute_shares_at_most_every_6_hours(account):
    from analytics.models import DemographicSnapshot

    for _ in range(20):
        make_friend(account, gender="female", since=at(-10))
    now = at(24 * 3)
    rollup_due(now=now)
    first = DemographicSnapshot.objects.get(account=account)
    assert first.computed_at == now
    assert first.dashboard["gender"] == [["female", 20, 100.0]]
    assert first.insight["available"] is True
    rollup_due(now=now + dt.timedelta(hours=5))
    assert DemographicSnapshot.objects.get(account=account).computed_at == now
    rollup_due(now=now + dt.timedelta(hours=7))
    assert DemographicSnapshot.objects.get(account=account).computed_at == (
        now + dt.timedelta(hours=7)
    )
