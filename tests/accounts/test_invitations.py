"""An invitation sent to an e-mail address is for that address only.

Someone else holding the link — logged in with another address, or
signing up with another one — cannot join with it; the invitation stays
open for the person it was sent to. An invitation made without an address
is a link staff hand over themselves and still needs the explicit "Join"
confirmation.
"""

import pytest
from django.urls import reverse

from accounts.models import AuditLog, Invitation, Membership, User
from accounts.services import member_invite
from tests.conftest import _client_for
from tests.factories import UserFactory
from tests.unchanged import assert_unchanged

pytestmark = pytest.mark.django_db


def _state(account) -> dict:
    return {
        "members": sorted(account.memberships.values_list("user__username", "role")),
        "open": list(
            Invitation.objects.filter(accepted_at=None).values_list("pk", flat=True)
        ),
        "audit": AuditLog.objects.filter(action="member.join").count(),
        "users": User.objects.count(),
    }


def _invite(account, alice, email="dave@example.com"):
    _invitation, token = member_invite(
        account=account, actor=alice, role="operator", email=email
    )
    return reverse("accounts:invite-accept", args=[token])


def test_a_logged_in_user_with_another_address_cannot_join(
    account, alice, charlie_client
):
    # given an invitation sent to dave, and charlie holding the link
    path = _invite(account, alice)
    before = _state(account)
    # when charlie opens it and confirms
    with assert_unchanged():
        page = charlie_client.get(path)
        response = charlie_client.post(path)
    # then he is refused, nothing changed, the invitation is still open
    assert page.status_code == 403
    assert response.status_code == 403
    assert "dave@example.com" in response.content.decode()
    assert _state(account) == before


def test_the_invited_address_joins_whatever_its_case(account, alice):
    path = _invite(account, alice, email="Dave@Example.com")
    dave = UserFactory(username="dave", email="dave@example.com")
    response = _client_for(dave).post(path)
    assert response.status_code == 302
    assert account.memberships.get(user=dave).role == Membership.Role.OPERATOR


def test_signing_up_from_the_link_uses_the_invited_address(account, alice, client):
    # given the link, and a visitor typing another address
    path = _invite(account, alice)
    response = client.post(
        path,
        {
            "username": "mallory",
            "email": "mallory@example.com",
            "password1": "a-Long-pass-123",
            "password2": "a-Long-pass-123",
        },
    )
    # then the account made is the invited address's
    assert response.status_code == 302
    mallory = User.objects.get(username="mallory")
    assert mallory.email == "dave@example.com"
    assert account.memberships.get(user=mallory).role == Membership.Role.OPERATOR


def test_a_link_without_an_address_needs_the_join_confirmation(
    account, alice, charlie_client, charlie
):
    path = _invite(account, alice, email="")
    # opening the link joins nobody
    page = charlie_client.get(path)
    assert page.status_code == 200
    assert not account.memberships.filter(user=charlie).exists()
    # confirming does
    assert charlie_client.post(path).status_code == 302
    assert account.memberships.get(user=charlie).role == Membership.Role.OPERATOR
