"""Validation of LINE message objects (spec section 2).

``messages_validate`` returns cleaned copies or raises ``MessagesInvalid``
whose ``errors`` are LINE's ``details`` entries (``message``, ``property``),
so the API can answer with LINE's error body and forms can show them.
Every message type the SDK can send is checked: text, textV2, sticker,
image, video, audio, location, imagemap, template, flex and coupon, with
their actions, quick replies and ``sender``. A property of the wrong JSON
type is also reported in ``MessagesInvalid.type_error`` (the first one), so
the API can answer as LINE's deserialiser does.
"""

import json
import re

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
HEX_COLOR = r"#[0-9a-fA-F]{6}([0-9a-fA-F]{2})?"
USER_ID = r"U[0-9a-f]{32}"
SUBSTITUTION_KEY = r"[0-9a-zA-Z_]{1,20}"
# Flex sizes and spacings: keywords or explicit pixels/percentages.
FLEX_LENGTH = r"(none|xs|sm|md|lg|xl|xxl|\d+(\.\d+)?(px|%))"
FLEX_SIZE = r"(xxs|xs|sm|md|lg|xl|xxl|3xl|4xl|5xl|full|\d+(\.\d+)?(px|%))"
ASPECT_RATIO = r"\d+(\.\d+)?:\d+(\.\d+)?"
URI_SCHEMES = ("http://", "https://", "line://", "tel:", "mailto:", "/")


class MessagesInvalid(ApplicationError):
    def __init__(self, errors: list[dict], type_error: str | None = None):
        super().__init__(
            f"The request body has {len(errors)} error(s)",
        )
        self.errors = errors
        self.type_error = type_error


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

    def __init__(self) -> None:
        self.errors: list[dict] = []
        self.type_error: str | None = None

    def add(self, prop: str, message: str) -> None:
        self.errors.append({"message": message, "property": prop})

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
            self.type_error = self.type_error or path
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
        elif not value.startswith(("https://", "http://", "/")):
            self.add(path, "Must be a valid URL")
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
                self.type_error = self.type_error or path
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
        c.type_error = c.type_error or prop
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


def _text(msg: dict, prop: str, c: _Check) -> None:
    text = c.string(msg, "text", prop, max_length=MAX_TEXT, utf16=True)
    c.string(msg, "quoteToken", prop, required=False)
    emojis = c.array(msg, "emojis", prop, required=False, max_items=MAX_EMOJIS)
    if emojis is None:
        return
    units = text.encode("utf-16-le") if isinstance(text, str) else b""
    for _i, path, emoji in c.objects(emojis, f"{prop}.emojis"):
        index = c.integer(emoji, "index", path, minimum=0)
        c.string(emoji, "productId", path)
        c.string(emoji, "emojiId", path)
        if isinstance(index, int) and units[index * 2 : index * 2 + 2] != b"$\x00":
            c.add(f"{path}.index", "Must point at a $ in text")


def _text_v2(msg: dict, prop: str, c: _Check) -> None:
    c.string(msg, "text", prop, max_length=MAX_TEXT, utf16=True)
    c.string(msg, "quoteToken", prop, required=False)
    substitution = c.get(msg, "substitution", prop, "object", False)
    if substitution is None:
        return
    path = f"{prop}.substitution"
    if len(substitution) > MAX_SUBSTITUTIONS:
        c.add(path, f"Size must be between 0 and {MAX_SUBSTITUTIONS}")
    for key, value in substitution.items():
        item = f"{path}.{key}"
        if not re.fullmatch(SUBSTITUTION_KEY, key):
            c.add(item, "Invalid key")
            continue
        if not isinstance(value, dict):
            c.add(item, "Must be a JSON object")
            c.type_error = c.type_error or item
            continue
        kind = c.string(value, "type", item, choices=("mention", "emoji"))
        if kind == "emoji":
            c.string(value, "productId", item)
            c.string(value, "emojiId", item)
        elif kind == "mention":
            mentionee = c.get(value, "mentionee", item, "object", True)
            if mentionee is None:
                continue
            target = f"{item}.mentionee"
            mtype = c.string(mentionee, "type", target, choices=("user", "all"))
            if mtype == "user":
                c.string(mentionee, "userId", target, pattern=USER_ID)


