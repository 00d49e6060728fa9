"""LINE's rules for rich menu objects and images (spec section 4).

``richmenu_object_check`` walks a rich menu object as the API receives it
and returns LINE's error ``details``; ``richmenu_image_check`` applies the
image rules. Both are pure: nothing is read or written.
"""

import io

from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from core.exceptions import ApplicationError
from messaging.store.checks import MESSAGE_ACTIONS, _action, _Check
from richmenu.models import CHAT_BAR_TEXT_MAX, MAX_AREAS, NAME_MAX

IMAGE_MAX_BYTES = 1024 * 1024
MIN_WIDTH, MAX_WIDTH = 800, 2500
MIN_HEIGHT = 250
MIN_ASPECT = 1.45
IMAGE_TYPES = {"image/jpeg": "JPEG", "image/png": "PNG"}
# Rich menus take the message actions and the tab switch (REF#action-objects).
RICHMENU_ACTIONS = MESSAGE_ACTIONS + ("richmenuswitch",)


def size_problem(width: int, height: int) -> str | None:
    """Why ``width``×``height`` is not a rich menu size, or None."""
    if not MIN_WIDTH <= width <= MAX_WIDTH:
        return _("The width must be between 800 and 2500 pixels.")
    if height < MIN_HEIGHT:
        return _("The height must be at least 250 pixels.")
    if width / height < MIN_ASPECT:
        return _("The width divided by the height must be at least 1.45.")
    return None


def richmenu_object_check(data) -> list[dict]:
    """LINE's ``details`` for a rich menu object; empty when it is valid."""
    c = _Check()
    if not isinstance(data, dict):
        return [{"message": "Must be a JSON object", "property": "body"}]
    size = c.get(data, "size", "", "object", True)
    width = height = None
    if size is not None:
        width = c.integer(size, "width", "size", minimum=MIN_WIDTH, maximum=MAX_WIDTH)
        height = c.integer(size, "height", "size", minimum=MIN_HEIGHT)
        if width and height and height >= MIN_HEIGHT and width / height < MIN_ASPECT:
            c.add("size", "The aspect ratio (width / height) must be at least 1.45")
        if size_problem(width or 0, height or 0):
            width = height = None  # area bounds are checked against a valid size
    c.get(data, "selected", "", "boolean", True)
    c.string(data, "name", "", max_length=NAME_MAX)
    c.string(data, "chatBarText", "", max_length=CHAT_BAR_TEXT_MAX)
    areas = c.array(data, "areas", "", min_items=0, max_items=MAX_AREAS)
    for _i, path, area in c.objects(areas or [], "areas"):
        bounds = c.get(area, "bounds", path, "object", True)
        if bounds is not None:
            bp = f"{path}.bounds"
            x = c.integer(bounds, "x", bp, minimum=0)
            y = c.integer(bounds, "y", bp, minimum=0)
            w = c.integer(bounds, "width", bp, minimum=1)
            h = c.integer(bounds, "height", bp, minimum=1)
            if None not in (x, y, w, h, width, height) and (
                x + w > width or y + h > height
            ):
                c.add(bp, "The bounds must be inside the rich menu")
        _action(
            c,
            area.get("action"),
            f"{path}.action",
            allowed=RICHMENU_ACTIONS,
            label_required=False,
        )
    # "prop." prefixes from the walker become LINE's top-level names.
    return [
        {"message": e["message"], "property": e["property"].lstrip(".")}
        for e in c.errors
    ]


def richmenu_image_check(
    content: bytes, *, content_type: str, width: int, height: int
) -> str:
    """The image's Pillow format (``JPEG``/``PNG``), or raise.

    LINE's rules: JPEG or PNG, at most 1 MB, exactly the menu's size
    (which ``size_problem`` already bounds).
    """
    expected = IMAGE_TYPES.get(content_type.split(";")[0].strip().lower())
    if expected is None:
        raise ApplicationError(_("Upload a JPEG or PNG image."))
    if len(content) > IMAGE_MAX_BYTES:
        raise ApplicationError(_("The image must be 1 MB or smaller."))
    try:
        image = Image.open(io.BytesIO(content))
        image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ApplicationError(
            _("The file is not a valid JPEG or PNG image.")
        ) from None
    if image.format != expected:
        raise ApplicationError(_("Upload a JPEG or PNG image."))
    if (image.width, image.height) != (width, height):
        raise ApplicationError(
            _("The image must be %(w)s×%(h)s pixels, the menu's size.")
            % {"w": width, "h": height}
        )
    return image.format
