"""Add-friend links (``/talk/add/@<basic id>``), the analogue of LINE's
``line.me/R/ti/p/@id``: building them, and reading them back from a pasted
URL or a QR code picture.
"""

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

import zxingcpp
from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import OfficialAccount
from core.exceptions import ApplicationError
from core.images import QR, image_check

# Basic IDs are ``@`` + 8 characters; premium IDs allow ``.``, ``_`` and ``-``.
_ID = r"@[A-Za-z0-9._-]{3,18}"


@dataclass(frozen=True)
class AddLink:
    basic_id: str  # with its ``@``
    source_code: str = ""


def add_friend_path(basic_id: str, *, source_code: str = "") -> str:
    """``/talk/add/@<id>`` (``basic_id`` with its ``@``), with ``?src=``."""
    path = reverse("talk:friend-add", kwargs={"basic_id": basic_id[1:]})
    return f"{path}?{urlencode({'src': source_code})}" if source_code else path


def add_friend_url(account: OfficialAccount, *, source_code: str = "") -> str:
    """The absolute add-friend URL for QR codes and buttons (uses SITE_URL)."""
    return settings.SITE_URL + add_friend_path(
        account.basic_id, source_code=source_code
    )


def add_link_parse(text: str) -> AddLink:
    """Read an add-friend link, LINE's own add-friend URL or an ID.

    Accepts this site's ``/talk/add/@id`` on any host, LINE's
    ``https://line.me/R/ti/p/@id`` and ``line://ti/p/@id`` (the ID as
    ``@`` or ``%40``), and a basic or premium ID typed as ``@id``. Raises
    ``ApplicationError`` for anything else.
    """
    text = text.strip()
    if re.fullmatch(_ID, text):
        return AddLink(basic_id=text.lower())
    parts = urlsplit(text)
    path = unquote(parts.path)
    if parts.scheme == "line" and parts.netloc == "ti":
        match = re.fullmatch(f"/p/({_ID})/?", path)
    elif parts.scheme in ("http", "https") and parts.netloc.lower() == "line.me":
        match = re.fullmatch(f"/R/ti/p/({_ID})/?", path)
    else:
        prefix = reverse("talk:home") + "add/"
        match = re.fullmatch(re.escape(prefix) + f"({_ID})/?", path)
    if parts.scheme not in ("", "http", "https", "line") or match is None:
        raise ApplicationError(
            _("This is not an add-friend link of an account on this site.")
        )
    source = parse_qs(parts.query).get("src", [""])[0]
    return AddLink(basic_id=match.group(1).lower(), source_code=source[:16])


def qr_decode(upload) -> str:
    """The text of the QR code in an uploaded JPEG/PNG picture.

    Raises ``ApplicationError`` for a file that is not a readable picture or
    that shows no QR code.
    """
    checked = image_check(upload, use=QR)
    results = zxingcpp.read_barcodes(
        checked.image.convert("L"), formats=zxingcpp.BarcodeFormat.QRCode
    )
    texts = [r.text for r in results if r.valid and r.text]
    if not texts:
        raise ApplicationError(_("No QR code was found in this picture."))
    return texts[0]


def point_token_parse(text: str) -> str | None:
    """The token of a point QR code's link (``/talk/points/<token>`` on
    any host), or None when ``text`` is something else."""
    path = unquote(urlsplit(text.strip()).path)
    prefix = reverse("talk:home") + "points/"
    match = re.fullmatch(re.escape(prefix) + r"([A-Za-z0-9_-]{8,32})/?", path)
    return match.group(1) if match else None