def _sticker(msg: dict, prop: str, c: _Check) -> None:
    c.string(msg, "packageId", prop)
    c.string(msg, "stickerId", prop)
    c.string(msg, "quoteToken", prop, required=False)


def _image(msg: dict, prop: str, c: _Check) -> None:
    c.url(msg, "originalContentUrl", prop)
    c.url(msg, "previewImageUrl", prop)


def _video(msg: dict, prop: str, c: _Check) -> None:
    c.url(msg, "originalContentUrl", prop)
    c.url(msg, "previewImageUrl", prop)
    c.string(
        msg,
        "trackingId",
        prop,
        required=False,
        max_length=100,
        pattern=r"[a-zA-Z0-9!#$%&'()*+,\-./:;<=>?@\[\]^_`{|}~]{1,100}",
    )


def _audio(msg: dict, prop: str, c: _Check) -> None:
    c.url(msg, "originalContentUrl", prop)
    c.integer(msg, "duration", prop, minimum=0)


def _location(msg: dict, prop: str, c: _Check) -> None:
    c.string(msg, "title", prop, max_length=100)
    c.string(msg, "address", prop, max_length=100)
    c.integer(msg, "latitude", prop, minimum=-90, maximum=90, kind="number")
    c.integer(msg, "longitude", prop, minimum=-180, maximum=180, kind="number")


def _coupon(msg: dict, prop: str, c: _Check) -> None:
    c.string(msg, "couponId", prop)
    c.string(msg, "deliveryTag", prop, required=False, max_length=30)


def _area(c: _Check, obj: dict, prop: str) -> None:
    area = c.get(obj, "area", prop, "object", True)
    if area is None:
        return
    for key in ("x", "y", "width", "height"):
        c.integer(area, key, f"{prop}.area", minimum=0)


def _imagemap(msg: dict, prop: str, c: _Check) -> None:
    c.url(msg, "baseUrl", prop)
    c.string(msg, "altText", prop, max_length=MAX_ALT_TEXT, utf16=True)
    size = c.get(msg, "baseSize", prop, "object", True)
    if size is not None:
        width = c.integer(size, "width", f"{prop}.baseSize", minimum=1)
        c.integer(size, "height", f"{prop}.baseSize", minimum=1)
        if isinstance(width, int) and width != IMAGEMAP_BASE_WIDTH:
            c.add(f"{prop}.baseSize.width", f"Must be {IMAGEMAP_BASE_WIDTH}")
    actions = c.array(msg, "actions", prop, min_items=0, max_items=MAX_IMAGEMAP_ACTIONS)
    for _i, path, action in c.objects(actions or [], f"{prop}.actions"):
        kind = c.string(action, "type", path, choices=("uri", "message", "clipboard"))
        c.string(action, "label", path, required=False, max_length=100)
        if kind == "uri":
            _uri(c, action, "linkUri", path)
        elif kind == "message":
            c.string(action, "text", path, max_length=400)
        elif kind == "clipboard":
            c.string(action, "clipboardText", path, max_length=1000)
        _area(c, action, path)
    video = c.get(msg, "video", prop, "object", False)
    if video is not None:
        vprop = f"{prop}.video"
        c.url(video, "originalContentUrl", vprop)
        c.url(video, "previewImageUrl", vprop)
        _area(c, video, vprop)
        link = c.get(video, "externalLink", vprop, "object", False)
        if link is not None:
            _uri(c, link, "linkUri", f"{vprop}.externalLink")
            c.string(link, "label", f"{vprop}.externalLink", max_length=30)


