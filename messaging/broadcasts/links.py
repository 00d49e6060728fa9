"""Click tracking: links in broadcasts rewritten to ``/r/<token>``."""

import hashlib
import hmac
import json
import re
import secrets

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
# Per-recipient parts of a rewritten link; see ``_links_template``.
_FRIEND_MARK = "{~f~}"
_SIG_MARK = "{~s~}"
_URL_TRAILING = ".,!?;:"


def _sign(broadcast: Broadcast, friend_id: int) -> str:
    key = f"{settings.SECRET_KEY}:{broadcast.click_salt}".encode()
    digest = hmac.new(key, str(friend_id).encode(), hashlib.sha256).hexdigest()
    return digest[:12]


def _rewrite_urls(value: str, codes: dict[str, str]) -> str:
    def tracked(match: re.Match) -> str:
        url = match.group(0).rstrip(_URL_TRAILING)
        return _link_url(codes, url) + match.group(0)[len(url) :]

    return _URL_RE.sub(tracked, value)


def _link_url(codes: dict[str, str], url: str) -> str:
    if url not in codes:
        codes[url] = secrets.token_urlsafe(8)[:10].replace("-", "x").replace("_", "y")
    return f"{settings.SITE_URL}/r/{codes[url]}.{_FRIEND_MARK}.{_SIG_MARK}"


def _links_template(messages: list[dict]) -> tuple[list[dict], dict[str, str]]:
    """Messages with every web URL replaced by a per-recipient tracking link.

    Returns the template and ``{url: code}``. A link reads
    ``SITE_URL/r/<code>.<friend id>.<signature>``; the friend id and
    signature are filled per recipient by the batch writer. Other schemes
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


def link_click_record(*, token: str) -> str:
    """Record a click on a tracking link and return where to go.

    ``token`` is ``<code>.<friend id>.<signature>``. A bad signature or an
    unknown friend still forwards (the link must work when shared) but
    records nothing; an unknown code raises ``NotFound``.
    """
    code, _sep, rest = token.partition(".")
    link = get_or_not_found(
        BroadcastLink.objects.select_related("broadcast"), code=code
    )
    friend_part, _sep, sig = rest.partition(".")
    try:
        friend_id = int(friend_part)
    except ValueError:
        return link.url
    if not hmac.compare_digest(sig, _sign(link.broadcast, friend_id)):
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
