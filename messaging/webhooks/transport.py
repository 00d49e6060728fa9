"""The signed POST to a bot's webhook URL (spec 3.1, 3.2)."""

import base64
import hashlib
import hmac
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

WEBHOOK_TIMEOUT = 2.0  # seconds; LINE gives bots 2 s (spec 3.1)
USER_AGENT = "LineBotWebhook/2.0"


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


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # A redirect is the bot's answer, not a hop to follow: LINE does not
    # follow them and a 3xx is recorded as a failed attempt.
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def webhook_post(*, url: str, body: bytes, secret: str) -> PostResult:
    """POST ``body`` signed with ``secret``; never raises for HTTP trouble."""
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            "x-line-signature": webhook_signature(secret=secret, body=body),
        },
    )
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        with _opener.open(request, timeout=WEBHOOK_TIMEOUT) as response:
            text = response.read(500).decode("utf-8", "replace")
            return PostResult(response.status, elapsed(), "", response.reason, text)
    except urllib.error.HTTPError as exc:
        text = exc.read(500).decode("utf-8", "replace") if exc.fp else ""
        return PostResult(
            exc.code, elapsed(), f"HTTP {exc.code} {exc.reason}", str(exc.reason), text
        )
    except (TimeoutError, OSError, urllib.error.URLError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        timed_out = isinstance(reason, TimeoutError) or "timed out" in str(reason)
        error = "Request timed out" if timed_out else f"Connection failed: {reason}"
        return PostResult(None, elapsed(), error[:200], error[:200])