def _template(msg: dict, prop: str, c: _Check) -> None:
    c.string(msg, "altText", prop, max_length=MAX_ALT_TEXT, utf16=True)
    template = c.get(msg, "template", prop, "object", True)
    if template is None:
        return
    tprop = f"{prop}.template"
    kind = c.string(
        template,
        "type",
        tprop,
        choices=("buttons", "confirm", "carousel", "image_carousel"),
    )
    if kind == "buttons":
        _buttons(c, template, tprop)
    elif kind == "confirm":
        c.string(template, "text", tprop, max_length=240, utf16=True)
        actions = c.array(template, "actions", tprop, min_items=2, max_items=2)
        for i, action in enumerate(actions or []):
            _action(c, action, f"{tprop}.actions[{i}]")
    elif kind == "carousel":
        _carousel(c, template, tprop)
    elif kind == "image_carousel":
        columns = c.array(template, "columns", tprop, max_items=MAX_CAROUSEL_COLUMNS)
        for _i, path, column in c.objects(columns or [], f"{tprop}.columns"):
            c.url(column, "imageUrl", path)
            _action(
                c,
                column.get("action"),
                f"{path}.action",
                label_max=12,
                label_required=False,
            )


def _image_options(c: _Check, obj: dict, prop: str) -> None:
    c.string(
        obj,
        "imageAspectRatio",
        prop,
        required=False,
        choices=("rectangle", "square"),
    )
    c.string(obj, "imageSize", prop, required=False, choices=("cover", "contain"))


def _buttons(c: _Check, template: dict, prop: str) -> None:
    image = c.url(template, "thumbnailImageUrl", prop, required=False)
    _image_options(c, template, prop)
    c.string(template, "imageBackgroundColor", prop, required=False, pattern=HEX_COLOR)
    title = c.string(template, "title", prop, required=False, max_length=40)
    limit = 60 if image or title else 160
    c.string(template, "text", prop, max_length=limit, utf16=True)
    if "defaultAction" in template:
        _action(c, template["defaultAction"], f"{prop}.defaultAction")
    actions = c.array(template, "actions", prop, max_items=4)
    for i, action in enumerate(actions or []):
        _action(c, action, f"{prop}.actions[{i}]")


def _carousel(c: _Check, template: dict, prop: str) -> None:
    _image_options(c, template, prop)
    columns = c.array(template, "columns", prop, max_items=MAX_CAROUSEL_COLUMNS)
    shapes = set()
    for _i, path, column in c.objects(columns or [], f"{prop}.columns"):
        image = c.url(column, "thumbnailImageUrl", path, required=False)
        c.string(
            column, "imageBackgroundColor", path, required=False, pattern=HEX_COLOR
        )
        title = c.string(column, "title", path, required=False, max_length=40)
        limit = 60 if image or title else 120
        c.string(column, "text", path, max_length=limit, utf16=True)
        if "defaultAction" in column:
            _action(c, column["defaultAction"], f"{path}.defaultAction")
        actions = c.array(column, "actions", path, max_items=3)
        for j, action in enumerate(actions or []):
            _action(c, action, f"{path}.actions[{j}]")
        shapes.add(
            (len(actions) if isinstance(actions, list) else 0, bool(image), bool(title))
        )
    if len(shapes) > 1:
        c.add(
            f"{prop}.columns",
            "Each column must have the same number of actions and the same "
            "image and title presence",
        )


_FLEX_COMPONENTS = (
    "box",
    "button",
    "image",
    "video",
    "icon",
    "text",
    "span",
    "separator",
    "filler",
)


_POSITION = ("relative", "absolute")
_GRAVITY = ("top", "bottom", "center")
_ALIGN = ("start", "end", "center")
_OFFSETS = ("offsetTop", "offsetBottom", "offsetStart", "offsetEnd")


