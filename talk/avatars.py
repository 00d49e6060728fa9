"""Generated profile pictures: the first letter of the name on a colour."""

import hashlib
import io
import unicodedata
from functools import cache
from pathlib import Path

from django.core.files.base import ContentFile
from PIL import Image, ImageDraw, ImageFont

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

# Latin initials use DejaVu (Debian's fonts-dejavu-core); a CJK initial needs
# a CJK font, which a server may not have: then a silhouette is drawn.
_LATIN_FONTS = ["/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"]
_CJK_FONTS = [
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/fonts-japanese-gothic.ttf",
    "/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf",
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


@cache
def _font(cjk: bool, size: int):
    for path in _CJK_FONTS if cjk else _LATIN_FONTS:
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    if cjk:
        return None
    return ImageFont.load_default(size=size)


def _is_latin(char: str) -> bool:
    # Latin, Greek and Cyrillic are covered by DejaVu.
    return ord(char) < 0x0530


def avatar_generate(*, name: str, seed: str) -> ContentFile:
    """A PNG square with the initial of ``name`` on a colour from ``seed``."""
    side = AVATAR_SIDE
    image = Image.new("RGB", (side, side), avatar_colour(seed))
    draw = ImageDraw.Draw(image)
    initial = _initial(name)
    font = _font(not _is_latin(initial), side // 2) if initial else None
    if font is not None:
        draw.text((side / 2, side / 2), initial, fill="white", font=font, anchor="mm")
    else:
        # Head and shoulders.
        draw.ellipse((side * 0.34, side * 0.2, side * 0.66, side * 0.52), fill="white")
        draw.ellipse((side * 0.18, side * 0.58, side * 0.82, side * 1.1), fill="white")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return ContentFile(out.getvalue(), name="avatar.png")
