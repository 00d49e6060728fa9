"""Flex messages as the talk app draws them (REF#flex-message).

Bubbles and carousels of boxes, texts, images, icons, buttons, separators,
fillers and videos become a tree of plain dicts whose CSS is built only
from LINE's keywords (in CSS pixels, as the Flex Message Simulator draws
them) or strictly matched values. Part of the one bubble renderer
(``messaging.store.rendering``, docs/rendering.md); validation is
``messaging.store.flex``.
"""

import re

from messaging.store.rendering_values import (
    _dict,
    _list,
    _num,
    _px,
    _ratio,
    _str,
    _style,
    action_view,
    action_view_labelled,
    colour,
    href_safe,
)

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
MAX_FLEX_DEPTH = 12


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