def _flex_common(c: _Check, comp: dict, prop: str) -> None:
    c.integer(comp, "flex", prop, required=False, minimum=0)
    c.string(comp, "margin", prop, required=False, pattern=FLEX_LENGTH)
    c.string(comp, "position", prop, required=False, choices=_POSITION)
    for key in _OFFSETS:
        c.string(comp, key, prop, required=False, pattern=FLEX_LENGTH)
    if "action" in comp:
        _action(
            c,
            comp["action"],
            f"{prop}.action",
            label_max=40,
            label_required=False,
        )


def _flex_component(c: _Check, comp, prop: str, depth: int) -> None:
    if not isinstance(comp, dict):
        c.add(prop, "Must be a JSON object")
        c.type_error = c.type_error or prop
        return
    kind = c.string(comp, "type", prop, choices=_FLEX_COMPONENTS)
    if kind is None or kind not in _FLEX_COMPONENTS:
        return
    if kind == "box":
        _flex_box(c, comp, prop, depth)
        return
    if kind == "span":
        c.add(f"{prop}.type", "A span may only be used in a text's contents")
        return
    if kind not in ("separator", "video"):
        _flex_common(c, comp, prop)
    if kind == "text":
        spans = c.array(comp, "contents", prop, required=False, min_items=0)
        # Flex texts have no length limit of their own; the bubble size does.
        c.string(comp, "text", prop, required=not spans)
        for _i, path, span in c.objects(spans or [], f"{prop}.contents"):
            c.string(span, "type", path, choices=("span",))
            c.string(span, "text", path)
            _flex_text_style(c, span, path)
        _flex_text_style(c, comp, prop)
        c.string(comp, "align", prop, required=False, choices=_ALIGN)
        c.string(comp, "gravity", prop, required=False, choices=_GRAVITY)
        c.integer(comp, "maxLines", prop, required=False, minimum=0)
        c.string(comp, "adjustMode", prop, required=False, choices=("shrink-to-fit",))
    elif kind == "button":
        if "action" not in comp:
            c.add(f"{prop}.action", MAY_NOT_BE_EMPTY)
        c.string(
            comp,
            "style",
            prop,
            required=False,
            choices=("primary", "secondary", "link"),
        )
        c.string(comp, "height", prop, required=False, choices=("md", "sm"))
        c.string(comp, "gravity", prop, required=False, choices=_GRAVITY)
        c.string(comp, "color", prop, required=False, pattern=HEX_COLOR)
        c.string(comp, "adjustMode", prop, required=False, choices=("shrink-to-fit",))
    elif kind == "image":
        c.url(comp, "url", prop)
        c.string(comp, "size", prop, required=False, pattern=FLEX_SIZE)
        c.string(comp, "aspectRatio", prop, required=False, pattern=ASPECT_RATIO)
        c.string(comp, "aspectMode", prop, required=False, choices=("fit", "cover"))
        c.string(comp, "align", prop, required=False, choices=_ALIGN)
        c.string(comp, "gravity", prop, required=False, choices=_GRAVITY)
        c.string(comp, "backgroundColor", prop, required=False, pattern=HEX_COLOR)
    elif kind == "video":
        c.url(comp, "url", prop)
        c.url(comp, "previewUrl", prop)
        c.string(comp, "aspectRatio", prop, required=False, pattern=ASPECT_RATIO)
        if "altContent" not in comp:
            c.add(f"{prop}.altContent", MAY_NOT_BE_EMPTY)
        else:
            _flex_component(c, comp["altContent"], f"{prop}.altContent", depth + 1)
        if "action" in comp:
            _action(c, comp["action"], f"{prop}.action", label_max=40)
    elif kind == "icon":
        c.url(comp, "url", prop)
        c.string(comp, "size", prop, required=False, pattern=FLEX_SIZE)
        c.string(comp, "aspectRatio", prop, required=False, pattern=ASPECT_RATIO)
    elif kind == "separator":
        c.string(comp, "margin", prop, required=False, pattern=FLEX_LENGTH)
        c.string(comp, "color", prop, required=False, pattern=HEX_COLOR)


