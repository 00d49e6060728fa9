import datetime as dt
import re

import pytest
from django.utils import timezone
from freezegun import freeze_time

from accounts import services
from accounts.models import (
    AuditLog,
    ChannelAccessToken,
    Invitation,
    Membership,
    OfficialAccount,
)
from accounts.selectors import channel_token_authenticate
from core.exceptions import ApplicationError, NotFound
from tests.factories import UserFactory
from tests.unchanged import assert_unchanged


def test_account_create_draws_line_style_ids_and_makes_creator_admin(alice):
    account = services.account_create(actor=alice, display_name="Sakura Salon")
    assert re.fullmatch(r"@[a-z0-9]{8}", account.basic_id)
    assert re.fullmatch(r"[1-9]\d{9}", account.channel_id)
    assert re.fullmatch(r"[0-9a-f]{32}", account.channel_secret)
    assert re.fullmatch(r"U[0-9a-f]{32}", account.bot_user_id)
    assert account.plan.code == "communication"
    assert account.time_zone == "Asia/Tokyo"
    assert list(account.memberships.values_list("user__username", "role")) == [
        ("alice", "admin")
    ]
    entry = AuditLog.objects.get(account=account)
    assert (entry.actor, entry.action, entry.target) == (
        alice,
        "account.create",
        account.basic_id,
    )


def test_invitation_link_is_single_use(account, alice):
    invitation, token = services.member_invite(
        account=account, actor=alice, role=Membership.Role.OPERATOR
    )
    dave = UserFactory(username="dave")
    membership = services.invitation_accept(token=token, user=dave)
    assert (membership.account, membership.role) == (account, "operator")
    erin = UserFactory(username="erin")
    with (
        assert_unchanged(),
        pytest.raises(services.InvitationInvalid, match="already been used"),
    ):
        services.invitation_accept(token=token, user=erin)
    assert not account.memberships.filter(user=erin).exists()
    invitation.refresh_from_db()
    assert invitation.accepted_by == dave


def test_invitation_expires_after_seven_days(account, alice):
    with freeze_time("2026-11-01 00:00:00+00:00"):
        _inv, token = services.member_invite(
            account=account, actor=alice, role=Membership.Role.ADMIN
        )
    dave = UserFactory(username="dave")
    with freeze_time("2026-11-07 23:59:00+00:00"):
        assert services.invitation_get(token=token).account == account
    with (
        freeze_time("2026-11-08 00:00:01+00:00"),
        assert_unchanged(),
        pytest.raises(services.InvitationInvalid, match="expired"),
    ):
        services.invitation_accept(token=token, user=dave)
    assert not Membership.objects.filter(user=dave).exists()


def test_unknown_or_revoked_invitation_is_refused(account, alice):
    _inv, token = services.member_invite(
        account=account, actor=alice, role=Membership.Role.OPERATOR
    )
    services.invitation_revoke(account=account, actor=alice, invitation_id=_inv.pk)
    dave = UserFactory(username="dave")
    with (
        assert_unchanged(),
        pytest.raises(services.InvitationInvalid, match="withdrawn"),
    ):
        services.invitation_accept(token=token, user=dave)
    with (
        assert_unchanged(),
        pytest.raises(services.InvitationInvalid, match="not valid"),
    ):
        services.invitation_accept(token="nope", user=dave)
    assert not Membership.objects.filter(user=dave).exists()


def test_invitation_stores_only_a_hash(account, alice):
    invitation, token = services.member_invite(
        account=account, actor=alice, role=Membership.Role.OPERATOR
    )
    assert token not in invitation.token_hash
    assert invitation.token_hash == services.token_hash(token)
    assert invitation.expires_at == pytest.approx(
        timezone.now() + dt.timedelta(days=7), abs=dt.timedelta(seconds=5)
    )


def test_at_most_100_members(account, alice, settings):
    # given 98 more members: 100 with alice and bob
    users = UserFactory.create_batch(98)
    Membership.objects.bulk_create(
        Membership(account=account, user=u, role="operator") for u in users
    )
    # then a new invitation is refused, and so is accepting an older one
    with (
        assert_unchanged(),
        pytest.raises(ApplicationError, match="at most 100 members"),
    ):
        services.member_invite(account=account, actor=alice, role="operator")
    assert account.memberships.count() == 100


