"""The Manager's message bubbles: what its composer may send.

Broadcasts, step messages, auto-responses and the greeting are composed
of up to 3 bubbles of the kinds below; images must be the account's own
uploads (``messaging.store.assets``). Then LINE's full validation runs.
"""

import re

from django.conf import settings
from django.utils.translation import gettext as _

from accounts.models import OfficialAccount
from core.exceptions import ApplicationError
from core.text import UNSTORABLE
from messaging.store.checks import (
    IMAGEMAP_BASE_WIDTH,
    MAX_TEXT,
    MessagesInvalid,
    text_length,
)
from messaging.store.coupons import coupon_is_open
from messaging.store.models import BroadcastAsset
from messaging.store.validators import messages_validate

MAX_BUBBLES = 3
MAX_RICH_AREAS = 6
MAX_CARDS = 10
MAX_CARD_ACTIONS = 3
ALLOWED_TYPES = (
    "text",
    "sticker",
    "image",
    "video",
    "audio",
    "imagemap",
    "template",
    "coupon",
)


def _bubble_error(index: int, message: str) -> ApplicationError:
    text = _("Bubble %(n)d: %(error)s") % {"n": index + 1, "error": message}
    return ApplicationError(text, {"messages": text})


def _asset_keys(url: str) -> str | None:
    prefix = f"{settings.MEDIA_URL}broadcasts/"
    if not isinstance(url, str) or not url.startswith(prefix):
        return None
    return url[len(prefix) :].split("/", 1)[0]


def bubbles_clean(*, account: OfficialAccount, messages) -> list[dict]:
    """Check the Manager's bubbles; return them or raise ``ApplicationError``.

    Up to 3 bubbles of text (≤ 5,000 characters), sticker, image, video
    (MP4 and a poster image), audio (M4A/MP3), rich message (imagemap,
    ≤ 6 tap areas) or card-type message (carousel
    template, ≤ 10 cards, ≤ 3 buttons each). Images must be this account's
    uploads. Then the full LINE validation runs.
    """
    if not isinstance(messages, list) or not messages:
        msg = _("Add at least one message bubble.")
        raise ApplicationError(msg, {"messages": msg})
    if len(messages) > MAX_BUBBLES:
        msg = _("A broadcast can have at most %(n)d bubbles.") % {"n": MAX_BUBBLES}
        raise ApplicationError(msg, {"messages": msg})
    keys: set[str] = set()
    for i, msg in enumerate(messages):
        kind = msg.get("type") if isinstance(msg, dict) else None
        if kind not in ALLOWED_TYPES:
            raise _bubble_error(i, _("choose a message type."))
        if kind == "text":
            text = msg.get("text")
            if not isinstance(text, str) or not text.strip():
                raise _bubble_error(i, _("write some text."))
            if text_length(text) > MAX_TEXT:
                raise _bubble_error(
                    i,
                    _("the text is %(len)s characters long; the limit is %(max)s.")
                    % {"len": f"{text_length(text):,}", "max": f"{MAX_TEXT:,}"},
                )
        elif kind == "coupon":
            if not coupon_is_open(account.pk, msg.get("couponId")):
                raise _bubble_error(i, _("choose a coupon that is running."))
        elif kind in ("image", "video"):
            keys.add(_asset_keys(msg.get("originalContentUrl")) or "")
            keys.add(_asset_keys(msg.get("previewImageUrl")) or "")
        elif kind == "audio":
            keys.add(_asset_keys(msg.get("originalContentUrl")) or "")
        elif kind == "imagemap":
            keys.add(_asset_keys(msg.get("baseUrl")) or "")
            actions = msg.get("actions")
            if not isinstance(actions, list) or not actions:
                raise _bubble_error(i, _("add at least one tap area."))
            if len(actions) > MAX_RICH_AREAS:
                raise _bubble_error(
                    i,
                    _("a rich message has at most %(n)d tap areas.")
                    % {"n": MAX_RICH_AREAS},
                )
            for action in actions:
                value = (action or {}).get("linkUri") or (action or {}).get("text")
                if not value:
                    raise _bubble_error(i, _("give every tap area a link or a text."))
            _imagemap_areas_check(i, msg)
        elif kind == "template":
            template = msg.get("template") or {}
            if template.get("type") != "carousel":
                raise _bubble_error(i, _("only card-type messages are supported."))
            columns = template.get("columns")
            if not isinstance(columns, list) or not 1 <= len(columns) <= MAX_CARDS:
                raise _bubble_error(i, _("add 1 to %(n)d cards.") % {"n": MAX_CARDS})
            for column in columns:
                url = (column or {}).get("thumbnailImageUrl")
                if url:
                    keys.add(_asset_keys(url) or "")
                actions = (column or {}).get("actions") or []
                if len(actions) > MAX_CARD_ACTIONS:
                    raise _bubble_error(
                        i,
                        _("a card has at most %(n)d buttons.")
                        % {"n": MAX_CARD_ACTIONS},
                    )
    if keys:
        found = set(
            BroadcastAsset.objects.filter(account=account, key__in=keys).values_list(
                "key", flat=True
            )
        )
        if found != keys:
            msg = _("Upload the images again: an image is missing or not valid.")
            raise ApplicationError(msg, {"messages": msg})
    try:
        messages_validate(messages, max_count=MAX_BUBBLES, account_id=account.pk)
    except MessagesInvalid as exc:
        details = "; ".join(error_for_people(e) for e in exc.errors)
        msg = _("The bubbles are not valid: %(details)s") % {"details": details}
        raise ApplicationError(msg, {"messages": msg}) from None
    return messages


