"""Shared fixtures: a fixed cast, like healthchecks' alice/bob/charlie.

alice is admin of Demo Café, bob an operator of Demo Café, charlie admin of
another account ("Charlie's Bakery") and a stranger to Demo Café.
"""

import contextlib

import pytest
import redis
from django.conf import settings as django_settings
from django.test import Client

from accounts.models import Membership
from messaging.webhooks.services import webhook_endpoint_set
from tests.factories import PASSWORD, UserFactory, add_member, make_account
from tests.redis_keys import redis_delete_run_keys, redis_keys_of_this_run
from tests.talk.factories import befriend, make_persona

redis_keys_of_this_run()


def pytest_sessionfinish(session):
    """Leave no keys of this run behind (a dead Redis is no test failure)."""
    for url in {django_settings.REDIS_URL, django_settings.CELERY_BROKER_URL}:
        if url.startswith("redis"):
            with contextlib.suppress(redis.RedisError):
                redis_delete_run_keys(url)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Run browser tests last.

    Playwright's sync API leaves an event loop attached to the main thread,
    after which ``async_to_sync`` (Channels tests, ASGI streaming) refuses
    to run there.
    """

    def is_browser(item) -> bool:
        return "browser" in getattr(item, "fixturenames", ()) or bool(
            item.get_closest_marker("browser")
        )

    items.sort(key=is_browser)


@pytest.fixture(autouse=True)
def _reference_data(request, django_db_blocker):
    """Re-seed the plans before each transactional test.

    Flushing after a transactional test deletes the rows that data
    migrations created; every account needs its plan.
    """
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker and marker.kwargs.get("transaction")) or bool(
        {"transactional_db", "live_server"} & set(request.fixturenames)
    )
    if not transactional:
        return
    request.getfixturevalue("transactional_db")
    from accounts.models import Plan
    from accounts.plans import plans_seed

    with django_db_blocker.unblock():
        plans_seed(Plan)


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Serving processes refuse a weak key with DEBUG=0 (config/startup.py);
    # the tests run uvicorn in-process.
    settings.SECRET_KEY = "tests-" + "q8Zr3xLw5nVb7mKc2pJd9sHf4tGy6uEa" * 2
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.LANGUAGE_CODE = "en"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        },
    }


@pytest.fixture(autouse=True)
def _broker_seen():
    """The broker's sentinel exists: only a test that empties the broker
    (core.broker) sees its queues as lost, whatever ran before it."""
    from core.broker import broker_data_lost

    broker_data_lost()


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


@pytest.fixture
def webhook_friend(account, settings):
    """Hanako, a friend of Demo Café, whose bot's webhook is a local URL.

    Local URLs are allowed for bots on this machine (docs/security.md);
    nothing listens on port 9, so deliveries are recorded and fail. The
    webhook is set after the follow, so no delivery exists yet.
    """
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    friend = befriend(account, make_persona("Hanako"))
    webhook_endpoint_set(
        account=account, actor=None, url="http://127.0.0.1:9/cb", active=True
    )
    return friend


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user)
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


# Browser tests --------------------------------------------------------------

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (no downloaded browsers)."""
    import os

    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls
    # tests make between page actions are still plain synchronous calls.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh phone-sized browser context pointed at the live server."""
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 375, "height": 812}
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def browser_login(page, user) -> None:
    page.goto("/manager/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit].primary")


def talk_signup(page, login: str = "hanako@example.com") -> None:
    """On the talk app's login page: create a talk-app login and go on to
    the page that sent the browser there (the persona picker first)."""
    expect_login = page.get_by_test_id("signup-form")
    page.locator("details.panel > summary").click()
    expect_login.locator("input[name=login]").fill(login)
    expect_login.locator("input[name=password]").fill("talk-pass-123")
    expect_login.locator("button[type=submit]").click()
