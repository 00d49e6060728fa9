"""The signed POST to a bot's webhook URL (spec 3.1, 3.2).

Where a webhook may go (docs/security.md): ``https://`` to a public address.
Every address a name resolves to is checked when the connection is opened
(so a DNS answer that changes after the URL was saved cannot point the POST
inside the network); loopback, link-local, private, shared, reserved,
multicast and unspecified addresses are refused. The setting
``WEBHOOK_ALLOW_PRIVATE_NETWORKS`` lifts both rules for local bot
development (``make run`` turns it on).
"""

import base64
import hashlib
import hmac
import ipaddress
import os
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpcore
import httpx
from django.conf import settings

WEBHOOK_TIMEOUT = 2.0  # seconds; LINE gives bots 2 s (spec 3.1)
USER_AGENT = "LineBotWebhook/2.0"
# A bot's answer is read (and dropped) up to this size so that its
# connection can be kept alive; nothing of it is stored.
DRAIN_BYTES = 64 * 1024

# httpx's defaults (100 connections, 20 kept alive for 5 s).
POOL_LIMITS = httpx.Limits(
    max_connections=100, max_keepalive_connections=20, keepalive_expiry=5.0
)

# Short reasons, as LINE reports them; never the OS error text (which would
# tell a refused port from a closed one from a filtered one).
COULD_NOT_CONNECT = "Could not connect"
REQUEST_TIMED_OUT = "Request timed out"
ADDRESS_NOT_ALLOWED = "Address not allowed"
INVALID_URL = "Invalid URL"
UNCLASSIFIED = "Unclassified error"


def private_networks_allowed() -> bool:
    """Whether webhooks may go to http:// and non-public addresses."""
    return bool(getattr(settings, "WEBHOOK_ALLOW_PRIVATE_NETWORKS", False))


def address_allowed(address: str) -> bool:
    """Whether a webhook may connect to the IP ``address``.

    Public unicast addresses only: ``is_global`` excludes loopback,
    link-local, private, shared (100.64/10), reserved and unspecified
    ranges, but not multicast, which is checked on its own. An IPv4 address
    inside IPv6 (``::ffff:127.0.0.1``) is judged as the IPv4 address.
    """
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (
        ip.is_multicast or ip.is_reserved or ip.is_loopback or ip.is_link_local
    )


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a webhook URL, or None if it can.

    A real URL parse (the one httpx sends with), no whitespace or control
    characters, ``https`` (or ``http`` with private networks allowed), a
    host, a valid port, and no IP literal outside the public internet. Names
    are resolved only when sending.
    """
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        return INVALID_URL
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        return INVALID_URL
    allowed = ("http", "https") if private_networks_allowed() else ("https",)
    if parts.scheme not in allowed or not parts.hostname:
        return INVALID_URL
    if not private_networks_allowed():
        literal = _ip_literal(parts.hostname)
        if literal is not None and not address_allowed(literal):
            return ADDRESS_NOT_ALLOWED
    try:
        parsed = httpx.URL(url)
    except (ValueError, httpx.InvalidURL):
        return INVALID_URL
    if not parsed.host:
        return INVALID_URL
    return None


def _ip_literal(host: str) -> str | None:
    """The address a host written as an IP stands for, else None.

    Besides the usual forms, the numeric spellings resolvers accept for
    IPv4 (``127.1``, ``2130706433``, ``0x7f000001``, ``0177.0.0.1``) are
    addresses too, read as ``inet_aton`` reads them.
    """
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    if host and all(ch in "0123456789abcdefx." for ch in host.lower()):
        try:
            return socket.inet_ntoa(socket.inet_aton(host))
        except OSError:
            return None
    return None


class AddressNotAllowed(httpcore.ConnectError):
    """The host resolved to an address webhooks may not reach."""


class _CheckedBackend(httpcore.SyncBackend):
    """Opens TCP connections only to addresses ``address_allowed`` accepts.

    The name is resolved here, every address it has is checked, and the
    socket connects to a checked address: the request cannot go anywhere
    the check did not see.
    """

    def connect_tcp(self, host, port, timeout=None, local_address=None, **kwargs):
        if private_networks_allowed():
            return super().connect_tcp(host, port, timeout, local_address, **kwargs)
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        addresses = list(dict.fromkeys(info[4][0] for info in infos))
        if not addresses or not all(address_allowed(a) for a in addresses):
            raise AddressNotAllowed(ADDRESS_NOT_ALLOWED)
        last: Exception | None = None
        for address in addresses:
            try:
                return super().connect_tcp(
                    address, port, timeout, local_address, **kwargs
                )
            except httpcore.ConnectError as exc:
                last = exc
        raise last  # type: ignore[misc]


class _CheckedTransport(httpx.HTTPTransport):
    """httpx's transport on a connection pool that uses ``_CheckedBackend``.

    httpx does not take a network backend, so its pool is replaced by one
    built the same way (no proxies: the checked address must be the bot's).
    """

    def __init__(self) -> None:
        super().__init__(trust_env=False)
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=POOL_LIMITS.max_connections,
            max_keepalive_connections=POOL_LIMITS.max_keepalive_connections,
            keepalive_expiry=POOL_LIMITS.keepalive_expiry,
            network_backend=_CheckedBackend(),
        )


def webhook_signature(*, secret: str, body: bytes) -> str:
    """``x-line-signature``: base64 of HMAC-SHA256(body) keyed by the secret."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


@dataclass(frozen=True)
class PostResult:
    """What happened to one POST; ``status_code`` is None without a response.

    ``permanent`` marks a POST that could not be attempted (a URL or an
    address webhooks may not use): retrying would fail the same way.
    """

    status_code: int | None
    latency_ms: int
    error: str = ""
    reason: str = ""
    permanent: bool = False

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def transient(self) -> bool:
        """Worth retrying: no response at all, or a server error."""
        if self.permanent:
            return False
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
            trust_env=False,
            transport=_CheckedTransport(),
        )
        _client_pid = os.getpid()
    return _client


