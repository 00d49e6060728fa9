"""Generated profile pictures: the first letter of the name on a colour."""

import hashlib
import io
import unicodedata
from collections.abc import Sequence

from django.core.files.base import ContentFile
from PIL import Image, ImageDraw, ImageFont

from core.fonts import CJK_FONTS, LATIN_FONTS, font_find, is_latin

AVATAR_SIDE = 240

# Muted colours that keep white text readable.
PALETTE = [
    "#06c755",
    "#2f80ed",
    "#e8730c",
    "#7b61ff",
    "#e91e63",
    "#00a3a3",
    "#8d6e63",
    "#5c6bc0",
]


def avatar_colour(seed: str) -> str:
    """A stable palette colour for ``seed`` (same name, same colour)."""
    digest = hashlib.sha256(seed.encode()).digest()
    return PALETTE[digest[0] % len(PALETTE)]


def _initial(name: str) -> str:
    for char in name.strip():
        if unicodedata.category(char)[0] in "LN":
            return char.upper()
    return ""


def _font(initial: str, size: int, cjk_fonts: Sequence[str]):
    if is_latin(initial):
        return font_find(LATIN_FONTS, size) or ImageFont.load_default(size=size)
    return font_find(cjk_fonts, size)


def avatar_generate(
    *, name: str, seed: str, cjk_fonts: Sequence[str] = CJK_FONTS
) -> ContentFile:
    """A PNG square with the initial of ``name`` on a colour from ``seed``.

    A CJK initial is drawn with the first of ``cjk_fonts`` that exists
    (core/fonts.py); without one, a head-and-shoulders silhouette.
    """
    side = AVATAR_SIDE
    image = Image.new("RGB", (side, side), avatar_colour(seed))
    draw = ImageDraw.Draw(image)
    initial = _initial(name)
    font = _font(initial, side // 2, cjk_fonts) if initial else None
    if font is not None:
        draw.text((side / 2, side / 2), initial, fill="white", font=font, anchor="mm")
    else:
        # Head and shoulders.
        draw.ellipse((side * 0.34, side * 0.2, side * 0.66, side * 0.52), fill="white")
        draw.ellipse((side * 0.18, side * 0.58, side * 0.82, side * 1.1), fill="white")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return ContentFile(out.getvalue(), name="avatar.png")
