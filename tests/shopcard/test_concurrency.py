"""Real PostgreSQL races: scans at once, double ticket use; pinned queries."""

import threading

import pytest
from django.db import connection
from django.db.models import Sum

from core.exceptions import ApplicationError
from messaging.friends.models import Friend
from shopcard.models import PointCard, PointCode, PointEntry, RewardTicket
from shopcard.services import points_scan, ticket_use
from tests.factories import FriendFactory, UserFactory, make_account
from tests.shopcard.factories import code, published_card


def _race(n: int, action) -> tuple[list, list]:
    barrier = threading.Barrier(n)
    done, refused = [], []
    lock = threading.Lock()

    def worker(i):
        try:
            barrier.wait()
            try:
                result = action(i)
            except ApplicationError as error:
                with lock:
                    refused.append(error.message)
            else:
                with lock:
                    done.append(result)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return done, refused


@pytest.mark.django_db(transaction=True)
def test_two_scans_at_once_count_once_within_the_limit():
    admin = UserFactory(username="racer")
    account = make_account(admin=admin, name="Race")
    published_card(account, admin, scan_limit="daily")
    friend = FriendFactory(account=account)
    qr = code(account, admin, points=1)

    def scan(_i):
        fresh = Friend.objects.select_related("account").get(pk=friend.pk)
        return points_scan(friend=fresh, code=PointCode.objects.get(pk=qr.pk))

    # The card does not exist yet: both requests race to create it too.
    done, refused = _race(2, scan)
    assert len(done) == 1
    assert refused == ["You already got points today. Come back tomorrow."]
    assert PointCard.objects.get(friend=friend).points == 1
    assert PointEntry.objects.aggregate(s=Sum("delta"))["s"] == 1


@pytest.mark.django_db(transaction=True)
def test_single_use_code_scanned_by_eight_friends_counts_once():
    admin = UserFactory(username="racer")
    account = make_account(admin=admin, name="Race")
    published_card(account, admin)
    friends = [FriendFactory(account=account) for _ in range(8)]
    qr = code(account, admin, points=1, single_use=True)

    def scan(i):
        fresh = Friend.objects.select_related("account").get(pk=friends[i].pk)
        return points_scan(friend=fresh, code=PointCode.objects.get(pk=qr.pk))

    done, refused = _race(8, scan)
    assert len(done) == 1
    assert refused == ["This point code has already been used."] * 7
    assert PointEntry.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_ticket_used_from_two_devices_at_once_succeeds_once():
    admin = UserFactory(username="racer")
    account = make_account(admin=admin, name="Race")
    published_card(account, admin)
    friend = FriendFactory(account=account)
    ticket = points_scan(friend=friend, code=code(account, admin, points=2)).tickets[0]

    done, refused = _race(2, lambda _i: ticket_use(friend=friend, ticket_id=ticket.pk))
    assert len(done) == 1
    assert refused == ["This ticket has already been used."]
    ticket.refresh_from_db()
    assert ticket.status == RewardTicket.Status.USED


@pytest.mark.django_db
def test_granting_a_point_is_a_constant_number_of_queries(
    account, alice, django_assert_num_queries
):
    published_card(
        account,
        alice,
        goal=50,
        rewards=[{"points": 50, "title": "Coffee", "validity_days": 30}],
    )
    qr = code(account, alice, points=1)
    friends = [
        Friend.objects.select_related("account").get(
            pk=FriendFactory(account=account).pk
        )
        for _ in range(3)
    ]
    for friend in friends:
        points_scan(friend=friend, code=qr)  # the card exists from here on
    # Savepoint, lock the card, the card's rewards, the ledger line, the
    # balance, release: the same for every friend and every point.
    for friend in friends:
        for _ in range(3):
            with django_assert_num_queries(6):
                points_scan(friend=friend, code=qr)
    assert PointCard.objects.filter(points=4).count() == 3
