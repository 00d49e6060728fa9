"""Shared fixtures: a fixed cast, like healthchecks' alice/bob/charlie.

alice is admin of Demo Café, bob an operator of Demo Café, charlie admin of
another account ("Charlie's Bakery") and a stranger to Demo Café.
"""

import pytest
from django.test import Client

from accounts.models import Membership
from tests.factories import PASSWORD, UserFactory, add_member, make_account


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.LANGUAGE_CODE = "en"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        },
    }


@pytest.fixture
def alice(db):
    return UserFactory(username="alice")


@pytest.fixture
def bob(db):
    return UserFactory(username="bob")


@pytest.fixture
def charlie(db):
    return UserFactory(username="charlie")


@pytest.fixture
def account(alice, bob):
    account = make_account(admin=alice, name="Demo Café", plan_code="light")
    add_member(account, bob, Membership.Role.OPERATOR)
    return account


@pytest.fixture
def other_account(charlie):
    return make_account(admin=charlie, name="Charlie's Bakery", plan_code="light")


def _client_for(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def alice_client(alice):
    return _client_for(alice)


@pytest.fixture
def bob_client(bob):
    return _client_for(bob)


@pytest.fixture
def charlie_client(charlie, other_account):
    return _client_for(charlie)
