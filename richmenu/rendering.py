"""One rich menu renderer for the talk app and the Manager's preview.

``menu_view`` turns a menu (or an unsaved rich menu object) into a tree of
plain values; ``templates/richmenu/_menu.html`` draws it. Taps reuse the
bubble renderer's action handling (``action_view``: links are ``href``,
other actions a ``data-action`` JSON for talk.js); ``richmenuswitch``
is added here, the one action only rich menus have.
"""

import json

from messaging.store.rendering_values import action_view


def _percent(value: int, whole: int) -> str:
    return f"{100 * value / whole:.4f}".rstrip("0").rstrip(".") + "%"


def _act(action) -> dict | None:
    if isinstance(action, dict) and action.get("type") == "richmenuswitch":
        clean = {
            "type": "richmenuswitch",
            "richMenuAliasId": str(action.get("richMenuAliasId", "")),
            "data": str(action.get("data", "")),
        }
        return {
            "json": json.dumps(clean, ensure_ascii=False, sort_keys=True),
            "label": str(action.get("label", "")),
            "type": "richmenuswitch",
        }
    return action_view(action)


def menu_view(
    *,
    width: int,
    height: int,
    areas: list,
    chat_bar_text: str,
    selected: bool,
    image_url: str = "",
    rich_menu_id: str = "",
) -> dict:
    """Values for ``richmenu/_menu.html``; areas as percentages of the image."""
    views = []
    for index, area in enumerate(areas):
        bounds = area.get("bounds") or {}
        try:
            x, y, w, h = (int(bounds[k]) for k in ("x", "y", "width", "height"))
        except (KeyError, TypeError, ValueError):
            continue
        views.append(
            {
                "index": index,
                "style": (
                    f"left:{_percent(x, width)};top:{_percent(y, height)};"
                    f"width:{_percent(w, width)};height:{_percent(h, height)}"
                ),
                "act": _act(area.get("action")) or {},
            }
        )
    return {
        "id": rich_menu_id,
        "ratio": f"{width} / {height}",
        "image": image_url,
        "chat_bar_text": chat_bar_text,
        "selected": selected,
        "areas": views,
    }


def menu_view_of(menu) -> dict:
    """``menu_view`` of a stored ``RichMenu``."""
    return menu_view(
        width=menu.width,
        height=menu.height,
        areas=menu.areas,
        chat_bar_text=menu.chat_bar_text,
        selected=menu.selected,
        image_url=menu.image.url if menu.image else "",
        rich_menu_id=menu.rich_menu_id,
    )