def _flex_text_style(c: _Check, comp: dict, prop: str) -> None:
    c.string(comp, "size", prop, required=False, pattern=FLEX_SIZE)
    c.string(comp, "color", prop, required=False, pattern=HEX_COLOR)
    c.string(comp, "weight", prop, required=False, choices=("regular", "bold"))
    c.string(comp, "style", prop, required=False, choices=("normal", "italic"))
    c.string(
        comp,
        "decoration",
        prop,
        required=False,
        choices=("none", "underline", "line-through"),
    )


def _flex_box(c: _Check, box: dict, prop: str, depth: int) -> None:
    if depth > MAX_FLEX_DEPTH:
        c.add(prop, f"Boxes may be nested at most {MAX_FLEX_DEPTH} deep")
        return
    c.string(box, "layout", prop, choices=("horizontal", "vertical", "baseline"))
    _flex_common(c, box, prop)
    for key in ("spacing", "paddingAll", "paddingTop", "paddingBottom"):
        c.string(box, key, prop, required=False, pattern=FLEX_LENGTH)
    for key in ("backgroundColor", "borderColor"):
        c.string(box, key, prop, required=False, pattern=HEX_COLOR)
    c.string(
        box,
        "justifyContent",
        prop,
        required=False,
        choices=(
            "center",
            "flex-start",
            "flex-end",
            "space-between",
            "space-around",
            "space-evenly",
        ),
    )
    c.string(
        box,
        "alignItems",
        prop,
        required=False,
        choices=("center", "flex-start", "flex-end"),
    )
    contents = c.array(box, "contents", prop, min_items=0)
    for i, comp in enumerate(contents or []):
        _flex_component(c, comp, f"{prop}.contents[{i}]", depth + 1)


def _flex_bubble(c: _Check, bubble: dict, prop: str) -> None:
    c.string(
        bubble,
        "size",
        prop,
        required=False,
        choices=("nano", "micro", "deca", "hecto", "kilo", "mega", "giga"),
    )
    c.string(bubble, "direction", prop, required=False, choices=("ltr", "rtl"))
    for block in ("header", "body", "footer"):
        box = c.get(bubble, block, prop, "object", False)
        if box is not None:
            bprop = f"{prop}.{block}"
            if box.get("type") != "box":
                c.add(f"{bprop}.type", "Must be one of the following values: [box]")
            else:
                _flex_box(c, box, bprop, 1)
    hero = c.get(bubble, "hero", prop, "object", False)
    if hero is not None:
        if hero.get("type") not in ("box", "image", "video"):
            c.add(
                f"{prop}.hero.type",
                "Must be one of the following values: [box, image, video]",
            )
        else:
            _flex_component(c, hero, f"{prop}.hero", 1)
    if "action" in bubble:
        _action(c, bubble["action"], f"{prop}.action", label_max=40)
    styles = c.get(bubble, "styles", prop, "object", False)
    for block in ("header", "hero", "body", "footer"):
        style = (
            c.get(styles, block, f"{prop}.styles", "object", False) if styles else None
        )
        if style is not None:
            sprop = f"{prop}.styles.{block}"
            c.string(style, "backgroundColor", sprop, required=False, pattern=HEX_COLOR)
            c.string(style, "separatorColor", sprop, required=False, pattern=HEX_COLOR)
            c.get(style, "separator", sprop, "boolean", False)


