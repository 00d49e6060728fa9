"""The one bubble renderer: any stored LINE message object → talk-app HTML.

The customer's talk room, the Manager's chat pane and the composer's phone
preview all render a message through ``bubble_html`` (the ``{% bubble %}``
and ``{% message_bubble %}`` tags of ``messaging/templatetags/bubbles.py``),
so what staff preview is exactly what the customer gets. See
docs/rendering.md.

This module turns a message object (spec section 2, REF#message-objects)
into a plain tree of dicts for the templates under
``templates/messaging/store/bubbles/``; the templates escape every string
(autoescape). Nothing from the message is ever marked safe. CSS values are
built only from LINE's keywords or from values that match strict patterns
(colours, pixels, percentages); links only from
``http``/``https``/``tel``/``mailto``/``line`` URIs and site paths
(``href_safe``). One module per message family: text, stickers, media,
locations and coupons here, templates and imagemaps in
``rendering_templates``, Flex in ``rendering_flex``; the safe values and
actions they share in ``rendering_values``.

Stored messages passed validation, but a row may predate a rule or have
been written by hand: every reader here tolerates missing or mistyped
properties, and ``bubble_html`` falls back to a visibly marked alt text
when a message cannot be drawn at all.
"""

import logging
import re

from django.template.loader import render_to_string

from messaging.friends.models import LineUser
from messaging.store.coupons import coupon_view
from messaging.store.rendering_flex import flex_view
from messaging.store.rendering_templates import imagemap_view, template_view
from messaging.store.rendering_values import (
    _dict,
    _list,
    _num,
    _str,
    action_view_labelled,
    href_safe,
)
from messaging.store.stickers import sticker_drawable

logger = logging.getLogger(__name__)

# Types drawn by a template of their own; anything else is the fallback.
KNOWN_TYPES = (
    "text",
    "textV2",
    "sticker",
    "image",
    "video",
    "audio",
    "location",
    "imagemap",
    "template",
    "flex",
    "coupon",
)


# ---- Text ----------------------------------------------------------------------


def _utf16_split(text: str) -> list[str]:
    """``text`` as one string per UTF-16 code unit position (surrogate
    pairs take two slots, the second empty), so LINE's UTF-16 ``index``
    can address it."""
    slots: list[str] = []
    for ch in text:
        slots.append(ch)
        if ord(ch) > 0xFFFF:
            slots.append("")
    return slots


def text_parts(payload: dict, mentions: dict[str, str] | None = None) -> list[dict]:
    """A text or textV2 message as parts: ``{"text"}``, ``{"emoji"}`` or
    ``{"mention"}``, in order.

    text: each ``emojis[].index`` points at a ``$`` (UTF-16 index), which
    becomes a LINE emoji. textV2: ``{key}`` placeholders of
    ``substitution`` become a mention (``@name``) or an emoji; unknown keys
    stay as typed.
    """
    text = _str(payload, "text")
    parts: list[dict] = []
    if payload.get("type") == "textV2":
        substitution = _dict(payload, "substitution")
        pos = 0
        for found in re.finditer(r"\{([0-9a-zA-Z_]{1,20})\}", text):
            sub = substitution.get(found[1])
            if not isinstance(sub, dict):
                continue
            parts.append({"text": text[pos : found.start()]})
            if sub.get("type") == "emoji":
                parts.append(
                    {"emoji": f"{_str(sub, 'productId')}/{_str(sub, 'emojiId')}"}
                )
            else:
                mentionee = _dict(sub, "mentionee")
                if mentionee.get("type") == "all":
                    name = "All"
                else:
                    user_id = _str(mentionee, "userId")
                    name = (mentions or {}).get(user_id) or user_id[:9]
                parts.append({"mention": "@" + name})
            pos = found.end()
        parts.append({"text": text[pos:]})
        return [p for p in parts if p.get("text") != ""]
    emojis = {
        e["index"]: e
        for e in _list(payload, "emojis")
        if isinstance(e, dict) and isinstance(e.get("index"), int)
    }
    if not emojis:
        return [{"text": text}] if text else []
    slots = _utf16_split(text)
    buffer: list[str] = []
    for i, ch in enumerate(slots):
        emoji = emojis.get(i)
        if emoji is not None and ch == "$":
            if buffer:
                parts.append({"text": "".join(buffer)})
                buffer = []
            parts.append(
                {"emoji": f"{_str(emoji, 'productId')}/{_str(emoji, 'emojiId')}"}
            )
        else:
            buffer.append(ch)
    if buffer:
        parts.append({"text": "".join(buffer)})
    return parts


def _mention_names(payload: dict) -> dict[str, str]:
    """Display names of the users a textV2 message mentions (one query)."""
    ids = [
        _str(_dict(sub, "mentionee"), "userId")
        for sub in _dict(payload, "substitution").values()
        if isinstance(sub, dict) and sub.get("type") == "mention"
    ]
    ids = [i for i in ids if i]
    if not ids:
        return {}
    return dict(
        LineUser.objects.filter(user_id__in=ids).values_list("user_id", "display_name")
    )