_PATH_PART = re.compile(r"(\w+)(?:\[(\d+)\])?")


def error_for_people(error: dict) -> str:
    """One validator error (``{"property", "message"}``, the API's terms) as
    staff read it, in their language: ``Bubble 2 · card 1 · button 1 ·
    label: fill this in``. Unknown parts and messages are kept as they are.
    """
    places = {
        "messages": _("Bubble %(n)d"),
        "columns": _("card %(n)d"),
        "actions": _("button %(n)d"),
        "contents": _("card %(n)d"),
    }
    fields = {
        "text": _("text"),
        "title": _("title"),
        "label": _("label"),
        "uri": _("link"),
        "linkUri": _("link"),
        "altText": _("alt text"),
        "data": _("postback data"),
        "thumbnailImageUrl": _("image"),
        "originalContentUrl": _("file"),
        "previewImageUrl": _("image"),
    }
    parts = []
    for name, index in _PATH_PART.findall(error.get("property", "")):
        if index and name in places:
            parts.append(str(places[name]) % {"n": int(index) + 1})
        elif name in fields:
            parts.append(str(fields[name]))
        elif name not in ("template", "defaultAction", "area"):
            parts.append(name + (f"[{index}]" if index else ""))
    raw = error.get("message", "")
    if raw in ("May not be empty", "must be specified", "must be non-empty text"):
        said = _("fill this in")
    elif raw in ("invalid uri scheme", "invalid uri", "Must be a valid URL"):
        said = _("enter a link starting with https://")
    elif raw.startswith(("Length must be between", "Size must be between")):
        said = _("too long or too many")
    elif raw == UNSTORABLE:
        said = _("contains a character that cannot be sent")
    else:
        said = raw
    return f"{' · '.join(parts)}: {said}" if parts else said


def _imagemap_areas_check(index: int, msg: dict) -> None:
    size = msg.get("baseSize") or {}
    height = size.get("height")
    for action in msg["actions"]:
        area = (action or {}).get("area") or {}
        try:
            x, y, w, h = (int(area[k]) for k in ("x", "y", "width", "height"))
        except (KeyError, TypeError, ValueError):
            raise _bubble_error(index, _("a tap area is not valid.")) from None
        if (
            w <= 0
            or h <= 0
            or x < 0
            or y < 0
            or x + w > IMAGEMAP_BASE_WIDTH
            or (isinstance(height, int) and y + h > height)
        ):
            raise _bubble_error(index, _("a tap area lies outside the image."))
