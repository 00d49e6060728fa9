"""The image maker: colours and labels per area, Japanese with a CJK font.

Each test names the fonts it draws with (core/fonts.py), so the result
does not depend on which fonts the machine has.
"""

import io
from pathlib import Path

import pytest
from PIL import Image

from core.fonts import LATIN_FONTS
from richmenu.maker import richmenu_image_make
from richmenu.services import richmenu_create, richmenu_image_upload
from tests.richmenu.factories import menu_object

pytestmark = pytest.mark.django_db

NOTO_CJK = "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"


def _close(pixel, colour, tolerance=6) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour, strict=True))


def test_areas_get_their_colour_and_the_image_is_a_valid_menu_image(account):
    content = richmenu_image_make(
        layout="compact-2",
        tiles=[{"colour": "#2f80ed", "label": ""}, {"colour": "#e8730c", "label": ""}],
        cjk_fonts=(),
    )
    with Image.open(io.BytesIO(content)) as image:
        assert (image.format, image.size) == ("JPEG", (2500, 843))
        assert _close(image.getpixel((600, 400)), (0x2F, 0x80, 0xED))
        assert _close(image.getpixel((1900, 400)), (0xE8, 0x73, 0x0C))
    assert len(content) < 1024 * 1024
    # LINE's rules accept it as the image of a compact menu
    menu = richmenu_create(account=account, data=menu_object())
    richmenu_image_upload(menu=menu, content=content, content_type="image/jpeg")
    menu.refresh_from_db()
    assert menu.image_type == "image/jpeg"


def test_the_fonts_the_image_maker_needs_are_installed():
    """`make test` installs them (.ci/ensure-services.sh); a missing font
    fails here rather than skipping the drawing tests."""
    assert Path(LATIN_FONTS[0]).exists()
    assert Path(NOTO_CJK).exists()


def test_a_latin_label_is_drawn_in_white_at_the_centre():
    plain = richmenu_image_make(
        layout="compact-1", tiles=[{"colour": "#06c755", "label": ""}], cjk_fonts=()
    )
    labelled = richmenu_image_make(
        layout="compact-1", tiles=[{"colour": "#06c755", "label": "MENU"}], cjk_fonts=()
    )
    with Image.open(io.BytesIO(plain)) as a, Image.open(io.BytesIO(labelled)) as b:
        box = (1000, 300, 1500, 543)
        assert max(p[0] for p in a.crop(box).getdata()) < 40
        assert max(p[0] for p in b.crop(box).getdata()) > 200


def test_a_japanese_label_is_drawn_with_the_cjk_font():
    def white_pixels(fonts) -> int:
        content = richmenu_image_make(
            layout="compact-1",
            tiles=[{"colour": "#06c755", "label": "予約"}],
            cjk_fonts=fonts,
        )
        with Image.open(io.BytesIO(content)) as image:
            crop = image.crop((1000, 200, 1500, 643))
            return sum(1 for p in crop.getdata() if min(p) > 200)

    # Noto draws the glyphs; the default bitmap font has none for them
    assert white_pixels((NOTO_CJK,)) > 2 * max(white_pixels(()), 1)
