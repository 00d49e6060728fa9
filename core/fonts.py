"""Fonts for the images the product draws with text.

Japanese text needs a CJK font: Debian's ``fonts-noto-cjk`` (installed by
``.ci/ensure-services.sh`` and the README's commands). Latin text uses
DejaVu (``fonts-dejavu-core``). Callers take the lists as parameters so
that tests choose their fonts instead of depending on the machine.
"""

from collections.abc import Sequence
from functools import cache
from pathlib import Path

from PIL import ImageFont

LATIN_FONTS = ("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",)
CJK_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/fonts-japanese-gothic.ttf",
    "/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf",
)


@cache
def _truetype(path: str, size: int):
    return ImageFont.truetype(path, size)


def font_find(paths: Sequence[str], size: int):
    """The first of ``paths`` that exists, at ``size``; None if none does."""
    for path in paths:
        if Path(path).exists():
            return _truetype(path, size)
    return None


def is_latin(text: str) -> bool:
    """Whether DejaVu covers ``text`` (Latin, Greek, Cyrillic)."""
    return all(ord(char) < 0x0530 for char in text)
