"""Printable sheets of point QR codes (PNG or PDF, made with Pillow).

Six codes to an A4 page at 150 dpi: the QR code (``qrcode``), the
account's name, the points it gives and until when. Pillow writes the PDF
itself (``Image.save(..., "PDF")``), so no PDF library is needed.
"""

import io
from collections.abc import Sequence

import qrcode
import qrcode.constants
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from PIL import Image, ImageDraw, ImageFont

from core.fonts import CJK_FONTS, LATIN_FONTS, font_find, is_latin
from shopcard.models import PointCode

PAGE = (1240, 1754)  # A4 at 150 dpi
COLS, ROWS = 2, 3
PER_PAGE = COLS * ROWS


def _font(text: str, size: int):
    fonts = LATIN_FONTS if is_latin(text) else CJK_FONTS
    return font_find(fonts, size) or ImageFont.load_default(size=size)


def _qr(url: str, side: int) -> Image.Image:
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2)
    qr.add_data(url)
    qr.make(fit=True)
    image = qr.make_image(fill_color="black", back_color="white").get_image()
    return image.convert("RGB").resize((side, side), Image.Resampling.NEAREST)


def _page(codes: Sequence[PointCode], urls: Sequence[str], name: str) -> Image.Image:
    page = Image.new("RGB", PAGE, "white")
    draw = ImageDraw.Draw(page)
    cell_w, cell_h = PAGE[0] // COLS, PAGE[1] // ROWS
    for i, (code, url) in enumerate(zip(codes, urls, strict=True)):
        x, y = (i % COLS) * cell_w, (i // COLS) * cell_h
        draw.rectangle(
            (x + 10, y + 10, x + cell_w - 10, y + cell_h - 10), outline="#bbbbbb"
        )
        side = cell_h - 200
        page.paste(_qr(url, side), (x + (cell_w - side) // 2, y + 30))
        lines = [
            name,
            ngettext("%(n)d point", "%(n)d points", code.points) % {"n": code.points},
            _("Valid until %(date)s")
            % {"date": timezone.localtime(code.expires_at).strftime("%Y-%m-%d")},
        ]
        if code.label:
            lines.insert(1, code.label)
        ty = y + 40 + side
        for line in lines[:4]:
            draw.text(
                (x + cell_w / 2, ty),
                line,
                fill="black",
                font=_font(line, 30),
                anchor="mt",
            )
            ty += 36
    return page


def sheet_make(
    *, codes: Sequence[PointCode], urls: Sequence[str], name: str, fmt: str
) -> bytes:
    """``fmt`` "PDF" (one page per six codes) or "PNG" (the first page)."""
    pages = [
        _page(codes[i : i + PER_PAGE], urls[i : i + PER_PAGE], name)
        for i in range(0, max(len(codes), 1), PER_PAGE)
    ]
    out = io.BytesIO()
    if fmt == "PDF":
        pages[0].save(
            out, format="PDF", resolution=150.0, save_all=True, append_images=pages[1:]
        )
    else:
        pages[0].save(out, format="PNG", optimize=True)
    return out.getvalue()
