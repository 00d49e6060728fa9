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
built here only from LINE's keywords or from values that match strict
patterns (colours, pixels, percentages); links only from
``http``/``https``/``tel``/``mailto``/``line`` URIs and site paths
(``href_safe``).

Stored messages passed validation, but a row may predate a rule or have
been written by hand: every reader here tolerates missing or mistyped
properties, and ``bubble_html`` falls back to a visibly marked alt text
when a message cannot be drawn at all.
"""

import json
import logging
import re

from django.template.loader import render_to_string
from django.urls import reverse

from messaging.friends.models import LineUser
from messaging.store.coupons import coupon_view
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

SAFE_SCHEMES = ("http://", "https://", "tel:", "mailto:", "line://")
# Add-friend links that mean something inside the talk app (LINE's
# ``https://line.me/R/ti/p/@id`` and ``line://ti/p/@id``).
_ADD_FRIEND = re.compile(r"^(?:https://line\.me/R/|line://)ti/p/(@[\w.\-]{1,40})$")
# LINE's "chat with this account" link (``oaMessage``), with optional text.
_OA_MESSAGE = re.compile(
    r"^(?:https://line\.me/R/|line://)oaMessage/(@[\w.\-]{1,40})/?(?:\?.*)?$"
)

_HEX = re.compile(r"^#[0-9a-fA-F]{6}([0-9a-fA-F]{2})?$")
_PIXELS = re.compile(r"^\d{1,4}(\.\d{1,2})?(px|%)$")
_RATIO = re.compile(r"^(\d{1,4}(?:\.\d{1,2})?):(\d{1,4}(?:\.\d{1,2})?)$")

# LINE's Flex keywords in CSS pixels (Flex Message Simulator).
SPACING = {"none": 0, "xs": 2, "sm": 4, "md": 8, "lg": 12, "xl": 16, "xxl": 20}
TEXT_SIZE = {
    "xxs": 11,
    "xs": 13,
    "sm": 14,
    "md": 16,
    "lg": 19,
    "xl": 22,
    "xxl": 29,
    "3xl": 35,
    "4xl": 48,
    "5xl": 74,
}
IMAGE_SIZE = {
    "xxs": 40,
    "xs": 60,
    "sm": 80,
    "md": 100,
    "lg": 120,
    "xl": 140,
    "xxl": 160,
    "3xl": 180,
    "4xl": 200,
    "5xl": 220,
}
BORDER_WIDTH = {
    "none": 0,
    "light": 0.5,
    "normal": 1,
    "medium": 2,
    "semi-bold": 3,
    "bold": 4,
}
BUBBLE_WIDTH = {
    "nano": 120,
    "micro": 160,
    "deca": 220,
    "hecto": 241,
    "kilo": 260,
    "mega": 300,
    "giga": 386,
}
_ALIGN = {"start": "flex-start", "end": "flex-end", "center": "center"}
_GRAVITY = {"top": "flex-start", "bottom": "flex-end", "center": "center"}
_JUSTIFY = (
    "flex-start",
    "center",
    "flex-end",
    "space-between",
    "space-around",
    "space-evenly",
)
_ACTION_KEYS = (
    "type",
    "label",
    "text",
    "data",
    "displayText",
    "inputOption",
    "fillInText",
    "mode",
    "initial",
    "min",
    "max",
    "clipboardText",
)
MAX_FLEX_DEPTH = 12


# ---- Small readers that never raise -----------------------------------------


def _str(obj, key: str, default: str = "") -> str:
    value = obj.get(key) if isinstance(obj, dict) else None
    return value if isinstance(value, str) else default


def _dict(obj, key: str) -> dict:
    value = obj.get(key) if isinstance(obj, dict) else None
    return value if isinstance(value, dict) else {}


def _list(obj, key: str) -> list:
    value = obj.get(key) if isinstance(obj, dict) else None
    return value if isinstance(value, list) else []


def _num(obj, key: str) -> float | None:
    value = obj.get(key) if isinstance(obj, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


def href_safe(uri) -> str | None:
    """``uri`` if it may be a link or image address, else None.

    Only ``http``/``https``/``tel``/``mailto``/``line`` URIs, and paths on
    this site (``/media/…``: the Manager's uploads, which the validator
    accepts too). LINE's add-friend links open the account's profile in
    the talk app.
    """
    if not isinstance(uri, str) or len(uri) > 2000:
        return None
    found = _ADD_FRIEND.match(uri)
    if found:
        return reverse("talk:friend-add", args=[found.group(1)[1:]])
    found = _OA_MESSAGE.match(uri)
    if found:
        return reverse("talk:account-profile", args=[found.group(1)[1:]])
    if uri.lower().startswith(SAFE_SCHEMES):
        return uri
    if uri.startswith("/") and not uri.startswith(("//", "/\\")):
        return uri
    return None


def colour(value) -> str | None:
    return value if isinstance(value, str) and _HEX.match(value) else None


def _px(value, table: dict | None = None) -> str | None:
    """A CSS length from a LINE keyword (via ``table``) or ``12px``/``50%``."""
    if not isinstance(value, str):
        return None
    if table and value in table:
        return f"{table[value]}px"
    return value if _PIXELS.match(value) else None


def _ratio(value, default: tuple[float, float] = (1, 1)) -> str:
    """A CSS ``aspect-ratio`` from LINE's ``"20:13"``."""
    found = _RATIO.match(value) if isinstance(value, str) else None
    width, height = (float(found[1]), float(found[2])) if found else default
    if width <= 0 or height <= 0:
        width, height = default
    return f"{width:g} / {height:g}"


