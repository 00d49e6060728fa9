"""Checks shared by every LINE message object: limits, LINE's error details
and action objects.

Implements the common parts of spec section 2 (REF#message-objects): the
limits, ``MessagesInvalid`` carrying LINE's error ``details``
(``message``, ``property``; spec 1.1, REF#error-responses), text length in
UTF-16 code units, the ``_Check`` accumulator that walks one request, and
action objects (REF#action-objects, spec section 2 "Actions") with
``_action`` and ``_uri``. Message types live in ``validators``, Flex in
``flex``.
"""

import re
from urllib.parse import urlsplit

from core.exceptions import ApplicationError

MAX_TEXT = 5000
MAX_ALT_TEXT = 1500
MAX_URL = 2000
MAX_EMOJIS = 20
MAX_SUBSTITUTIONS = 100
MAX_QUICK_REPLY_ITEMS = 13
MAX_IMAGEMAP_ACTIONS = 50
MAX_CAROUSEL_COLUMNS = 10
MAX_FLEX_BUBBLES = 12
MAX_FLEX_BUBBLE_BYTES = 30 * 1024
MAX_FLEX_CAROUSEL_BYTES = 50 * 1024
MAX_FLEX_DEPTH = 10  # boxes nested deeper than this are refused
IMAGEMAP_BASE_WIDTH = 1040
MAY_NOT_BE_EMPTY = "May not be empty"
URL_INVALID = "Must be a valid URL"
HEX_COLOR = r"#[0-9a-fA-F]{6}([0-9a-fA-F]{2})?"

SUBSTITUTION_KEY = r"[0-9a-zA-Z_]{1,20}"
# Flex sizes and spacings: keywords or explicit pixels/percentages.
FLEX_LENGTH = r"(none|xs|sm|md|lg|xl|xxl|\d+(\.\d+)?(px|%))"
FLEX_SIZE = r"(xxs|xs|sm|md|lg|xl|xxl|3xl|4xl|5xl|full|\d+(\.\d+)?(px|%))"
ASPECT_RATIO = r"\d+(\.\d+)?:\d+(\.\d+)?"
URI_SCHEMES = ("http://", "https://", "line://", "tel:", "mailto:", "/")


class MessagesInvalid(ApplicationError):
    """Messages LINE refuses, in one of its three answers.

    ``type_error``: a property of the wrong JSON type (answered "The
    property, 'X', … is invalid"). ``per_message``: the contents of one
    message break LINE's rules (``message`` is "A message (messages[i]) in
    the request body is invalid", ``errors`` are relative to the message's
    container). Otherwise ``errors`` are the "X error(s)" details.
    """

    def __init__(
        self,
        errors: list[dict],
        type_error: str | None = None,
        *,
        message: str | None = None,
    ):
        super().__init__(message or f"The request body has {len(errors)} error(s)")
        self.errors = errors
        self.type_error = type_error
        self.per_message = message is not None


def text_length(text: str) -> int:
    """Length in UTF-16 code units, as LINE counts it."""
    return len(text.encode("utf-16-le")) // 2


_JSON_KINDS: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}


class _Check:
    """Collects LINE ``details`` entries while walking one request."""

    def __init__(self, *, https_only: bool = False) -> None:
        self.errors: list[dict] = []
        self.type_errors: list[str] = []
        # LINE's API takes media only from https:// URLs; the Manager also
        # stores its own uploads as same-origin paths (/media/...).
        self.https_only = https_only

    def add(self, prop: str, message: str) -> None:
        self.errors.append({"message": message, "property": prop})

    def wrong_type(self, prop: str) -> None:
        self.type_errors.append(prop)

    def get(self, obj: dict, key: str, prop: str, kind: str, required: bool):
        """``obj[key]`` if present and of JSON type ``kind``, else None."""
        value = obj.get(key)
        path = f"{prop}.{key}"
        if value is None:
            if required:
                self.add(path, MAY_NOT_BE_EMPTY)
            return None
        kinds = _JSON_KINDS[kind]
        if (isinstance(value, bool) and bool not in kinds) or not isinstance(
            value, kinds
        ):
            self.add(path, f"Must be a JSON {kind}")
            self.wrong_type(path)
            return None
        return value

    def string(
        self,
        obj: dict,
        key: str,
        prop: str,
        *,
        required: bool = True,
        max_length: int | None = None,
        utf16: bool = False,
        choices: tuple[str, ...] | None = None,
        pattern: str | None = None,
    ) -> str | None:
        value = self.get(obj, key, prop, "string", required)
        if value is None:
            return None
        path = f"{prop}.{key}"
        length = text_length(value) if utf16 else len(value)
        if required and not value.strip():
            self.add(path, MAY_NOT_BE_EMPTY)
        elif max_length is not None and length > max_length:
            self.add(path, f"Length must be between 0 and {max_length}")
        elif choices is not None and value not in choices:
            self.add(
                path, f"Must be one of the following values: [{', '.join(choices)}]"
            )
        elif pattern is not None and not re.fullmatch(pattern, value):
            self.add(path, "Invalid format")
        return value

    def url(
        self, obj: dict, key: str, prop: str, *, required: bool = True, limit=MAX_URL
    ) -> str | None:
        value = self.get(obj, key, prop, "string", required)
        if value is None:
            return None
        path = f"{prop}.{key}"
        if not value:
            self.add(path, MAY_NOT_BE_EMPTY)
        elif len(value) > limit:
            self.add(path, f"Length must be between 0 and {limit}")
        elif not value.startswith(
            ("https://",) if self.https_only else ("https://", "http://", "/")
        ) or value.startswith("//"):
            self.add(path, URL_INVALID)
        return value

    def integer(
        self,
        obj: dict,
        key: str,
        prop: str,
        *,
        required: bool = True,
        minimum: int | None = None,
        maximum: int | None = None,
        kind: str = "integer",
    ):
        value = self.get(obj, key, prop, kind, required)
        if value is None:
            return None
        if (minimum is not None and value < minimum) or (
            maximum is not None and value > maximum
        ):
            low = "-∞" if minimum is None else minimum
            high = "∞" if maximum is None else maximum
            self.add(f"{prop}.{key}", f"Must be between {low} and {high}")
        return value

    def array(
        self,
        obj: dict,
        key: str,
        prop: str,
        *,
        required: bool = True,
        min_items: int = 1,
        max_items: int | None = None,
    ) -> list | None:
        value = self.get(obj, key, prop, "array", required)
        if value is None:
            return None
        if len(value) < min_items or (max_items is not None and len(value) > max_items):
            high = "∞" if max_items is None else max_items
            self.add(f"{prop}.{key}", f"Size must be between {min_items} and {high}")
        return value

    def objects(self, items: list, prop: str):
        """``(index, path, item)`` of the dict items of an array."""
        for i, item in enumerate(items):
            path = f"{prop}[{i}]"
            if not isinstance(item, dict):
                self.add(path, "Must be a JSON object")
                self.wrong_type(path)
                continue
            yield i, path, item


