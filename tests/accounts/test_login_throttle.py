"""Failed logins are throttled per account and per client address.

``django-axes`` counts failures of the Manager's and the admin's login
forms; at ``LOGIN_FAILURE_LIMIT`` failures for one username, or from one
client address, further attempts (even with the right password) get a 429
page saying so until the cool-off passes or an operator unlocks them in
Django admin ("Access attempts").
"""

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.factories import PASSWORD, UserFactory
from tests.unchanged import assert_unchanged

pytestmark = pytest.mark.django_db

MANAGER_LOGIN = "/manager/login/"
ADMIN_LOGIN = "/admin/login/"
LOCKED = "Too many failed login attempts"


def _post(client: Client, url: str, username: str, password: str, ip="10.0.0.1"):
    return client.post(
        url, {"username": username, "password": password}, REMOTE_ADDR=ip
    )


@pytest.fixture
def staff(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


def test_the_limit_is_on_by_default(settings):
    assert settings.AXES_ENABLED is True
    assert settings.AXES_FAILURE_LIMIT == 10
    assert settings.AXES_LOCKOUT_PARAMETERS == ["username", "ip_address"]


@pytest.mark.parametrize("url", [MANAGER_LOGIN, ADMIN_LOGIN])
def test_forty_wrong_passwords_then_the_right_one_is_refused(client, staff, url):
    # given 40 wrong passwords for one account
    statuses = {_post(client, url, "root", f"wrong-{i}").status_code for i in range(40)}
    last_login = User.objects.get(username="root").last_login
    # when the right password follows
    with assert_unchanged():
        response = _post(client, url, "root", PASSWORD)
    # then it is refused with a clear message, and nobody logged in
    assert statuses == {200, 429}
    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    assert SESSION_KEY not in client.session
    assert User.objects.get(username="root").last_login == last_login


def test_the_first_failures_below_the_limit_do_not_lock(client, alice):
    for i in range(9):
        assert _post(client, MANAGER_LOGIN, "alice", f"wrong-{i}").status_code == 200
    response = _post(client, MANAGER_LOGIN, "alice", PASSWORD)
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(alice.pk)


def test_one_account_is_locked_from_every_address(client, alice):
    # given failures for alice from ten different addresses
    for i in range(10):
        _post(client, MANAGER_LOGIN, "alice", "wrong", ip=f"10.0.1.{i}")
    # when alice's right password comes from a new address
    with assert_unchanged():
        response = _post(client, MANAGER_LOGIN, "alice", PASSWORD, ip="10.9.9.9")
    # then
    assert response.status_code == 429
    assert SESSION_KEY not in client.session


def test_one_address_is_locked_for_every_account(client, alice, bob):
    # given failures for ten different usernames from one address
    for i in range(10):
        _post(client, MANAGER_LOGIN, f"user{i}", "wrong", ip="10.0.2.1")
    # when bob logs in from that address, then he is refused
    with assert_unchanged():
        response = _post(client, MANAGER_LOGIN, "bob", PASSWORD, ip="10.0.2.1")
    assert response.status_code == 429
    assert SESSION_KEY not in client.session
    # and from another address he gets in
    response = _post(client, MANAGER_LOGIN, "bob", PASSWORD, ip="10.0.2.2")
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(bob.pk)


def test_an_operator_unlocks_an_account_in_admin(staff, alice):
    # given alice locked out
    for i in range(10):
        _post(Client(), MANAGER_LOGIN, "alice", f"wrong-{i}", ip=f"10.0.3.{i}")
    with assert_unchanged():
        assert _post(Client(), MANAGER_LOGIN, "alice", PASSWORD).status_code == 429
    # when an operator deletes her access attempts in Django admin
    operator = Client()
    operator.force_login(staff)
    changelist = reverse("admin:axes_accessattempt_changelist")
    page = operator.get(changelist)
    assert page.status_code == 200
    assert "alice" in page.content.decode()
    from axes.models import AccessAttempt

    ids = list(
        AccessAttempt.objects.filter(username="alice").values_list("pk", flat=True)
    )
    response = operator.post(
        changelist,
        {"action": "delete_selected", "_selected_action": ids, "post": "yes"},
    )
    assert response.status_code == 302
    # then alice logs in again
    client = Client()
    assert _post(client, MANAGER_LOGIN, "alice", PASSWORD).status_code == 302
    assert client.session[SESSION_KEY] == str(alice.pk)
