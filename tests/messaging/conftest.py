"""A known crowd of friends for the friends-list tests; a customer and a
bot's webhook server for the API and webhook tests.

Friend since times are in Asia/Tokyo (the accounts' time zone); cai and
dan sit on either side of midnight between 31 January and 1 February.

``bot`` is a real HTTP server on a local port, standing in for a bot's
webhook URL; tests script its answers and read what it received.
"""

import datetime as dt
import queue
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

import pytest

from messaging.friends.models import Friend
from tests.messaging.api.factories import customer
from tests.messaging.factories import FriendSourceFactory, TagFactory, make_friend

TOKYO = ZoneInfo("Asia/Tokyo")


def tokyo(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TOKYO)


@pytest.fixture
def crowd(account, other_account):
    """Six friends of Demo Café and one look-alike of another account."""
    vip = TagFactory(account=account, name="vip")
    regular = TagFactory(account=account, name="regular")
    flyer = FriendSourceFactory(account=account, name="flyer", code="flyer0001")
    counter = FriendSourceFactory(account=account, name="counter", code="counter001")
    people = {
        "ann": make_friend(
            account,
            display_name="Ann",
            gender="female",
            age=19,
            region="jp_13",
            os="ios",
            source=flyer,
            tags=[vip],
            since=tokyo(2026, 1, 5, 9, 0),
        ),
        "ben": make_friend(
            account,
            display_name="Ben",
            gender="male",
            age=20,
            region="jp_27",
            os="android",
            source=counter,
            since=tokyo(2026, 1, 10, 12, 0),
        ),
        "cai": make_friend(
            account,
            display_name="Cai",
            gender="female",
            age=24,
            region="jp_13",
            os="android",
            tags=[vip, regular],
            status=Friend.Status.BLOCKED,
            since=tokyo(2026, 1, 31, 23, 30),
        ),
        "dan": make_friend(
            account,
            display_name="Dan",
            gender="unknown",
            age=None,
            region="",
            os="ios",
            source=flyer,
            tags=[regular],
            since=tokyo(2026, 2, 1, 0, 10),
        ),
        "eve": make_friend(
            account,
            display_name="Eve",
            gender="female",
            age=65,
            region="jp_01",
            os="ios",
            since=tokyo(2026, 2, 15, 18, 0),
        ),
        "fay": make_friend(
            account,
            display_name="Fay",
            gender="male",
            age=64,
            region="jp_47",
            os="ios",
            since=tokyo(2026, 3, 1, 8, 0),
        ),
    }
    other_tag = TagFactory(account=other_account, name="vip")
    make_friend(
        other_account,
        display_name="Ann Twin",
        gender="female",
        age=19,
        region="jp_13",
        os="ios",
        tags=[other_tag],
        since=tokyo(2026, 1, 5, 9, 0),
    )
    return {
        **people,
        "vip": vip,
        "regular": regular,
        "flyer": flyer,
        "counter": counter,
        "other_tag": other_tag,
    }


@pytest.fixture
def friend(account):
    return customer(account, display_name="Hanako")


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
def bot(settings):
    """A local bot; webhooks may reach it (``WEBHOOK_ALLOW_PRIVATE_NETWORKS``)."""
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    server = BotServer()
    yield server
    server.close()


@pytest.fixture
def webhook_on(account, bot):
    """The account sends its webhooks to ``bot``."""
    from messaging.webhooks.services import webhook_endpoint_set

    return webhook_endpoint_set(account=account, actor=None, url=bot.url, active=True)