def _style(parts: list[tuple[str, str | None]]) -> str:
    return ";".join(f"{k}:{v}" for k, v in parts if v not in (None, ""))


# ---- Actions ---------------------------------------------------------------------


def action_view(action) -> dict | None:
    """What a tap does: ``{"href"}`` for a link, ``{"json"}`` for the talk
    app's script (postback, message, date-time picker, clipboard, camera,
    location), None when it does nothing (an unsafe link).

    ``json`` is a JSON string of the action's known keys only; the template
    escapes it into a ``data-action`` attribute.
    """
    if not isinstance(action, dict):
        return None
    kind = action.get("type")
    if kind == "uri":
        href = href_safe(
            action.get("uri") if "uri" in action else action.get("linkUri")
        )
        if href is None:
            return None
        # Links inside the site (LINE's add-friend links) open in place.
        return {
            "href": href,
            "label": _str(action, "label"),
            "internal": href.startswith("/"),
        }
    if kind not in (
        "message",
        "postback",
        "datetimepicker",
        "clipboard",
        "camera",
        "cameraRoll",
        "location",
    ):
        return None
    clean = {
        k: action[k]
        for k in _ACTION_KEYS
        if k in action and isinstance(action[k], str | int)
    }
    return {
        "json": json.dumps(clean, ensure_ascii=False, sort_keys=True),
        "label": _str(action, "label"),
        "type": kind,
    }


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


# ---- Templates (buttons, confirm, carousel, image carousel) ------------------------


def _template_column(column: dict, template: dict) -> dict:
    ratio = "1 / 1" if template.get("imageAspectRatio") == "square" else "1.51 / 1"
    return {
        "image": href_safe(column.get("thumbnailImageUrl")),
        "image_style": _style(
            [
                ("aspect-ratio", ratio),
                ("background-color", colour(column.get("imageBackgroundColor"))),
            ]
        ),
        "image_fit": "contain" if template.get("imageSize") == "contain" else "cover",
        "title": _str(column, "title"),
        "text": _str(column, "text"),
        "default": action_view(column.get("defaultAction")),
        "actions": [
            a for a in (action_view_labelled(x) for x in _list(column, "actions")) if a
        ],
    }


def action_view_labelled(action) -> dict | None:
    """``action_view`` that keeps a button even when the tap does nothing."""
    if not isinstance(action, dict):
        return None
    return action_view(action) or {"label": _str(action, "label"), "inert": True}


