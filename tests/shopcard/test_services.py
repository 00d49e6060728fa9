"""The point ledger, milestones, completion, rank-up, validity, tickets."""

import datetime as dt

import pytest
from django.db.models import Sum
from django.utils import timezone
from freezegun import freeze_time

from accounts.models import AuditLog, MonthlyUsage
from core.exceptions import ApplicationError
from messaging.automation.models import Step, StepEnrollment, StepSequence
from messaging.friends.models import Friend
from messaging.store.models import Message
from shopcard.models import PointCard, PointCode, PointEntry, RewardTicket, ShopCard
from shopcard.services import (
    card_publish,
    card_save,
    point_card_get_or_create,
    points_scan,
    points_staff_change,
    reminders_send,
    ticket_use,
)
from tests.factories import FriendFactory
from tests.shopcard.factories import card_data, code, published_card
from tests.unchanged import assert_unchanged

pytestmark = pytest.mark.django_db


def _ledger_sum(friend) -> int:
    return (
        PointEntry.objects.filter(point_card__friend=friend).aggregate(s=Sum("delta"))[
            "s"
        ]
        or 0
    )


def test_scans_fill_the_card_issue_milestone_and_goal_tickets(account, alice):
    card = published_card(account, alice)
    friend = FriendFactory(account=account)
    qr = code(account, alice, points=1)
    result = points_scan(friend=friend, code=qr)
    assert (result.granted, result.tickets, result.completed) == (1, [], 0)
    result = points_scan(friend=friend, code=qr)
    assert [t.title for t in result.tickets] == ["Free cookie"]
    big = code(account, alice, points=4)
    result = points_scan(friend=friend, code=big)
    # 2 + 4 = 6: the goal (5) is reached, 1 point goes on to a new card.
    assert [t.title for t in result.tickets] == ["Free coffee"]
    assert result.completed == 1
    pc = PointCard.objects.get(friend=friend)
    assert (pc.points, pc.completed_count, pc.card_id) == (1, 1, card.pk)
    kinds = list(
        PointEntry.objects.filter(point_card=pc)
        .order_by("id")
        .values_list("kind", "delta", "balance")
    )
    assert kinds == [
        ("scan", 1, 1),
        ("scan", 1, 2),
        ("scan", 4, 6),
        ("complete", -5, 1),
    ]
    assert _ledger_sum(friend) == pc.points
    assert RewardTicket.objects.filter(friend=friend).count() == 2


def test_overflow_crosses_milestones_of_the_next_card(account, alice):
    published_card(
        account,
        alice,
        goal=3,
        rewards=[
            {"points": 1, "title": "Sticker", "validity_days": 10},
            {"points": 3, "title": "Coffee", "validity_days": 10},
        ],
    )
    friend = FriendFactory(account=account)
    result = points_scan(friend=friend, code=code(account, alice, points=7))
    # 7 points on a 3-point card: completed twice, 1 point left; the
    # milestone at 1 is crossed three times.
    assert result.completed == 2
    assert sorted(t.title for t in result.tickets) == [
        "Coffee",
        "Coffee",
        "Sticker",
        "Sticker",
        "Sticker",
    ]
    assert PointCard.objects.get(friend=friend).points == 1


def test_rank_up_moves_to_the_next_published_card(account, alice):
    first = published_card(
        account,
        alice,
        goal=2,
        rank_up=True,
        rewards=[
            {"points": 2, "title": "Coffee", "validity_days": 10},
        ],
    )
    silver = published_card(
        account,
        alice,
        name="Silver",
        goal=3,
        rewards=[
            {"points": 3, "title": "Cake", "validity_days": 10},
        ],
    )
    assert (first.rank, silver.rank) == (1, 2)
    friend = FriendFactory(account=account)
    points_scan(friend=friend, code=code(account, alice, points=3))
    pc = PointCard.objects.get(friend=friend)
    assert (pc.card_id, pc.points, pc.completed_count) == (silver.pk, 1, 1)


def test_welcome_bonus_once(account, alice):
    published_card(account, alice, welcome_points=2)
    friend = FriendFactory(account=account)
    pc = point_card_get_or_create(friend=friend)
    point_card_get_or_create(friend=friend)
    pc.refresh_from_db()
    assert pc.points == 2
    assert list(PointEntry.objects.values_list("kind", "delta")) == [("welcome", 2)]
    # The milestone at 2 was reached by the bonus.
    assert RewardTicket.objects.filter(friend=friend).count() == 1