ACTION_TYPES = (
    "postback",
    "message",
    "uri",
    "datetimepicker",
    "camera",
    "cameraRoll",
    "location",
    "richmenuswitch",
    "clipboard",
)


# Camera, camera roll and location actions only work in quick replies;
# richmenuswitch only in rich menus (spec section 2, "Actions").
MESSAGE_ACTIONS = ("postback", "message", "uri", "datetimepicker", "clipboard")
QUICK_REPLY_ACTIONS = MESSAGE_ACTIONS + ("camera", "cameraRoll", "location")
_PICKER_FORMATS = {
    "date": r"\d{4}-\d{2}-\d{2}",
    "time": r"\d{2}:\d{2}",
    "datetime": r"\d{4}-\d{2}-\d{2}(T|t)\d{2}:\d{2}",
}


_PICKER_RANGE = ("1900-01-01", "2100-12-31T23:59")


def _action(
    c: _Check,
    action,
    prop: str,
    *,
    allowed: tuple[str, ...] = MESSAGE_ACTIONS,
    label_max: int = 20,
    label_required: bool = True,
) -> None:
    """One action object (REF#action-objects) in the given context."""
    if not isinstance(action, dict):
        c.add(prop, "Must be a JSON object")
        c.wrong_type(prop)
        return
    kind = action.get("type")
    if kind not in allowed:
        c.add(
            f"{prop}.type",
            f"Must be one of the following values: [{', '.join(allowed)}]",
        )
        return
    c.string(action, "label", prop, required=label_required, max_length=label_max)
    if kind == "postback":
        c.string(action, "data", prop, max_length=300)
        display = c.string(action, "displayText", prop, required=False, max_length=300)
        text = c.string(action, "text", prop, required=False, max_length=300)
        if display is not None and text is not None:
            c.add(f"{prop}.text", "displayText and text cannot be used together")
        c.string(
            action,
            "inputOption",
            prop,
            required=False,
            choices=("closeRichMenu", "openRichMenu", "openKeyboard", "openVoice"),
        )
        c.string(action, "fillInText", prop, required=False, max_length=300)
    elif kind == "message":
        c.string(action, "text", prop, max_length=300)
    elif kind == "uri":
        _uri(c, action, "uri", prop)
        alt = c.get(action, "altUri", prop, "object", False)
        if alt is not None:
            _uri(c, alt, "desktop", f"{prop}.altUri")
    elif kind == "datetimepicker":
        c.string(action, "data", prop, max_length=300)
        mode = c.string(action, "mode", prop, choices=tuple(_PICKER_FORMATS))
        if mode in _PICKER_FORMATS:
            for key in ("initial", "max", "min"):
                value = c.string(action, key, prop, required=False)
                if value is None:
                    continue
                if not re.fullmatch(_PICKER_FORMATS[mode], value):
                    c.add(f"{prop}.{key}", "Invalid format")
                elif mode != "time" and not (
                    _PICKER_RANGE[0] <= value[:16].replace("t", "T") <= _PICKER_RANGE[1]
                ):
                    c.add(f"{prop}.{key}", "Must be between 1900-01-01 and 2100-12-31")
    elif kind == "richmenuswitch":
        c.string(action, "richMenuAliasId", prop, max_length=32)
        c.string(action, "data", prop, max_length=300)
    elif kind == "clipboard":
        c.string(action, "clipboardText", prop, max_length=1000)


def _uri(c: _Check, obj: dict, key: str, prop: str) -> None:
    value = c.string(obj, key, prop, max_length=1000)
    if value and not value.startswith(URI_SCHEMES):
        c.add(f"{prop}.{key}", "invalid uri scheme")
    elif value and value.startswith(("http://", "https://")):
        # "https://" alone (the composer's placeholder) names no site.
        try:
            host = urlsplit(value).hostname
        except ValueError:
            host = None
        if not host:
            c.add(f"{prop}.{key}", "invalid uri")
