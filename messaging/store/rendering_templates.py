"""Template and imagemap messages as the talk app draws them.

Buttons, confirm, carousel and image carousel templates
(REF#template-messages) and imagemaps with their tap areas and video
(REF#imagemap-message), as plain dicts for the templates under
``templates/messaging/store/bubbles/``. Part of the one bubble renderer
(``messaging.store.rendering``, docs/rendering.md).
"""

from messaging.store.rendering_values import (
    _dict,
    _list,
    _num,
    _str,
    _style,
    action_view,
    action_view_labelled,
    colour,
    href_safe,
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
