"""Quota warnings at 80 % and 100 % (issue 14, #14): e-mail + banner."""

import threading

import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse

from accounts import quota, services
from accounts.models import Membership, MonthlyUsage, OfficialAccount
from tests.factories import UserFactory, add_member, make_account


@pytest.fixture
def comm_account(alice):
    """Communication plan: 200 messages a month; alice is its admin."""
    return make_account(admin=alice, name="Comm", plan_code="communication")


def _usage(account) -> MonthlyUsage:
    return MonthlyUsage.objects.get(account=account, month=quota.month_start(account))


def _consume(account, count, capture):
    with capture(execute=True):
        quota.quota_consume(account=account, count=count)


def test_admins_are_mailed_once_at_80_and_once_at_100(
    comm_account, alice, bob, charlie, django_capture_on_commit_callbacks
):
    # given a second admin and an operator (operators get no e-mail)
    add_member(comm_account, bob, Membership.Role.ADMIN)
    add_member(comm_account, charlie, Membership.Role.OPERATOR)
    # when 159 of 200 are sent: below 80 %
    _consume(comm_account, 159, django_capture_on_commit_callbacks)
    assert mail.outbox == []
    # when the 160th is sent: 80 %
    _consume(comm_account, 1, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1
    warning = mail.outbox[0]
    assert warning.subject == "Comm has used 80% of this month's messages"
    assert sorted(warning.to) == sorted([alice.email, bob.email])
    assert '"Comm" has used 80% of this month\'s messages (160 of 200).' in (
        warning.body
    )
    assert f"/manager/{comm_account.slug}/plan/" in warning.body
    # when more are sent below 100 %: no second 80 % mail
    _consume(comm_account, 39, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1
    # when the last one is sent through a reservation (a broadcast)
    with django_capture_on_commit_callbacks(execute=True):
        reservation = quota.quota_reserve(account=comm_account, count=1)
        quota.quota_commit(reservation=reservation, count=1)
    assert [m.subject for m in mail.outbox] == [
        "Comm has used 80% of this month's messages",
        "Comm has sent all of this month's messages",
    ]
    assert _usage(comm_account).warned_percent == 100


def test_jumping_past_both_thresholds_sends_only_the_100_mail(
    comm_account, django_capture_on_commit_callbacks
):
    _consume(comm_account, 200, django_capture_on_commit_callbacks)
    assert [m.subject for m in mail.outbox] == [
        "Comm has sent all of this month's messages"
    ]
    # a rerun of the task (a retry) mails nobody again
    assert quota.quota_warning_send(usage_id=_usage(comm_account).pk) == 0
    assert len(mail.outbox) == 1


def test_reserving_without_sending_warns_nobody(
    comm_account, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        quota.quota_reserve(account=comm_account, count=200)
    assert mail.outbox == []
    assert _usage(comm_account).warned_percent == 0


def test_a_standard_account_is_told_its_additional_cap_is_the_limit(
    alice, django_capture_on_commit_callbacks
):
    account = make_account(admin=alice, name="Std", plan_code="standard")
    services.account_additional_cap_set(account=account, actor=alice, cap=1000)
    limit = _usage(account).limit
    _consume(account, limit * 8 // 10, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1
    assert "additional-message cap of 1,000 you set" in mail.outbox[0].body


@pytest.mark.django_db(transaction=True)
def test_concurrent_sends_crossing_a_threshold_mail_exactly_once(settings):
    """20 threads race on their own connections (eager tasks), twice:

    20 × 8 lands exactly on 160 (80 %), then 20 × 2 on 200 (100 %).
    """
    settings.CELERY_TASK_ALWAYS_EAGER = True
    admin = UserFactory(username="racer")
    account = make_account(admin=admin, name="Race", plan_code="communication")
    quota.usage_get(account=account)

    def race(count: int) -> None:
        barrier = threading.Barrier(20)

        def worker():
            try:
                fresh = OfficialAccount.objects.get(pk=account.pk)
                barrier.wait()
                quota.quota_consume(account=fresh, count=count)
            finally:
                connection.close()

        threads = [threading.Thread(target=worker) for _ in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    race(8)
    assert _usage(account).used == 160
    assert [m.subject for m in mail.outbox] == [
        "Race has used 80% of this month's messages"
    ]
    race(2)
    assert _usage(account).used == 200
    assert [m.subject for m in mail.outbox] == [
        "Race has used 80% of this month's messages",
        "Race has sent all of this month's messages",
    ]


def test_consume_stays_one_query_when_no_threshold_is_crossed(
    comm_account, django_assert_num_queries, django_capture_on_commit_callbacks
):
    quota.usage_get(account=comm_account)
    with django_assert_num_queries(1):
        quota.quota_consume(account=comm_account, count=3)


@pytest.mark.parametrize(
    ("used", "banner"),
    [
        (159, None),
        (160, "80% of this month's messages are used (160 of 200)."),
        (200, "All of this month's messages are used (200 of 200)."),
    ],
)
def test_every_manager_page_shows_the_quota_banner(
    client, alice, comm_account, used, banner
):
    quota.quota_consume(account=comm_account, count=used)
    client.force_login(alice)
    for name in ("analytics:home", "friends:friend-list", "broadcasts:broadcast-list"):
        response = client.get(reverse(name, args=[comm_account.slug]))
        assert response.status_code == 200
        html = response.content.decode()
        if banner is None:
            assert 'data-testid="quota-banner"' not in html
        else:
            assert 'data-testid="quota-banner"' in html
            assert banner in html


def test_the_send_pages_show_the_quota_bar(client, alice, comm_account):
    quota.quota_consume(account=comm_account, count=42)
    client.force_login(alice)
    for name in ("broadcasts:broadcast-create", "broadcasts:broadcast-list"):
        html = client.get(reverse(name, args=[comm_account.slug])).content.decode()
        assert '<strong data-testid="usage-used">42</strong>' in html
        assert '<strong data-testid="usage-remaining">158</strong>' in html