def template_view(payload: dict) -> dict:
    template = _dict(payload, "template")
    kind = template.get("type")
    if kind == "buttons":
        return {"kind": "buttons", "columns": [_template_column(template, template)]}
    if kind == "confirm":
        return {
            "kind": "confirm",
            "text": _str(template, "text"),
            "actions": [
                a
                for a in (action_view_labelled(x) for x in _list(template, "actions"))
                if a
            ],
        }
    if kind == "carousel":
        return {
            "kind": "carousel",
            "columns": [
                _template_column(c, template)
                for c in _list(template, "columns")
                if isinstance(c, dict)
            ],
        }
    if kind == "image_carousel":
        return {
            "kind": "image_carousel",
            "columns": [
                {
                    "image": href_safe(c.get("imageUrl")),
                    "action": action_view_labelled(c.get("action")),
                }
                for c in _list(template, "columns")
                if isinstance(c, dict)
            ],
        }
    raise ValueError(f"unknown template type {kind!r}")


# ---- Imagemap ---------------------------------------------------------------------


def _area_style(area: dict, height: float) -> str:
    values = [_num(area, k) for k in ("x", "y", "width", "height")]
    if any(v is None for v in values) or height <= 0:
        return ""
    x, y, w, h = values
    return _style(
        [
            ("left", f"{100 * x / 1040:.3f}%"),
            ("top", f"{100 * y / height:.3f}%"),
            ("width", f"{100 * w / 1040:.3f}%"),
            ("height", f"{100 * h / height:.3f}%"),
        ]
    )


def imagemap_view(payload: dict) -> dict:
    """The base image at 1040-wide proportions with its tap areas.

    LINE fetches ``{baseUrl}/{width}``; the talk app asks for 700 px.
    """
    base = href_safe(payload.get("baseUrl"))
    size = _dict(payload, "baseSize")
    height = _num(size, "height") or 1040
    areas = []
    for action in _list(payload, "actions"):
        if not isinstance(action, dict):
            continue
        view = action_view(
            {**action, "uri": action.get("linkUri")}
            if action.get("type") == "uri"
            else action
        )
        areas.append(
            {
                "style": _area_style(_dict(action, "area"), height),
                "act": view,
                "label": _str(action, "label") or _str(action, "text"),
            }
        )
    video = _dict(payload, "video")
    video_view = None
    if video:
        link = _dict(video, "externalLink")
        video_view = {
            "src": href_safe(video.get("originalContentUrl")),
            "poster": href_safe(video.get("previewImageUrl")),
            "style": _area_style(_dict(video, "area"), height),
            "link": href_safe(link.get("linkUri")),
            "link_label": _str(link, "label"),
        }
    return {
        "image": f"{base}/700" if base else None,
        "ratio": f"1040 / {height:g}",
        "areas": areas,
        "video": video_view,
        "alt": _str(payload, "altText"),
    }


# ---- Flex -------------------------------------------------------------------------


def _flex_value(comp: dict, parent_layout: str) -> str:
    flex = _num(comp, "flex")
    if parent_layout in ("horizontal", "baseline"):
        if flex is None:
            return "1 1 0"
        return "0 0 auto" if flex == 0 else f"{int(flex)} 1 0"
    if flex is None or flex == 0:
        return "0 0 auto"
    return f"{int(flex)} 1 auto"


def _common(comp: dict, parent_layout: str, margin: str | None) -> list:
    """Style parts every component shares: flex, margin, position, offsets."""
    side = "margin-top" if parent_layout == "vertical" else "margin-inline-start"
    parts: list = [("flex", _flex_value(comp, parent_layout)), (side, margin)]
    if comp.get("position") == "absolute":
        parts.append(("position", "absolute"))
    for key, css in (
        ("offsetTop", "top"),
        ("offsetBottom", "bottom"),
        ("offsetStart", "inset-inline-start"),
        ("offsetEnd", "inset-inline-end"),
    ):
        parts.append((css, _px(comp.get(key), SPACING)))
    return parts


def _text_style(comp: dict) -> list:
    decoration = comp.get("decoration")
    return [
        ("font-size", _px(comp.get("size"), TEXT_SIZE)),
        ("color", colour(comp.get("color"))),
        ("font-weight", "bold" if comp.get("weight") == "bold" else None),
        ("font-style", "italic" if comp.get("style") == "italic" else None),
        (
            "text-decoration",
            decoration if decoration in ("underline", "line-through") else None,
        ),
    ]


