"""The image maker: a rich menu image from a colour and a label per area.

For staff without a designer: Pillow fills each area of a layout with its
colour and writes its label (Japanese with a CJK font, core/fonts.py)
centred in white, and separates areas with thin lines. The result is a
JPEG of the layout's size, well under LINE's 1 MB.
"""

import io
import re
from collections.abc import Sequence

from PIL import Image, ImageDraw, ImageFont

from core.fonts import CJK_FONTS, LATIN_FONTS, font_find, is_latin
from richmenu.layouts import layout_bounds

HEX = r"#[0-9a-fA-F]{6}"
DEFAULT_COLOUR = "#06c755"


def _font(label: str, size: int, cjk_fonts: Sequence[str]):
    if is_latin(label):
        return font_find(LATIN_FONTS, size) or ImageFont.load_default(size=size)
    return font_find(cjk_fonts, size) or ImageFont.load_default(size=size)


def richmenu_image_make(
    *,
    tiles: list[dict],
    layout: str = "",
    size: tuple[int, int] | None = None,
    bounds: list[dict] | None = None,
    cjk_fonts: Sequence[str] = CJK_FONTS,
) -> bytes:
    """JPEG bytes for ``layout`` (or ``size`` and free-drawn ``bounds``);
    ``tiles[i]`` = ``{"colour", "label"}`` of area ``i`` (missing tiles are
    plain green; the image outside every area stays white)."""
    if layout:
        (width, height), bounds = layout_bounds(layout)
    else:
        width, height = size
    bounds = bounds or []
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    for i, box in enumerate(bounds):
        tile = tiles[i] if i < len(tiles) else {}
        colour = tile.get("colour") or DEFAULT_COLOUR
        if not re.fullmatch(HEX, colour):
            colour = DEFAULT_COLOUR
        x, y, w, h = box["x"], box["y"], box["width"], box["height"]
        draw.rectangle((x, y, x + w - 1, y + h - 1), fill=colour)
        draw.rectangle((x, y, x + w - 1, y + h - 1), outline="white", width=4)
        label = (tile.get("label") or "").strip()
        if label:
            size = max(24, min(h // 5, int(w * 0.8 / max(len(label), 1))))
            draw.text(
                (x + w / 2, y + h / 2),
                label,
                fill="white",
                font=_font(label, size, cjk_fonts),
                anchor="mm",
            )
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return out.getvalue()
