"""Flex Message validation (spec section 2, "flex"; REF#flex-message).

Containers (bubble up to 30 KB, carousel of up to 12 bubbles and 50 KB)
and their components (box, button, image, video, icon, text, span,
separator, filler), with Flex's action label limit of 40
(REF#action-objects). ``_flex`` is the ``flex`` entry of
``validators._VALIDATORS``.
"""

import json

from messaging.store.checks import (
    ASPECT_RATIO,
    FLEX_LENGTH,
    FLEX_SIZE,
    HEX_COLOR,
    MAX_ALT_TEXT,
    MAX_FLEX_BUBBLE_BYTES,
    MAX_FLEX_BUBBLES,
    MAX_FLEX_CAROUSEL_BYTES,
    MAX_FLEX_DEPTH,
    MAY_NOT_BE_EMPTY,
    _action,
    _Check,
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
        c.wrong_type(prop)
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