# ---- Other types -------------------------------------------------------------


def _duration(ms) -> str:
    if isinstance(ms, bool) or not isinstance(ms, int | float) or ms < 0:
        return ""
    seconds = int(ms // 1000)
    return f"{seconds // 60}:{seconds % 60:02d}"


def _location_view(payload: dict) -> dict:
    lat, lng = _num(payload, "latitude"), _num(payload, "longitude")
    if lat is None or lng is None:
        raise ValueError("a location needs coordinates")
    return {
        "title": _str(payload, "title"),
        "address": _str(payload, "address"),
        "coords": f"{lat:.5f}, {lng:.5f}",
        "href": f"https://www.openstreetmap.org/?mlat={lat}&mlon={lng}"
        f"#map=17/{lat}/{lng}",
    }


def sender_view(payload: dict) -> dict | None:
    """The ``sender`` override (name, icon) shown above the bubble."""
    sender = _dict(payload, "sender")
    name, icon = _str(sender, "name"), href_safe(sender.get("iconUrl"))
    return {"name": name, "icon": icon} if name or icon else None


def quick_reply_view(payload) -> list[dict]:
    """The quick-reply chips of a message (at most 13, LINE's limit)."""
    items = []
    for item in _list(_dict(payload, "quickReply"), "items")[:13]:
        action = _dict(item, "action")
        view = action_view_labelled(action)
        if view is None:
            continue
        items.append({**view, "image": href_safe(item.get("imageUrl"))})
    return items


def bubble_context(
    payload, *, content_url: str | None = None, preview_url: str | None = None
) -> dict:
    """The template context of one message bubble.

    ``payload`` is a stored message object; ``content_url``/``preview_url``
    are the stored files of a customer's upload (they win over the
    payload's URLs). Raises ``ValueError`` (or any error of a malformed
    object) when the message cannot be drawn: ``bubble_html`` catches it.
    """
    if not isinstance(payload, dict):
        raise ValueError("a message object is a JSON object")
    kind = payload.get("type")
    ctx: dict = {
        "type": kind,
        "alt": _str(payload, "altText") or _str(payload, "text"),
        "sender": sender_view(payload),
    }
    if kind in ("text", "textV2"):
        mentions = _mention_names(payload) if kind == "textV2" else None
        ctx["parts"] = text_parts(payload, mentions)
    elif kind == "sticker":
        sticker = sticker_drawable(
            str(payload.get("packageId")), str(payload.get("stickerId"))
        )
        ctx["sticker"] = (
            {"url": sticker.url, "label": str(sticker.label)} if sticker else None
        )
    elif kind in ("image", "video"):
        original = content_url or href_safe(payload.get("originalContentUrl"))
        preview = (
            preview_url
            or href_safe(payload.get("previewImageUrl"))
            or (original if kind == "image" else None)
        )
        ctx["media"] = {
            "original": original,
            "preview": preview,
            "tracked": kind == "video" and bool(_str(payload, "trackingId")),
        }
    elif kind == "audio":
        ctx["media"] = {
            "original": content_url or href_safe(payload.get("originalContentUrl")),
            "duration": _duration(payload.get("duration")),
        }
    elif kind == "location":
        ctx["location"] = _location_view(payload)
    elif kind == "imagemap":
        ctx["imagemap"] = imagemap_view(payload)
    elif kind == "template":
        ctx["template"] = template_view(payload)
    elif kind == "flex":
        ctx["flex"] = flex_view(payload)
    elif kind == "coupon":
        coupon_id = _str(payload, "couponId")
        ctx["coupon"] = coupon_view(coupon_id) or {"id": coupon_id, "state": "missing"}
    else:
        ctx["type"] = "unknown"
    return ctx


def bubble_html(
    payload, *, content_url: str | None = None, preview_url: str | None = None
) -> str:
    """The HTML of one message bubble, the same on every surface.

    A message that cannot be drawn (malformed Flex that slipped past
    validation, an unknown or future type) becomes its alt text, visibly
    marked, never an error page.
    """
    try:
        context = bubble_context(
            payload, content_url=content_url, preview_url=preview_url
        )
        return render_to_string("messaging/store/bubbles/bubble.html", context)
    except Exception:
        logger.warning("message could not be rendered", exc_info=True)
        alt = ""
        if isinstance(payload, dict):
            alt = _str(payload, "altText") or _str(payload, "text")
        return render_to_string(
            "messaging/store/bubbles/bubble.html",
            {"type": "broken", "alt": alt, "sender": None},
        )


def quick_reply_html(payload) -> str:
    """The quick-reply chips of ``payload`` (empty string when none)."""
    items = quick_reply_view(payload)
    if not items:
        return ""
    return render_to_string(
        "messaging/store/bubbles/quick_reply.html", {"items": items}
    )