def test_scan_limit_daily_and_hours(account, alice):
    published_card(account, alice, scan_limit="daily")
    friend = FriendFactory(account=account)
    qr = code(account, alice)
    with freeze_time("2026-05-01 01:00:00"):
        points_scan(friend=friend, code=qr)
        with assert_unchanged(), pytest.raises(ApplicationError) as error:
            points_scan(friend=friend, code=qr)
    assert error.value.message == "You already got points today. Come back tomorrow."
    assert _ledger_sum(friend) == 1
    with freeze_time("2026-05-02 01:00:00"):
        points_scan(friend=friend, code=qr)
    assert _ledger_sum(friend) == 2

    other = ShopCard.objects.get(account=account)
    ShopCard.objects.filter(pk=other.pk).update(scan_limit="hours", scan_limit_hours=3)
    with (
        freeze_time("2026-05-02 03:30:00"),
        assert_unchanged(),
        pytest.raises(ApplicationError) as error,
    ):
        points_scan(friend=friend, code=qr)
    assert error.value.message == (
        "You already got points. You can get points again in 31 minutes."
    )
    with freeze_time("2026-05-02 04:00:01"):
        points_scan(friend=friend, code=qr)
    assert _ledger_sum(friend) == 3


def test_bad_codes_are_refused_and_nothing_is_written(
    account, other_account, alice, charlie
):
    published_card(account, alice)
    published_card(other_account, charlie)
    friend = FriendFactory(account=account)
    theirs = code(other_account, charlie)
    with assert_unchanged(), pytest.raises(ApplicationError) as error:
        points_scan(friend=friend, code=theirs)
    assert error.value.message == "This point code is from another account."
    expired = code(account, alice)
    PointCode.objects.filter(pk=expired.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    expired.refresh_from_db()
    with assert_unchanged(), pytest.raises(ApplicationError) as error:
        points_scan(friend=friend, code=expired)
    assert error.value.message == "This point code has expired."
    once = code(account, alice, single_use=True)
    points_scan(friend=friend, code=once)
    other_friend = FriendFactory(account=account)
    with assert_unchanged(), pytest.raises(ApplicationError) as error:
        points_scan(friend=other_friend, code=once)
    assert error.value.message == "This point code has already been used."
    assert PointEntry.objects.count() == 1
    assert not PointCard.objects.filter(friend=other_friend).exists()
    blocked = FriendFactory(account=account, status=Friend.Status.BLOCKED)
    fresh = code(account, alice)
    with assert_unchanged(), pytest.raises(ApplicationError) as error:
        points_scan(friend=blocked, code=fresh)
    assert error.value.message == "Add this account as a friend to collect points."
    assert PointEntry.objects.count() == 1


def test_no_published_card_refuses(account, alice):
    card_save(
        account=account,
        actor=alice,
        data=card_data(),
        rewards=[{"points": 5, "title": "Coffee", "validity_days": 30}],
    )
    friend = FriendFactory(account=account)
    unpublished = code(account, alice)
    with assert_unchanged(), pytest.raises(ApplicationError) as error:
        points_scan(friend=friend, code=unpublished)
    assert error.value.message == "This account has no shop card."
    assert PointCard.objects.count() == 0


def test_staff_grant_and_revoke_with_reason(account, alice):
    published_card(
        account,
        alice,
        goal=10,
        rewards=[{"points": 10, "title": "Coffee", "validity_days": 30}],
    )
    friend = FriendFactory(account=account)
    points_staff_change(friend=friend, actor=alice, points=3, reason="Forgot the QR")
    points_staff_change(
        friend=friend, actor=alice, points=1, reason="Mistake", revoke=True
    )
    with assert_unchanged(), pytest.raises(ApplicationError) as error:
        points_staff_change(
            friend=friend, actor=alice, points=5, reason="Too many", revoke=True
        )
    assert error.value.message == "Only 2 points are on the card."
    for bad_points, bad_reason, message in [
        (0, "x", "Enter 1 to 100 points."),
        (101, "x", "Enter 1 to 100 points."),
        ("abc", "x", "Enter 1 to 100 points."),
        (1, "  ", "Give a reason of at most 200 characters."),
        (1, "x" * 201, "Give a reason of at most 200 characters."),
    ]:
        with assert_unchanged(), pytest.raises(ApplicationError) as error:
            points_staff_change(
                friend=friend, actor=alice, points=bad_points, reason=bad_reason
            )
        assert error.value.message == message
    pc = PointCard.objects.get(friend=friend)
    assert pc.points == 2 == _ledger_sum(friend)
    assert list(
        PointEntry.objects.order_by("id").values_list("kind", "delta", "reason")
    ) == [("staff", 3, "Forgot the QR"), ("revoke", -1, "Mistake")]
    assert list(
        AuditLog.objects.filter(action__startswith="shopcard.points")
        .order_by("id")
        .values_list("action", flat=True)
    ) == ["shopcard.points_grant", "shopcard.points_revoke"]


@pytest.mark.parametrize(
    "overrides,rewards,message",
    [
        ({"goal": 0}, None, "The goal is 1 to 50 points."),
        ({"goal": 51}, None, "The goal is 1 to 50 points."),
        ({"goal": "x"}, None, "The goal is 1 to 50 points."),
        ({"name": ""}, None, "Give the card a name of at most 40 characters."),
        ({"validity_months": 37}, None, "Validity is 0 to 36 months."),
        (
            {"welcome_points": 5},
            None,
            "The welcome bonus is 0 to 4 points (below the goal).",
        ),
        (
            {"welcome_points": -5},
            None,
            "The welcome bonus is 0 to 4 points (below the goal).",
        ),
        (
            {"scan_limit": "hours", "scan_limit_hours": 0},
            None,
            "Hours between scans are 1 to 72.",
        ),
        ({"scan_limit": "weekly"}, None, "Choose a scan limit."),
        ({"validity_basis": "never"}, None, "Choose how validity is counted."),
        ({"color": "red"}, None, "Choose a colour like #06c755."),
        (
            {},
            [{"points": 3, "title": "x", "validity_days": 1}],
            "Give the reward at the goal.",
        ),
        (
            {},
            [{"points": 6, "title": "x", "validity_days": 1}],
            "Each reward needs points between 1 and the goal.",
        ),
        (
            {},
            [{"points": 5, "title": "x", "validity_days": 0}],
            "A ticket is valid for 1 to 365 days.",
        ),
        (
            {},
            [{"points": 5, "title": "", "validity_days": 3}],
            "Give each reward a title of at most 60 characters.",
        ),
        (
            {},
            [
                {"points": 5, "title": "a", "validity_days": 3},
                {"points": 5, "title": "b", "validity_days": 3},
            ],
            "Two rewards are at the same points.",
        ),
    ],
)
def test_out_of_range_settings_are_refused(account, alice, overrides, rewards, message):
    with assert_unchanged(), pytest.raises(ApplicationError) as error:
        card_save(
            account=account,
            actor=alice,
            data=card_data(**overrides),
            rewards=rewards or [{"points": 5, "title": "Coffee", "validity_days": 30}],
        )
    assert error.value.message == message
    assert ShopCard.objects.count() == 0


def test_published_card_keeps_points_and_validity(account, alice):
    card = published_card(account, alice)
    card_save(
        account=account,
        actor=alice,
        card=card,
        data=card_data(name="Coffee club", goal=20, validity_months=1, color="#ff0000"),
        rewards=[{"points": 20, "title": "Other", "validity_days": 1}],
    )
    card.refresh_from_db()
    assert (card.name, card.goal, card.validity_months, card.color) == (
        "Coffee club",
        5,
        6,
        "#ff0000",
    )
    assert list(card.rewards.values_list("points", "title")) == [
        (2, "Free cookie"),
        (5, "Free coffee"),
    ]


def test_rank_two_is_published_after_rank_one(account, alice):
    first = card_save(
        account=account,
        actor=alice,
        data=card_data(),
        rewards=[{"points": 5, "title": "Coffee", "validity_days": 30}],
    )
    second = card_save(
        account=account,
        actor=alice,
        data=card_data(name="Gold"),
        rewards=[{"points": 5, "title": "Cake", "validity_days": 30}],
    )
    with assert_unchanged(), pytest.raises(ApplicationError) as error:
        card_publish(card=second, actor=alice)
    assert error.value.message == "Publish the card of the rank before this one first."
    card_publish(card=first, actor=alice)
    assert card_publish(card=second, actor=alice).is_published


def test_validity_from_first_use_vs_last_use(account, alice, other_account, charlie):
    published_card(
        account,
        alice,
        validity_basis="first_use",
        validity_months=1,
        goal=10,
        rewards=[{"points": 10, "title": "C", "validity_days": 5}],
    )
    published_card(
        other_account,
        charlie,
        validity_basis="last_use",
        validity_months=1,
        goal=10,
        rewards=[{"points": 10, "title": "C", "validity_days": 5}],
    )
    first = FriendFactory(account=account)
    last = FriendFactory(account=other_account)
    with freeze_time("2026-01-31 10:00:00"):
        points_scan(friend=first, code=code(account, alice))
        points_scan(friend=last, code=code(other_account, charlie))
    with freeze_time("2026-02-20 10:00:00"):
        points_scan(friend=first, code=code(account, alice))
        points_scan(friend=last, code=code(other_account, charlie))
    a = PointCard.objects.get(friend=first)
    b = PointCard.objects.get(friend=last)
    assert a.expires_at == dt.datetime(2026, 2, 28, 10, tzinfo=dt.UTC)
    assert b.expires_at == dt.datetime(2026, 3, 20, 10, tzinfo=dt.UTC)
    # After the first-use card expires, the next point starts again at 1.
    with freeze_time("2026-03-01 10:00:00"):
        points_scan(friend=first, code=code(account, alice))
        points_scan(friend=last, code=code(other_account, charlie))
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.points, b.points) == (1, 3)
    assert a.expires_at == dt.datetime(2026, 4, 1, 10, tzinfo=dt.UTC)
    assert list(
        PointEntry.objects.filter(point_card=a)
        .order_by("id")
        .values_list("kind", "delta")
    ) == [("scan", 1), ("scan", 1), ("expire", -2), ("scan", 1)]
    assert _ledger_sum(first) == 1