def _drain(response: httpx.Response) -> None:
    """Read up to ``DRAIN_BYTES`` of the body so the connection can be reused."""
    read = 0
    for chunk in response.iter_raw():
        read += len(chunk)
        if read >= DRAIN_BYTES:
            break


def webhook_post(*, url: str, body: bytes, secret: str) -> PostResult:
    """POST ``body`` signed with ``secret``; never raises for HTTP trouble.

    Returns a ``PostResult``: a 2xx has an empty ``error``; any other
    status (redirects are not followed) has ``error`` "HTTP <code>
    <reason>" (the status line; the body is not kept); no response at all
    has ``status_code`` None and ``error`` "Request timed out" or "Could
    not connect"; a URL or address webhooks may not use is a permanent
    failure, "Invalid URL" or "Address not allowed", with nothing sent.
    """
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    problem = url_problem(url)
    if problem:
        return PostResult(None, 0, problem, problem, permanent=True)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "x-line-signature": webhook_signature(secret=secret, body=body),
    }
    try:
        # Read at call time so a changed WEBHOOK_TIMEOUT applies to the
        # shared client too.
        with _http_client().stream(
            "POST", url, content=body, headers=headers, timeout=WEBHOOK_TIMEOUT
        ) as response:
            _drain(response)
    except httpx.TimeoutException:
        return PostResult(None, elapsed(), REQUEST_TIMED_OUT, REQUEST_TIMED_OUT)
    except httpx.ConnectError as exc:
        if isinstance(exc.__cause__, AddressNotAllowed):
            error = ADDRESS_NOT_ALLOWED
            return PostResult(None, elapsed(), error, error, permanent=True)
        return PostResult(None, elapsed(), COULD_NOT_CONNECT, COULD_NOT_CONNECT)
    except (httpx.HTTPError, httpx.InvalidURL, OSError, ValueError):
        return PostResult(None, elapsed(), COULD_NOT_CONNECT, COULD_NOT_CONNECT)
    status, reason = response.status_code, response.reason_phrase
    error = "" if response.is_success else f"HTTP {status} {reason}"[:200]
    return PostResult(status, elapsed(), error, reason[:200])
