"""The signed POST to a bot's webhook URL (spec 3.1, 3.2)."""

import base64
import hashlib
import hmac
import os
import time
from dataclasses import dataclass

import httpx

WEBHOOK_TIMEOUT = 2.0  # seconds; LINE gives bots 2 s (spec 3.1)
USER_AGENT = "LineBotWebhook/2.0"
# The response body kept in the delivery log; the rest is not read.
BODY_SNIPPET_BYTES = 500


def webhook_signature(*, secret: str, body: bytes) -> str:
    """``x-line-signature``: base64 of HMAC-SHA256(body) keyed by the secret."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


@dataclass(frozen=True)
class PostResult:
    """What happened to one POST; ``status_code`` is None without a response."""

    status_code: int | None
    latency_ms: int
    error: str = ""
    reason: str = ""
    response_body: str = ""

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def transient(self) -> bool:
        """Worth retrying: no response at all, or a server error."""
        return self.status_code is None or self.status_code >= 500


# One client per process keeps connections to bots alive between POSTs. A
# client's pool must not cross a fork (a Celery prefork child would share the
# parent's sockets), so the client is keyed by the pid that created it.
_client: httpx.Client | None = None
_client_pid: int | None = None


def _http_client() -> httpx.Client:
    """This process's client, created on first use and again after a fork.

    No lock: two threads racing on first use each make a client and one is
    dropped, which is harmless; a lock held across a fork would not be.
    """
    global _client, _client_pid
    if _client is None or _client_pid != os.getpid():
        # The parent's client is dropped, not closed: closing would shut
        # sockets the parent still uses.
        _client = httpx.Client(
            # A redirect is the bot's answer, not a hop to follow: LINE does
            # not follow them and a 3xx is recorded as a failed attempt.
            follow_redirects=False,
            timeout=WEBHOOK_TIMEOUT,
        )
        _client_pid = os.getpid()
    return _client


def _snippet(response: httpx.Response) -> str:
    """The first ``BODY_SNIPPET_BYTES`` of the body, decoded leniently."""
    data = b""
    for chunk in response.iter_bytes():
        data += chunk
        if len(data) >= BODY_SNIPPET_BYTES:
            break
    return data[:BODY_SNIPPET_BYTES].decode("utf-8", "replace")


def webhook_post(*, url: str, body: bytes, secret: str) -> PostResult:
    """POST ``body`` signed with ``secret``; never raises for HTTP trouble.

    Returns a ``PostResult``: a 2xx has an empty ``error``; any other
    status (redirects are not followed) has ``error`` "HTTP <code>
    <reason>"; no response at all has ``status_code`` None and ``error``
    "Request timed out" or "Connection failed: <reason>".
    """
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "x-line-signature": webhook_signature(secret=secret, body=body),
    }
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        # Read at call time so a changed WEBHOOK_TIMEOUT applies to the
        # shared client too.
        with _http_client().stream(
            "POST", url, content=body, headers=headers, timeout=WEBHOOK_TIMEOUT
        ) as response:
            text = _snippet(response)
    except httpx.TimeoutException:
        error = "Request timed out"
        return PostResult(None, elapsed(), error, error)
    except (httpx.HTTPError, httpx.InvalidURL, OSError, ValueError) as exc:
        error = f"Connection failed: {exc}"[:200]
        return PostResult(None, elapsed(), error, error)
    status, reason = response.status_code, response.reason_phrase
    error = "" if response.is_success else f"HTTP {status} {reason}"
    return PostResult(status, elapsed(), error, reason, text)