def test_ticket_used_once_with_staff_confirmation(account, alice):
    published_card(account, alice)
    friend = FriendFactory(account=account)
    ticket = points_scan(friend=friend, code=code(account, alice, points=2)).tickets[0]
    used = ticket_use(friend=friend, ticket_id=ticket.pk)
    assert used.status == "used"
    with assert_unchanged(), pytest.raises(ApplicationError) as error:
        ticket_use(friend=friend, ticket_id=ticket.pk)
    assert error.value.message == "This ticket has already been used."
    other = FriendFactory(account=account)
    with assert_unchanged(), pytest.raises(ApplicationError) as error:
        ticket_use(friend=other, ticket_id=ticket.pk)
    assert error.value.message == "This ticket does not exist."


def test_expired_ticket_cannot_be_used(account, alice):
    published_card(account, alice)
    friend = FriendFactory(account=account)
    ticket = points_scan(friend=friend, code=code(account, alice, points=2)).tickets[0]
    with (
        freeze_time(timezone.now() + dt.timedelta(days=31)),
        assert_unchanged(),
        pytest.raises(ApplicationError) as error,
    ):
        ticket_use(friend=friend, ticket_id=ticket.pk)
    assert error.value.message == "This ticket has expired."
    ticket.refresh_from_db()
    assert (ticket.status, ticket.used_at) == ("issued", None)


