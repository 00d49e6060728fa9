"""Validation of LINE message objects (spec section 2, REF#message-objects).

``messages_validate`` returns cleaned copies or raises ``MessagesInvalid``
whose ``errors`` are LINE's ``details`` entries (``message``, ``property``),
so the API can answer with LINE's error body and forms can show them.
Every message type the SDK can send is checked: text, textV2, sticker,
image, video, audio, location, imagemap, template, flex and coupon, with
their actions, quick replies and ``sender``. A property of the wrong JSON
type is also reported in ``MessagesInvalid.type_error`` (the first one), so
the API can answer as LINE's deserialiser does.

The limits, ``MessagesInvalid``, the ``_Check`` accumulator and action
objects live in ``checks``; Flex Messages in ``flex``.
"""

import re

from accounts.ids import USER_ID
from core.text import UNSTORABLE, unstorable_paths
from messaging.store.checks import (
    HEX_COLOR,
    IMAGEMAP_BASE_WIDTH,
    MAX_ALT_TEXT,
    MAX_CAROUSEL_COLUMNS,
    MAX_EMOJIS,
    MAX_IMAGEMAP_ACTIONS,
    MAX_QUICK_REPLY_ITEMS,
    MAX_SUBSTITUTIONS,
    MAX_TEXT,
    MAY_NOT_BE_EMPTY,
    QUICK_REPLY_ACTIONS,
    SUBSTITUTION_KEY,
    URL_INVALID,
    MessagesInvalid,
    _action,
    _Check,
    _uri,
)
from messaging.store.coupons import coupon_messages_check
from messaging.store.flex import _flex
from messaging.store.stickers import sticker_get

STICKER_INVALID = "Invalid sticker: not in LINE's list of sendable stickers"


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
            c.wrong_type(item)
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
    package_id = c.string(msg, "packageId", prop)
    sticker_id = c.string(msg, "stickerId", prop)
    c.string(msg, "quoteToken", prop, required=False)
    if (
        isinstance(package_id, str)
        and isinstance(sticker_id, str)
        and sticker_get(package_id, sticker_id) is None
    ):
        # Only LINE's sendable stickers (docs/stickers.md).
        c.add(prop, STICKER_INVALID)


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


# Where LINE validates a message's contents on their own and answers in its
# per-message form: (message type, the properties checked that way, the
# object the answer's ``property`` pointers are relative to). Flex contents
# and templates are relative to their container; imagemap actions and
# video and textV2 substitutions to the message itself.
_CONTAINERS = {
    "flex": (("contents",), "contents"),
    "template": (("template",), "template"),
    "imagemap": (("actions", "video"), ""),
    "textV2": (("substitution",), ""),
}
_MISSING = object()
_PATH_TOKEN = re.compile(r"\.([^.\[\]]+)|\[(\d+)\]")


def _in_container(path: str, item: str, kind) -> bool:
    if kind not in _CONTAINERS:
        return False
    # The container itself (missing, of the wrong type) is the request's
    # error; only what lies inside it is answered per message.
    return any(
        path.startswith((f"{item}.{key}.", f"{item}.{key}["))
        for key in _CONTAINERS[kind][0]
    )


def _pointer(path: str, base: str, msg: dict) -> tuple[str, object]:
    """``messages[0].contents.body.contents[1]`` → ``/body/contents/1`` and
    the value found there in ``msg`` (``_MISSING`` when absent)."""
    value: object = msg
    parts: list[str] = []
    for n, (name, index) in enumerate(_PATH_TOKEN.findall(path)):
        key: str | int = int(index) if index else name
        if isinstance(value, dict) and isinstance(key, str):
            value = value.get(key, _MISSING)
        elif isinstance(value, list) and isinstance(key, int) and key < len(value):
            value = value[key]
        else:
            value = _MISSING
        if n or not base:
            parts.append(str(key))
    return "/" + "/".join(parts), value


def _per_message_detail(error: dict, item: str, msg: dict) -> dict:
    """One "X error(s)" entry restated the way the per-message answer words
    it: a pointer relative to the container, LINE's lower-case messages."""
    base = _CONTAINERS[msg["type"]][1]
    pointer, value = _pointer(error["property"][len(item) :], base, msg)
    message = error["message"]
    if message == MAY_NOT_BE_EMPTY:
        message = "must be specified" if value is _MISSING else "must be non-empty text"
    elif message == URL_INVALID:
        message = "invalid uri scheme"
    elif message.startswith("Must be a JSON") or (
        pointer.endswith("/type") and message.startswith("Must be one of")
    ):
        message = "invalid property"
    return {"message": message, "property": pointer}


def messages_validate(
    messages,
    *,
    max_count: int = 5,
    prop: str = "messages",
    api: bool = False,
    account_id: int | None = None,
):
    """Validate a list of message objects; return them or raise.

    Raises ``MessagesInvalid`` in LINE's order: a property of the wrong
    JSON type first, then the request's "X error(s)", then (``api``) the
    first message whose contents are invalid, in the per-message form.
    ``api``: the Messaging API's rules — media URLs are https:// only and
    contents errors are answered per message; the Manager's forms keep
    every error in one list and accept their own same-origin uploads.
    ``account_id``: also check that coupon messages name a running coupon
    of that account (``messaging.store.coupons``).
    """
    if not isinstance(messages, list) or not messages:
        raise MessagesInvalid([{"message": MAY_NOT_BE_EMPTY, "property": prop}])
    if len(messages) > max_count:
        raise MessagesInvalid(
            [{"message": f"Size must be between 1 and {max_count}", "property": prop}]
        )
    errors: list[dict] = []
    type_errors: list[str] = []
    per_message: tuple[str, list[dict]] | None = None
    for i, msg in enumerate(messages):
        item = f"{prop}[{i}]"
        if not isinstance(msg, dict):
            errors.append({"message": "Must be a JSON object", "property": item})
            type_errors.append(item)
            continue
        bad = unstorable_paths(msg, item)
        if bad:
            # NUL and lone surrogates cannot be stored or sent on.
            errors += [{"message": UNSTORABLE, "property": path} for path in bad]
            continue
        kind = msg.get("type")
        if kind is not None and not isinstance(kind, str):
            type_errors.append(f"{item}.type")
            continue
        validator = _VALIDATORS.get(kind)
        if validator is None:
            errors.append(
                {
                    "message": "Must be one of the following values: "
                    f"[{', '.join(_VALIDATORS)}]",
                    "property": f"{item}.type",
                }
            )
            continue
        c = _Check(https_only=api)
        validator(msg, item, c)
        _quick_reply(msg, item, c)
        _sender(msg, item, c)
        inner = [
            e for e in c.errors if api and _in_container(e["property"], item, kind)
        ]
        errors += [e for e in c.errors if e not in inner]
        type_errors += [
            p for p in c.type_errors if not (api and _in_container(p, item, kind))
        ]
        if inner and per_message is None:
            details = [_per_message_detail(e, item, msg) for e in inner]
            per_message = (item, details)
    if type_errors:
        raise MessagesInvalid(errors, type_error=type_errors[0])
    if errors:
        raise MessagesInvalid(errors)
    if per_message is not None:
        item, details = per_message
        raise MessagesInvalid(
            details, message=f"A message ({item}) in the request body is invalid"
        )
    if account_id is not None:
        coupon_messages_check(account_id=account_id, messages=messages, prop=prop)
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
