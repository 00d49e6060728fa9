"""webhook_post over httpx: what each kind of answer becomes."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from messaging.webhooks import transport
from messaging.webhooks.transport import webhook_post, webhook_signature


class _Bot(BaseHTTPRequestHandler):
    """Answers by path: /ok, /redirect, /big, /slow."""

    protocol_version = "HTTP/1.1"  # keep-alive, as most bots
    seen: list[dict] = []

    def do_POST(self):  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        type(self).seen.append(
            {
                "path": self.path,
                "headers": dict(self.headers),
                "client_port": self.client_address[1],
            }
        )
        if self.path == "/redirect":
            self._answer(302, b"", {"Location": "/ok"})
        elif self.path == "/big":
            self._answer(200, "é".encode() * 400)  # 800 bytes
        elif self.path == "/teapot":
            self._answer(418, b'{"message": "no"}')
        else:
            self._answer(200, body[:10])

    def _answer(self, status, body, headers=None):
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def bot(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    _Bot.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Bot)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_2xx_is_ok_and_the_request_is_signed(bot):
    result = webhook_post(url=f"{bot}/ok", body=b'{"events":[]}', secret="s3cret")
    assert (result.status_code, result.error, result.reason) == (200, "", "OK")
    assert result.ok and not result.transient
    headers = _Bot.seen[0]["headers"]
    assert headers["x-line-signature"] == webhook_signature(
        secret="s3cret", body=b'{"events":[]}'
    )
    assert headers["User-Agent"] == transport.USER_AGENT
    assert headers["Content-Type"] == "application/json; charset=utf-8"


def test_a_redirect_is_not_followed_and_is_a_failure(bot):
    result = webhook_post(url=f"{bot}/redirect", body=b"{}", secret="s")
    assert (result.status_code, result.error, result.reason) == (
        302,
        "HTTP 302 Found",
        "Found",
    )
    assert not result.ok and not result.transient
    assert [seen["path"] for seen in _Bot.seen] == ["/redirect"]


def test_a_4xx_is_its_status_line_only(bot):
    result = webhook_post(url=f"{bot}/teapot", body=b"{}", secret="s")
    assert (result.status_code, result.error) == (418, "HTTP 418 I'm a Teapot")
    assert not hasattr(result, "response_body")
    assert not result.transient


def test_a_read_body_keeps_the_connection_alive(bot):
    # given two POSTs to a keep-alive bot answering 800 bytes each
    webhook_post(url=f"{bot}/big", body=b"{}", secret="s")
    webhook_post(url=f"{bot}/big", body=b"{}", secret="s")
    # then both went over one connection
    ports = {seen["client_port"] for seen in _Bot.seen}
    assert len(_Bot.seen) == 2 and len(ports) == 1


def test_a_refused_connection_has_no_status(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    result = webhook_post(url="http://127.0.0.1:9/callback", body=b"{}", secret="s")
    assert result.status_code is None
    assert result.error == "Could not connect"
    assert result.reason == result.error
    assert result.transient


def test_one_client_per_process_recreated_after_a_fork(bot, monkeypatch):
    # given a client made by this process
    webhook_post(url=f"{bot}/ok", body=b"{}", secret="s")
    first = transport._http_client()
    assert transport._http_client() is first
    assert first.follow_redirects is False
    # when the process is a forked child (another pid)
    monkeypatch.setattr(transport.os, "getpid", lambda: -1)
    child = transport._http_client()
    # then the child gets its own client and its own connections
    assert child is not first
    assert isinstance(child, httpx.Client)
    assert transport._http_client() is child
    # and the child's client works
    assert webhook_post(url=f"{bot}/ok", body=b"{}", secret="s").ok