def _flex_component(comp, parent_layout: str, margin: str | None, depth: int):
    if not isinstance(comp, dict) or depth > MAX_FLEX_DEPTH:
        return None
    kind = comp.get("type")
    common = _common(comp, parent_layout, margin)
    act = action_view(comp.get("action")) if kind != "button" else None
    node: dict = {"type": kind, "act": act}
    if kind == "box":
        return _flex_box(comp, common, depth) | {"act": act}
    if kind == "text":
        align = comp.get("align")
        max_lines = _num(comp, "maxLines")
        node["spans"] = [
            {"text": _str(s, "text"), "style": _style(_text_style(s))}
            for s in _list(comp, "contents")
            if isinstance(s, dict) and s.get("type") == "span"
        ]
        node["text"] = _str(comp, "text")
        node["style"] = _style(
            common
            + _text_style(comp)
            + [
                (
                    "text-align",
                    {"start": "start", "end": "end", "center": "center"}.get(align),
                ),
                ("align-self", _GRAVITY.get(comp.get("gravity"))),
                ("white-space", "pre-wrap" if comp.get("wrap") else None),
                ("-webkit-line-clamp", str(int(max_lines)) if max_lines else None),
                ("line-height", _px(comp.get("lineSpacing"))),
            ]
        )
        node["cls"] = "wrap" if comp.get("wrap") else "nowrap"
        if comp.get("wrap") and max_lines:
            node["cls"] += " clamp"
        return node
    if kind == "image":
        size = comp.get("size") or "md"
        width = "100%" if size == "full" else _px(size, IMAGE_SIZE) or "100px"
        node["src"] = href_safe(comp.get("url"))
        node["fit"] = "contain" if comp.get("aspectMode") != "cover" else "cover"
        node["style"] = _style(
            common + [("justify-content", _ALIGN.get(comp.get("align"), "center"))]
        )
        node["img_style"] = _style(
            [
                ("width", width),
                ("aspect-ratio", _ratio(comp.get("aspectRatio"))),
                ("background-color", colour(comp.get("backgroundColor"))),
            ]
        )
        return node
    if kind == "icon":
        size = _px(comp.get("size"), TEXT_SIZE) or "16px"
        node["src"] = href_safe(comp.get("url"))
        node["style"] = _style(
            common
            + [
                ("height", size),
                ("aspect-ratio", _ratio(comp.get("aspectRatio"))),
                ("flex", "0 0 auto"),
            ]
        )
        return node
    if kind == "button":
        style = (
            comp.get("style")
            if comp.get("style") in ("primary", "secondary")
            else "link"
        )
        node["act"] = action_view_labelled(comp.get("action"))
        node["cls"] = f"{style} {'sm' if comp.get('height') == 'sm' else 'md'}"
        node["style"] = _style(
            common
            + [
                (
                    "background-color" if style != "link" else "color",
                    colour(comp.get("color")),
                ),
                ("align-self", _GRAVITY.get(comp.get("gravity"))),
            ]
        )
        return node
    if kind == "separator":
        node["style"] = _style(common + [("border-color", colour(comp.get("color")))])
        node["cls"] = "v" if parent_layout != "vertical" else "h"
        return node
    if kind == "filler":
        node["style"] = _style(common)
        return node
    if kind == "spacer":
        node["type"] = "filler"
        node["style"] = _style(
            [("flex", "0 0 auto"), ("height", _px(comp.get("size"), SPACING))]
        )
        return node
    if kind == "video":
        alt = _flex_component(comp.get("altContent"), "vertical", None, depth + 1)
        node["src"] = href_safe(comp.get("url"))
        node["poster"] = href_safe(comp.get("previewUrl"))
        node["style"] = _style(
            common + [("aspect-ratio", _ratio(comp.get("aspectRatio"), (16, 9)))]
        )
        node["alt"] = alt
        return node
    raise ValueError(f"unknown flex component {kind!r}")


