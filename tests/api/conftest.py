"""Fixtures of the Messaging API tests: tokens, SDK clients, a bot server.

``bot`` is a real HTTP server on a local port, standing in for a bot's
webhook URL; tests script its answers and read what it received.
"""

import json
import queue
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import Client

from accounts.models import MonthlyUsage
from messaging.store.models import Message
from tests.api.factories import customer, sdk_apis, sdk_client, token_for


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


@pytest.fixture
def friend(account):
    return customer(account, display_name="Hanako")


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


@dataclass
class Snapshot:
    """Message rows and quota usage, to assert a refusal changed nothing."""

    messages: int
    usage: list = field(default_factory=list)

    @classmethod
    def take(cls) -> "Snapshot":
        return cls(
            messages=Message.objects.count(),
            usage=list(MonthlyUsage.objects.values_list("pk", "used", "reserved")),
        )


@pytest.fixture
def unchanged():
    """Call the fixture's value after the request: asserts nothing changed."""
    before = Snapshot.take()

    def check() -> None:
        assert Snapshot.take() == before

    return check


# --- A bot's webhook server ----------------------------------------------------------


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes
    at: float


class BotServer:
    """A threaded HTTP server that records POSTs and answers as scripted."""

    def __init__(self) -> None:
        self.received: queue.Queue[Received] = queue.Queue()
        self.script: list[tuple[int, float]] = []  # (status, delay) per request
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                server.received.put(
                    Received(
                        self.path,
                        {k.lower(): v for k, v in self.headers.items()},
                        body,
                        time.monotonic(),
                    )
                )
                status, delay = server._next()
                if delay:
                    time.sleep(delay)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(b"{}")
                except OSError:  # the client timed out and hung up
                    pass

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.block_on_close = False
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def _next(self) -> tuple[int, float]:
        with self._lock:
            return self.script.pop(0) if self.script else (200, 0.0)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/callback"

    def get(self, timeout: float = 5.0) -> Received:
        return self.received.get(timeout=timeout)

    def assert_nothing(self, wait: float = 0.3) -> None:
        with pytest.raises(queue.Empty):
            self.received.get(timeout=wait)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def bot():
    server = BotServer()
    yield server
    server.close()


@pytest.fixture
def webhook_on(account, bot):
    """The account sends its webhooks to ``bot``."""
    from messaging.webhooks.services import webhook_endpoint_set

    return webhook_endpoint_set(account=account, actor=None, url=bot.url, active=True)
