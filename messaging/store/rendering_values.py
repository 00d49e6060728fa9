"""Safe values and actions for the bubble renderer (docs/rendering.md).

Small readers that never raise on a stored message object, the only
links and CSS values the renderer emits (``href_safe``, ``colour``,
``_px``, ``_ratio``, ``_style``: LINE's keywords or values matching strict
patterns), and what a tap does (``action_view``). Shared by every message
family in ``rendering``, ``rendering_templates`` and ``rendering_flex``,
and by the rich menu renderer.
"""

import json
import re

from django.urls import reverse

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
# The keys of an action the talk app's script may see.
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


def action_view_labelled(action) -> dict | None:
    """``action_view`` that keeps a button even when the tap does nothing."""
    if not isinstance(action, dict):
        return None
    return action_view(action) or {"label": _str(action, "label"), "inert": True}