def _flex(msg: dict, prop: str, c: _Check) -> None:
    c.string(msg, "altText", prop, max_length=MAX_ALT_TEXT, utf16=True)
    contents = c.get(msg, "contents", prop, "object", True)
    if contents is None:
        return
    cprop = f"{prop}.contents"
    kind = c.string(contents, "type", cprop, choices=("bubble", "carousel"))
    size = len(json.dumps(contents, ensure_ascii=False).encode())
    if kind == "bubble":
        if size > MAX_FLEX_BUBBLE_BYTES:
            c.add(cprop, f"Size must be at most {MAX_FLEX_BUBBLE_BYTES} bytes")
        _flex_bubble(c, contents, cprop)
    elif kind == "carousel":
        if size > MAX_FLEX_CAROUSEL_BYTES:
            c.add(cprop, f"Size must be at most {MAX_FLEX_CAROUSEL_BYTES} bytes")
        bubbles = c.array(contents, "contents", cprop, max_items=MAX_FLEX_BUBBLES)
        for _i, path, bubble in c.objects(bubbles or [], f"{cprop}.contents"):
            if bubble.get("type") != "bubble":
                c.add(f"{path}.type", "Must be one of the following values: [bubble]")
            else:
                _flex_bubble(c, bubble, path)


def _quick_reply(msg: dict, prop: str, c: _Check) -> None:
    quick = c.get(msg, "quickReply", prop, "object", False)
    if quick is None:
        return
    qprop = f"{prop}.quickReply"
    items = c.array(quick, "items", qprop, max_items=MAX_QUICK_REPLY_ITEMS)
    for _i, path, item in c.objects(items or [], f"{qprop}.items"):
        c.string(item, "type", path, required=False, choices=("action",))
        c.url(item, "imageUrl", path, required=False, limit=1000)
        if "action" not in item:
            c.add(f"{path}.action", MAY_NOT_BE_EMPTY)
        else:
            _action(c, item["action"], f"{path}.action", allowed=QUICK_REPLY_ACTIONS)


def _sender(msg: dict, prop: str, c: _Check) -> None:
    sender = c.get(msg, "sender", prop, "object", False)
    if sender is None:
        return
    sprop = f"{prop}.sender"
    name = c.string(sender, "name", sprop, required=False, max_length=20)
    if name and re.search(r"LINE|ＬＩＮＥ", name, re.IGNORECASE):
        c.add(f"{sprop}.name", "Must not contain LINE")
    c.url(sender, "iconUrl", sprop, required=False)


_VALIDATORS = {
    "text": _text,
    "textV2": _text_v2,
    "sticker": _sticker,
    "image": _image,
    "video": _video,
    "audio": _audio,
    "location": _location,
    "imagemap": _imagemap,
    "template": _template,
    "flex": _flex,
    "coupon": _coupon,
}


def messages_validate(messages, *, max_count: int = 5, prop: str = "messages"):
    """Validate a list of message objects; return them or raise."""
    if not isinstance(messages, list) or not messages:
        raise MessagesInvalid([{"message": MAY_NOT_BE_EMPTY, "property": prop}])
    if len(messages) > max_count:
        raise MessagesInvalid(
            [{"message": f"Size must be between 1 and {max_count}", "property": prop}]
        )
    c = _Check()
    for i, msg in enumerate(messages):
        item = f"{prop}[{i}]"
        if not isinstance(msg, dict):
            c.add(item, "Must be a JSON object")
            c.type_error = c.type_error or item
            continue
        validator = _VALIDATORS.get(msg.get("type"))
        if validator is None:
            c.add(
                f"{item}.type",
                f"Must be one of the following values: [{', '.join(_VALIDATORS)}]",
            )
            continue
        validator(msg, item, c)
        _quick_reply(msg, item, c)
        _sender(msg, item, c)
    if c.errors:
        raise MessagesInvalid(c.errors, type_error=c.type_error)
    return messages


def message_text(msg: dict) -> str:
    """The searchable text of a message object."""
    kind = msg.get("type")
    if kind in ("text", "textV2"):
        return msg.get("text", "")
    if "altText" in msg:
        return msg["altText"]
    if kind == "location":
        return msg.get("title") or "[Location]"
    return {
        "sticker": "[Sticker]",
        "image": "[Image]",
        "video": "[Video]",
        "audio": "[Audio]",
        "coupon": "[Coupon]",
    }.get(kind, f"[{kind}]")