def _flex_box(box: dict, common: list, depth: int) -> dict:
    layout = box.get("layout")
    if layout not in ("horizontal", "vertical", "baseline"):
        raise ValueError(f"unknown box layout {layout!r}")
    spacing = _px(box.get("spacing"), SPACING)
    children = []
    for i, child in enumerate(_list(box, "contents")):
        own = _px(child.get("margin"), SPACING) if isinstance(child, dict) else None
        margin = own or (spacing if i else None)
        node = _flex_component(child, layout, margin, depth + 1)
        if node is not None:
            children.append(node)
    border = box.get("borderWidth")
    border_px = f"{BORDER_WIDTH[border]}px" if border in BORDER_WIDTH else _px(border)
    gradient = _dict(box, "background")
    background = None
    if gradient.get("type") == "linearGradient":
        start, end = (
            colour(gradient.get("startColor")),
            colour(gradient.get("endColor")),
        )
        angle = _str(gradient, "angle")
        if start and end and re.fullmatch(r"\d{1,3}(\.\d+)?deg", angle):
            background = f"linear-gradient({angle}, {start}, {end})"
    style = _style(
        common
        + [
            ("background-color", colour(box.get("backgroundColor"))),
            ("background-image", background),
            ("border-style", "solid" if border_px or box.get("borderColor") else None),
            ("border-width", border_px or ("1px" if box.get("borderColor") else None)),
            ("border-color", colour(box.get("borderColor"))),
            ("border-radius", _px(box.get("cornerRadius"), SPACING)),
            ("width", _px(box.get("width"))),
            ("max-width", _px(box.get("maxWidth"))),
            ("height", _px(box.get("height"))),
            ("max-height", _px(box.get("maxHeight"))),
            ("padding", _px(box.get("paddingAll"), SPACING)),
            ("padding-top", _px(box.get("paddingTop"), SPACING)),
            ("padding-bottom", _px(box.get("paddingBottom"), SPACING)),
            ("padding-inline-start", _px(box.get("paddingStart"), SPACING)),
            ("padding-inline-end", _px(box.get("paddingEnd"), SPACING)),
            (
                "justify-content",
                box.get("justifyContent")
                if box.get("justifyContent") in _JUSTIFY
                else None,
            ),
            (
                "align-items",
                box.get("alignItems")
                if box.get("alignItems") in ("flex-start", "center", "flex-end")
                else None,
            ),
        ]
    )
    return {"type": "box", "layout": layout, "style": style, "children": children}


def _separator(block_style: dict) -> str:
    return f"1px solid {colour(block_style.get('separatorColor')) or '#e5e5e5'}"


def _flex_bubble(bubble) -> dict:
    if not isinstance(bubble, dict) or bubble.get("type") != "bubble":
        raise ValueError("not a bubble")
    styles = _dict(bubble, "styles")
    blocks = []
    for name in ("header", "hero", "body", "footer"):
        content = bubble.get(name)
        if not isinstance(content, dict):
            continue
        block_style = _dict(styles, name)
        node = _flex_component(content, "vertical", None, 0)
        if node is None:
            continue
        blocks.append(
            {
                "name": name,
                "node": node,
                "style": _style(
                    [
                        (
                            "background-color",
                            colour(block_style.get("backgroundColor")),
                        ),
                        (
                            "border-top",
                            _separator(block_style)
                            if block_style.get("separator") is True
                            else None,
                        ),
                    ]
                ),
            }
        )
    size = bubble.get("size") if bubble.get("size") in BUBBLE_WIDTH else "mega"
    return {
        "size": size,
        "style": _style([("width", f"{BUBBLE_WIDTH[size]}px")]),
        "direction": "rtl" if bubble.get("direction") == "rtl" else "ltr",
        "blocks": blocks,
        "act": action_view(bubble.get("action")),
    }


def flex_view(payload: dict) -> dict:
    contents = _dict(payload, "contents")
    if contents.get("type") == "carousel":
        return {
            "carousel": True,
            "bubbles": [_flex_bubble(b) for b in _list(contents, "contents")],
        }
    return {"carousel": False, "bubbles": [_flex_bubble(contents)]}


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
