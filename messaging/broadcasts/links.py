"""Click tracking: links in broadcasts rewritten to ``/r/<code>/<token>``.

``code`` names the link (one per URL per broadcast); ``token`` names the
recipient without showing who: the friend's id and a MAC, encrypted as one
AES block with a key of the broadcast (issue 14, #9). Tokens are 22
URL-safe characters, differ for every recipient and every broadcast, and
reveal nothing sequential. Links sent before this scheme
(``/r/<code>.<friend id>.<signature>``) keep working.
"""

import base64
import hashlib
import hmac
import json
import re
import secrets

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from core.selectors import get_or_not_found
from messaging.broadcasts.models import Broadcast, BroadcastLink, Delivery, LinkClick

# A URL in text: RFC 3986 characters only, so Japanese text right after it
# ("…/saleはこちら") is not swallowed; trailing sentence punctuation is
# given back by ``_rewrite_urls``.
_URL_RE = re.compile(r"https?://[A-Za-z0-9\-._~:/?#\[\]@!$&*+,;=%]+")
# The per-recipient part of a rewritten link; see ``_links_template``.
TOKEN_MARK = "{~t~}"
_URL_TRAILING = ".,!?;:"


def _sign(broadcast: Broadcast, friend_id: int) -> str:
    """The signature of a link in the old ``<code>.<friend>.<sig>`` form."""
    key = f"{settings.SECRET_KEY}:{broadcast.click_salt}".encode()
    digest = hmac.new(key, str(friend_id).encode(), hashlib.sha256).hexdigest()
    return digest[:12]


class ClickTokens:
    """Opaque per-recipient tokens of one broadcast's tracking links.

    ``token(friend_id)`` → 22 characters (base64url of one AES-128 block:
    the id as 8 bytes and the first 8 bytes of its HMAC-SHA256). The keys
    come from ``SECRET_KEY`` and the broadcast's ``click_salt``, so a token
    of one broadcast means nothing in another. ``friend_id(token)`` gives
    the id back, or None for anything that was not made here.
    """

    def __init__(self, broadcast: Broadcast):
        keys = hmac.new(
            settings.SECRET_KEY.encode(),
            f"click-token:{broadcast.click_salt}".encode(),
            hashlib.sha256,
        ).digest()
        # One block per token: ECB on a single block is the raw AES
        # permutation, which is what a fixed-size opaque token needs.
        cipher = Cipher(algorithms.AES(keys[:16]), modes.ECB())
        # ECB keeps no state between blocks: one encryptor serves every token.
        self._encryptor = cipher.encryptor()
        self._decryptor = cipher.decryptor()
        self._mac_key = keys[16:]

    def _mac(self, raw_id: bytes) -> bytes:
        return hmac.new(self._mac_key, raw_id, hashlib.sha256).digest()[:8]

    def token(self, friend_id: int) -> str:
        raw_id = friend_id.to_bytes(8, "big")
        block = self._encryptor.update(raw_id + self._mac(raw_id))
        return base64.urlsafe_b64encode(block).rstrip(b"=").decode()

    def friend_id(self, token: str) -> int | None:
        if len(token) != 22:
            return None
        try:
            block = base64.urlsafe_b64decode(token + "==")
        except ValueError:
            return None
        if len(block) != 16:
            return None
        plain = self._decryptor.update(block)
        raw_id, mac = plain[:8], plain[8:]
        if not hmac.compare_digest(mac, self._mac(raw_id)):
            return None
        return int.from_bytes(raw_id, "big")


def _rewrite_urls(value: str, codes: dict[str, str]) -> str:
    def tracked(match: re.Match) -> str:
        url = match.group(0).rstrip(_URL_TRAILING)
        return _link_url(codes, url) + match.group(0)[len(url) :]

    return _URL_RE.sub(tracked, value)


def _link_url(codes: dict[str, str], url: str) -> str:
    if url not in codes:
        codes[url] = secrets.token_urlsafe(8)[:10].replace("-", "x").replace("_", "y")
    return f"{settings.SITE_URL}/r/{codes[url]}/{TOKEN_MARK}"


def _links_template(messages: list[dict]) -> tuple[list[dict], dict[str, str]]:
    """Messages with every web URL replaced by a per-recipient tracking link.

    Returns the template and ``{url: code}``. A link reads
    ``SITE_URL/r/<code>/<token>``; the batch writer fills each recipient's
    token (``ClickTokens``). Other schemes
    (``tel:``, ``line://``) are left alone: a redirect cannot carry them.
    """
    codes: dict[str, str] = {}
    out = []
    for msg in messages:
        msg = json.loads(json.dumps(msg))
        kind = msg["type"]
        if kind == "text":
            msg["text"] = _rewrite_urls(msg["text"], codes)
        elif kind == "imagemap":
            for action in msg["actions"]:
                if action.get("type") == "uri" and _is_web(action["linkUri"]):
                    action["linkUri"] = _link_url(codes, action["linkUri"])
        elif kind == "template":
            for column in msg["template"]["columns"]:
                for action in [*column.get("actions", []), column.get("defaultAction")]:
                    if (
                        action
                        and action.get("type") == "uri"
                        and _is_web(action["uri"])
                    ):
                        action["uri"] = _link_url(codes, action["uri"])
        out.append(msg)
    return out, codes


def _is_web(url: str) -> bool:
    return url.startswith(("http://", "https://"))


def link_click_record(*, code: str, token: str = "") -> str:
    """Record a click on a tracking link and return where to go.

    ``code`` names the link, ``token`` the recipient (``ClickTokens``). An
    old-form link passes ``code`` as ``<code>.<friend id>.<signature>`` and
    no token. A token that does not decode, or names no recipient, still
    forwards (the link must work when shared) but records nothing; an
    unknown code raises ``NotFound``.
    """
    old_form = not token and "." in code
    if old_form:
        code, _sep, rest = code.partition(".")
    link = get_or_not_found(
        BroadcastLink.objects.select_related("broadcast"), code=code
    )
    if old_form:
        friend_part, _sep, sig = rest.partition(".")
        try:
            friend_id = int(friend_part)
        except ValueError:
            return link.url
        if not hmac.compare_digest(sig, _sign(link.broadcast, friend_id)):
            return link.url
    else:
        friend_id = ClickTokens(link.broadcast).friend_id(token)
        if friend_id is None:
            return link.url
    with transaction.atomic():
        delivery = Delivery.objects.filter(
            broadcast_id=link.broadcast_id,
            friend_id=friend_id,
            status=Delivery.Status.SENT,
        ).first()
        if delivery is None:
            return link.url
        BroadcastLink.objects.filter(pk=link.pk).update(clicks=F("clicks") + 1)
        table = LinkClick._meta.db_table
        count = connection.ops.quote_name("count")
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (link_id, friend_id, {count}, first_at) "
                "VALUES (%s, %s, 1, %s) ON CONFLICT (link_id, friend_id) "
                f"DO UPDATE SET {count} = {table}.{count} + 1",
                [link.pk, friend_id, timezone.now()],
            )
        Delivery.objects.filter(pk=delivery.pk, clicked_at=None).update(
            clicked_at=timezone.now()
        )
    return link.url
