"""Fixtures of the Messaging API tests: tokens, SDK clients.

``friend`` and the bot server (``bot``, ``webhook_on``) live in
tests/messaging/conftest.py, shared with the webhook tests.
"""

import json

import pytest
from django.test import Client

# ``events``: the recording channel layer, for what talk rooms are told
from tests.chat.conftest import events  # noqa: F401
from tests.messaging.api.factories import sdk_apis, sdk_client, token_for
from tests.unchanged import Snapshot


@pytest.fixture(autouse=True)
def _live_server_closes_connections(request):
    """Live-server threads close their database connection after each request.

    The SDK keeps its HTTP connections alive, and a server thread waiting
    on one would otherwise hold its database session (and block dropping
    the test database) until the socket closes.
    """
    if "live_server" not in request.fixturenames:
        yield
        return
    from django.db import connections

    settings_dict = connections.settings["default"]
    saved = settings_dict.get("CONN_MAX_AGE", 0)
    settings_dict["CONN_MAX_AGE"] = 0
    yield
    settings_dict["CONN_MAX_AGE"] = saved


@pytest.fixture(autouse=True)
def _rate_limits(settings):
    # Counters are keyed by channel ID, random per account, so they never
    # carry over between tests; tests about limits lower them explicitly.
    settings.LINE_API_RATE_LIMITS = {}


@pytest.fixture
def token(account) -> str:
    return token_for(account)


@pytest.fixture
def other_token(other_account) -> str:
    return token_for(other_account)


class ApiClient(Client):
    """Django's test client speaking to the API with a bearer token."""

    def __init__(self, token: str | None):
        super().__init__()
        self.token = token

    def call(self, method: str, path: str, body=None, *, raw=None, **headers):
        if self.token:
            headers.setdefault("HTTP_AUTHORIZATION", f"Bearer {self.token}")
        data = (
            raw if raw is not None else (json.dumps(body) if body is not None else "")
        )
        content_type = headers.pop("content_type", "application/json")
        return self.generic(method, path, data, content_type=content_type, **headers)


@pytest.fixture
def api(token) -> ApiClient:
    return ApiClient(token)


@pytest.fixture
def line(live_server, token):
    """``MessagingApi`` of the real SDK pointed at the live server."""
    with sdk_client(live_server.url, token) as client:
        yield sdk_apis(client)[0]


@pytest.fixture
def line_blob(live_server, token):
    with sdk_client(live_server.url, token) as client:
        yield sdk_apis(client)[1]


@pytest.fixture
def unchanged():
    """Call the fixture's value after the request: asserts nothing changed
    (no row of any table, no file, no mail, no queued work; tests/unchanged.py).
    """
    return Snapshot.take().assert_same
