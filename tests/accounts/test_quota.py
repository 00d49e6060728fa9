import datetime as dt
import threading
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction
from freezegun import freeze_time

from accounts import quota, services
from accounts.models import MonthlyUsage, OfficialAccount, Plan
from tests.factories import UserFactory, make_account
from tests.unchanged import assert_unchanged

TOKYO = ZoneInfo("Asia/Tokyo")


@pytest.fixture
def comm_account(alice):
    return make_account(admin=alice, name="Comm", plan_code="communication")


def _usage(account) -> MonthlyUsage:
    return MonthlyUsage.objects.get(account=account, month=quota.month_start(account))


def test_reserve_commit_release_move_counts_exactly(comm_account):
    # given a Communication account (200 messages a month)
    # when 150 are reserved, 120 of them sent and the rest released
    reservation = quota.quota_reserve(account=comm_account, count=150)
    quota.quota_commit(reservation=reservation, count=120)
    quota.quota_release(reservation=reservation, count=30)
    # then
    usage = _usage(comm_account)
    assert (usage.used, usage.reserved, usage.limit) == (120, 0, 200)
    assert usage.remaining == 80


def test_reserve_past_the_limit_names_plan_limit_and_remainder(comm_account):
    quota.quota_consume(account=comm_account, count=180)
    with assert_unchanged(), pytest.raises(quota.QuotaExceeded) as excinfo:
        quota.quota_reserve(account=comm_account, count=21)
    assert excinfo.value.message == (
        "The Communication plan allows 200 messages this month "
        "(left: 20, requested: 21)."
    )
    usage = _usage(comm_account)
    assert (usage.used, usage.reserved) == (180, 0)


def test_reserving_exactly_the_remainder_succeeds(comm_account):
    quota.quota_reserve(account=comm_account, count=200)
    assert _usage(comm_account).remaining == 0
    with assert_unchanged(), pytest.raises(quota.QuotaExceeded):
        quota.quota_consume(account=comm_account, count=1)


def test_suspended_account_cannot_reserve(comm_account, alice):
    services.account_suspend(account=comm_account, actor=None, reason="abuse")
    with assert_unchanged(), pytest.raises(quota.AccountSuspended):
        quota.quota_reserve(account=comm_account, count=1)
    assert _usage_or_none(comm_account) is None


def _usage_or_none(account):
    return MonthlyUsage.objects.filter(account=account).first()