def test_accepting_an_old_invite_when_full_is_refused(account, alice):
    _inv, token = services.member_invite(account=account, actor=alice, role="operator")
    Membership.objects.bulk_create(
        Membership(account=account, user=u, role="operator")
        for u in UserFactory.create_batch(98)
    )
    dave = UserFactory(username="dave")
    with (
        assert_unchanged(),
        pytest.raises(ApplicationError, match="at most 100 members"),
    ):
        services.invitation_accept(token=token, user=dave)
    assert not account.memberships.filter(user=dave).exists()
    assert Invitation.objects.get(pk=_inv.pk).accepted_at is None


def test_last_admin_cannot_be_demoted_or_removed(account, alice):
    me = account.memberships.get(user=alice)
    with (
        assert_unchanged(),
        pytest.raises(ApplicationError, match="at least one admin"),
    ):
        services.member_role_change(
            account=account, actor=alice, membership_id=me.pk, role="operator"
        )
    with (
        assert_unchanged(),
        pytest.raises(ApplicationError, match="at least one admin"),
    ):
        services.member_remove(account=account, actor=alice, membership_id=me.pk)
    assert account.memberships.get(user=alice).role == "admin"


def test_role_change_and_remove_are_audited(account, alice, bob):
    bobs = account.memberships.get(user=bob)
    services.member_role_change(
        account=account, actor=alice, membership_id=bobs.pk, role="operator_no_delivery"
    )
    services.member_remove(account=account, actor=alice, membership_id=bobs.pk)
    actions = list(
        AuditLog.objects.filter(account=account)
        .order_by("id")
        .values_list("action", "target", "data")
    )
    assert actions[-2:] == [
        (
            "member.role_change",
            "bob",
            {"from": "operator", "to": "operator_no_delivery"},
        ),
        ("member.remove", "bob", {"role": "operator_no_delivery"}),
    ]


def test_member_of_another_account_cannot_be_changed(account, other_account, alice):
    charlies = other_account.memberships.get()
    with assert_unchanged(), pytest.raises(NotFound):
        services.member_remove(account=account, actor=alice, membership_id=charlies.pk)
    assert Membership.objects.filter(pk=charlies.pk).exists()


def test_channel_token_is_shown_once_and_stored_hashed(account, alice):
    record, token = services.channel_token_issue(
        account=account, actor=alice, label="bot"
    )
    assert record.token_hash == services.token_hash(token)
    assert token not in str(ChannelAccessToken.objects.values_list().get(pk=record.pk))
    assert channel_token_authenticate(token=token).account == account
    services.channel_token_revoke(account=account, actor=alice, token_id=record.pk)
    assert channel_token_authenticate(token=token) is None


def test_revoking_another_accounts_token_is_refused(account, other_account, charlie):
    record, token = services.channel_token_issue(account=account, actor=None)
    with assert_unchanged(), pytest.raises(NotFound):
        services.channel_token_revoke(
            account=other_account, actor=charlie, token_id=record.pk
        )
    assert channel_token_authenticate(token=token).account == account


def test_suspend_and_resume_are_audited(account, alice):
    services.account_suspend(account=account, actor=None, reason="spam")
    assert OfficialAccount.objects.get(pk=account.pk).is_suspended is True
    services.account_resume(account=account, actor=None)
    assert OfficialAccount.objects.get(pk=account.pk).is_suspended is False
    assert list(
        AuditLog.objects.filter(
            account=account, action__in=["account.suspend", "account.resume"]
        )
        .order_by("id")
        .values_list("action", "data")
    ) == [("account.suspend", {"reason": "spam"}), ("account.resume", {})]


def test_badge_set_refuses_an_unknown_badge_and_changes_nothing(account):
    with assert_unchanged(), pytest.raises(ApplicationError) as error:
        services.account_badge_set(account=account, actor=None, badge="gold")
    assert error.value.message == "Unknown badge."
    account.refresh_from_db()
    assert account.badge == "unverified"
    assert not account.audit_entries.filter(action="account.badge_set").exists()