def test_expiry_reminders_free_of_quota_and_once(account, alice):
    published_card(
        account,
        alice,
        validity_months=1,
        goal=10,
        rewards=[
            {"points": 1, "title": "Cookie", "validity_days": 5},
            {"points": 10, "title": "Coffee", "validity_days": 5},
        ],
    )
    friend = FriendFactory(account=account)
    with freeze_time("2026-03-01 10:00:00"):
        points_scan(friend=friend, code=code(account, alice, points=2))
    with freeze_time("2026-03-02 10:00:00"):
        assert reminders_send() == 0
    with freeze_time("2026-03-04 11:00:00"):
        # The ticket expires on 03-06 10:00: within three days.
        assert reminders_send() == 1
        assert reminders_send() == 0
    with freeze_time("2026-03-25 11:00:00"):
        # The points expire on 04-01 10:00: within seven days.
        assert reminders_send() == 1
        assert reminders_send() == 0
    with freeze_time("2026-04-01 10:00:01"):
        assert reminders_send() == 1
    texts = list(
        Message.objects.filter(friend=friend, source=Message.Source.SHOPCARD)
        .order_by("id")
        .values_list("text", flat=True)
    )
    assert texts == [
        "Your ticket “Cookie” expires on 2026-03-06.",
        "2 points on your Coffee card expire on 2026-04-01.",
    ]
    pc = PointCard.objects.get(friend=friend)
    assert pc.points == 0 == _ledger_sum(friend)
    # Free of quota: no month's usage row was even made.
    assert not MonthlyUsage.objects.filter(account=account).exists()


def test_card_completed_starts_step_sequences(account, alice):
    sequence = StepSequence.objects.create(
        account=account, name="Thanks", trigger=StepSequence.Trigger.CARD_COMPLETED
    )
    Step.objects.create(
        sequence=sequence,
        position=1,
        delay_value=1,
        delay_unit="days",
        messages=[{"type": "text", "text": "Thanks!"}],
    )
    published_card(account, alice)
    friend = FriendFactory(account=account)
    points_scan(friend=friend, code=code(account, alice, points=4))
    assert not StepEnrollment.objects.filter(friend=friend).exists()
    points_scan(friend=friend, code=code(account, alice, points=1))
    assert StepEnrollment.objects.filter(friend=friend, sequence=sequence).count() == 1
