"""Fixtures for broadcasts: accounts with quota, crowds of friends."""

import pytest

from accounts.models import Membership
from tests.factories import UserFactory, add_member
from tests.messaging.broadcasts.helpers import text


@pytest.fixture
def dora(account):
    """An operator of Demo Café without delivery rights (drafts only)."""
    user = UserFactory(username="dora")
    add_member(account, user, Membership.Role.OPERATOR_NO_DELIVERY)
    return user


@pytest.fixture
def dora_client(dora):
    from tests.conftest import _client_for

    return _client_for(dora)


@pytest.fixture
def hello():
    return [text("Hello {Nickname}! 🎉 See https://example.com/sale")]


@pytest.fixture
def tasks_not_run():
    """Tasks enqueued go to the test broker and are purged, never run.

    For races between threads: each thread's on-commit enqueue must not run
    the next step inline, or the race would be serialised.
    """
    from config.celery import app

    app.conf.task_always_eager = False
    try:
        yield
    finally:
        app.control.purge()
        app.conf.task_always_eager = True


@pytest.fixture
def broker_purged():
    """The test broker's queue is purged after the test (tasks put there
    while eager mode is off for a moment are never run)."""
    from config.celery import app

    yield
    app.control.purge()
