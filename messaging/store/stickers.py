"""The talk app's own sticker set, drawn for this project as SVG files.

Files live in ``static/talk/stickers/<stickerId>.svg``. Stickers from other
packages (a bot may send LINE's package IDs) are shown as a labelled
placeholder, since we ship no LINE artwork.
"""

from dataclasses import dataclass

from django.templatetags.static import static
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

PACKAGE_ID = "lineoa-1"


@dataclass(frozen=True)
class Sticker:
    sticker_id: str
    keyword: str  # sent in the message object, like LINE's ``keywords``
    label: Promise  # shown to people (alt text, picker tooltip)

    @property
    def url(self) -> str:
        return static(f"talk/stickers/{self.sticker_id}.svg")


STICKERS: dict[str, Sticker] = {
    s.sticker_id: s
    for s in [
        Sticker("1", "hello", _("Hello")),
        Sticker("2", "thanks", _("Thank you")),
        Sticker("3", "ok", _("OK")),
        Sticker("4", "love", _("Love it")),
        Sticker("5", "sorry", _("Sorry")),
        Sticker("6", "laugh", _("Laughing")),
        Sticker("7", "sad", _("Sad")),
        Sticker("8", "bye", _("See you")),
    ]
}


def sticker_get(package_id: str, sticker_id: str) -> Sticker | None:
    """One of our stickers, or None for any other package's."""
    if package_id != PACKAGE_ID:
        return None
    return STICKERS.get(sticker_id)


def sticker_message(sticker: Sticker) -> dict:
    """The message object a customer sends by tapping ``sticker``."""
    return {
        "type": "sticker",
        "packageId": PACKAGE_ID,
        "stickerId": sticker.sticker_id,
        "stickerResourceType": "STATIC",
        "keywords": [sticker.keyword],
    }