def test_commit_or_release_more_than_reserved_is_refused(comm_account):
    reservation = quota.quota_reserve(account=comm_account, count=5)
    with assert_unchanged(), pytest.raises(ValueError):
        quota.quota_commit(reservation=reservation, count=6)
    with assert_unchanged(), pytest.raises(ValueError):
        quota.quota_release(reservation=reservation, count=6)
    assert (_usage(comm_account).used, _usage(comm_account).reserved) == (0, 5)


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_reservations_never_exceed_the_quota():
    """20 threads, each on its own PostgreSQL connection, race for 200."""
    admin = UserFactory(username="racer")
    account = make_account(admin=admin, name="Race", plan_code="communication")
    quota.usage_get(account=account)
    barrier = threading.Barrier(20)
    granted: list[int] = []
    refused: list[int] = []
    lock = threading.Lock()

    def worker(count: int):
        try:
            fresh = OfficialAccount.objects.get(pk=account.pk)
            barrier.wait()
            try:
                quota.quota_reserve(account=fresh, count=count)
            except quota.QuotaExceeded:
                with lock:
                    refused.append(count)
            else:
                with lock:
                    granted.append(count)
        finally:
            connection.close()

    # 20 requests of 15 ask for 300 against a quota of 200: exactly 13 fit.
    threads = [threading.Thread(target=worker, args=(15,)) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    usage = _usage(account)
    assert len(granted) == 13 and len(refused) == 7
    assert usage.reserved == sum(granted) == 195
    assert usage.used == 0


def test_month_boundary_follows_the_account_time_zone(comm_account):
    # 2026-11-30 15:30 UTC is already 2026-12-01 00:30 in Tokyo.
    with freeze_time("2026-11-30 14:59:00+00:00"):
        quota.quota_consume(account=comm_account, count=10)
    with freeze_time("2026-11-30 15:30:00+00:00"):
        quota.quota_consume(account=comm_account, count=3)
    months = dict(
        MonthlyUsage.objects.filter(account=comm_account).values_list("month", "used")
    )
    assert months == {dt.date(2026, 11, 1): 10, dt.date(2026, 12, 1): 3}


def test_plan_change_applies_from_the_first_of_next_month(comm_account, alice):
    standard = Plan.objects.get(code="standard")
    with freeze_time("2026-11-20 03:00:00+00:00"):
        quota.quota_consume(account=comm_account, count=1)
        effective = services.account_plan_change(
            account=comm_account, actor=alice, plan=standard
        )
        assert effective == dt.date(2026, 12, 1)
        # this month is still Communication
        with assert_unchanged(), pytest.raises(quota.QuotaExceeded):
            quota.quota_consume(account=comm_account, count=200)
    with freeze_time("2026-11-30 15:00:00+00:00"):  # 12-01 00:00 Tokyo
        account = OfficialAccount.objects.get(pk=comm_account.pk)
        usage = quota.usage_get(account=account)
    assert usage.month == dt.date(2026, 12, 1)
    assert usage.plan == standard and usage.limit == 30_000
    account.refresh_from_db()
    assert (account.plan_id, account.next_plan_id) == (standard.pk, None)


def test_additional_cap_only_on_standard_and_raises_the_limit(alice):
    light = make_account(admin=alice, name="Light")
    with assert_unchanged(), pytest.raises(services.ApplicationError):
        services.account_additional_cap_set(account=light, actor=alice, cap=100)
    assert quota.usage_get(account=light).limit == 5_000

    std = make_account(admin=alice, name="Std", plan_code="standard")
    services.account_additional_cap_set(account=std, actor=alice, cap=10_000)
    assert quota.usage_get(account=std).limit == 40_000


def test_operator_override_replaces_the_limit_immediately(comm_account):
    quota.quota_consume(account=comm_account, count=150)
    services.account_quota_override_set(account=comm_account, actor=None, limit=160)
    with assert_unchanged(), pytest.raises(quota.QuotaExceeded):
        quota.quota_consume(account=comm_account, count=11)
    quota.quota_consume(account=comm_account, count=10)
    assert _usage(comm_account).used == 160


@pytest.mark.parametrize(
    ("before", "count", "expected"),
    [
        (0, 30_000, Decimal("0")),  # all free
        (29_990, 20, Decimal("30.0")),  # 10 free + 10 at 3.0
        (49_999, 2, Decimal("5.8")),  # 1 at 3.0, 1 at 2.8
        (0, 100_000, Decimal("60000.0") + Decimal("140000.0")),  # 20k@3 + 50k@2.8
    ],
)
def test_standard_additional_price_is_tiered(db, before, count, expected):
    standard = Plan.objects.get(code="standard")
    assert standard.additional_cost_yen(free_used_total=before, count=count) == (
        expected
    )


def test_usage_summary_projects_cost_of_used_and_reserved(alice):
    std = make_account(admin=alice, name="Std", plan_code="standard")
    services.account_additional_cap_set(account=std, actor=alice, cap=50_000)
    quota.quota_consume(account=std, count=30_010)
    quota.quota_reserve(account=std, count=10)
    summary = quota.usage_summary(account=std)
    assert summary.additional_used == 20
    assert summary.projected_cost_yen == Decimal("60.0")


def test_reserve_and_consume_are_one_query_once_the_month_exists(
    comm_account, django_assert_num_queries
):
    quota.usage_get(account=comm_account)
    with django_assert_num_queries(1):
        reservation = quota.quota_reserve(account=comm_account, count=2)
    with django_assert_num_queries(1):
        quota.quota_consume(account=comm_account, count=3)
    with django_assert_num_queries(1):
        quota.quota_commit(reservation=reservation, count=2)
    usage = _usage(comm_account)
    assert (usage.used, usage.reserved) == (5, 0)


@pytest.mark.django_db(transaction=True)
def test_quota_taken_commits_at_once_and_gives_back_when_the_send_fails():
    """Outside a transaction the count is visible to other connections
    (committed, row unlocked) while the send runs; a failure gives it back."""
    admin = UserFactory(username="taker")
    account = make_account(admin=admin, name="Taker", plan_code="communication")
    seen_from_another_connection: list[int] = []

    def peek():
        try:
            seen_from_another_connection.append(_usage(account).used)
        finally:
            connection.close()

    with quota.quota_taken(account=account, count=3):
        # a second connection reads (and could lock) the row meanwhile
        thread = threading.Thread(target=peek)
        thread.start()
        thread.join(timeout=10)
    assert seen_from_another_connection == [3]
    assert _usage(account).used == 3

    with (
        assert_unchanged(),
        pytest.raises(RuntimeError),
        quota.quota_taken(account=account, count=5),
    ):
        assert _usage(account).used == 8
        raise RuntimeError("the send failed")
    assert _usage(account).used == 3


@pytest.mark.django_db(transaction=True)
def test_quota_taken_refuses_past_the_limit_and_counts_nothing():
    admin = UserFactory(username="taker2")
    account = make_account(admin=admin, name="Taker 2", plan_code="communication")
    quota.quota_consume(account=account, count=199)
    ran = []
    with (
        assert_unchanged(),
        pytest.raises(quota.QuotaExceeded),
        quota.quota_taken(account=account, count=2),
    ):
        ran.append(True)
    assert ran == []
    assert _usage(account).used == 199


def test_quota_taken_inside_a_transaction_rolls_back_with_it(comm_account):
    # pytest's test transaction: the count belongs to the caller's work
    quota.usage_get(account=comm_account)
    with assert_unchanged(), pytest.raises(RuntimeError), transaction.atomic():
        with quota.quota_taken(account=comm_account, count=4):
            assert _usage(comm_account).used == 4
        raise RuntimeError("the caller failed after the block")
    assert _usage(comm_account).used == 0
