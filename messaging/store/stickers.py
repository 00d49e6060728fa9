"""Stickers as LINE numbers them, drawn with this project's own artwork.

A bot may send only the stickers of LINE's sendable packages (LINE's
sticker list, developers.line.biz/en/docs/messaging-api/sticker-list/):
15 packages, each a contiguous range of sticker IDs. ``SENDABLE`` holds
them; the API, the Manager and the talk app accept exactly these, and the
talk app's picker offers the same IDs. Sticker IDs never repeat across the
packages, so a sticker ID alone names its package.

We ship no LINE artwork: each sticker is drawn by ``sticker_svg`` (a face in
the package's character and colour with one of 40 moods) and served by
``messaging.store.views.sticker_image``. The mood also gives the sticker's
``keywords`` (sent in webhook events as LINE does) and its label.

Messages stored before LINE's numbering (package ``lineoa-1``) are still
drawn from ``static/talk/stickers/<n>.svg`` but can no longer be sent.
"""

from dataclasses import dataclass
from functools import cached_property

from django.templatetags.static import static
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _

LEGACY_PACKAGE_ID = "lineoa-1"


@dataclass(frozen=True)
class Package:
    package_id: str
    first: int  # first and last sticker ID, inclusive (LINE's list)
    last: int
    resource_type: str  # ``stickerResourceType`` in webhook events
    character: str  # our own drawing: bear, bunny, chick, cat, moon
    color: str

    @property
    def sticker_ids(self) -> range:
        return range(self.first, self.last + 1)


SENDABLE: dict[str, Package] = {
    p.package_id: p
    for p in [
        Package("446", 1988, 2027, "STATIC", "moon", "#fff6c9"),
        Package("789", 10855, 10894, "STATIC", "chick", "#ffe066"),
        Package("1070", 17839, 17878, "STATIC", "moon", "#ffe9a8"),
        Package("6136", 10551376, 10551399, "STATIC", "bear", "#c8a27a"),
        Package("6325", 10979904, 10979927, "STATIC", "bear", "#b98b5e"),
        Package("6359", 11069848, 11069871, "STATIC", "bunny", "#ffffff"),
        Package("6362", 11087920, 11087943, "STATIC", "bunny", "#fdf1f4"),
        Package("6370", 11088016, 11088039, "STATIC", "bear", "#a97c50"),
        Package("6632", 11825374, 11825397, "STATIC", "cat", "#f2d3b3"),
        Package("8515", 16581242, 16581265, "STATIC", "cat", "#e8e8e8"),
        Package("8522", 16581266, 16581289, "STATIC", "chick", "#ffd43b"),
        Package("8525", 16581290, 16581313, "STATIC", "bunny", "#f8f0e3"),
        Package("11537", 52002734, 52002773, "ANIMATION", "bear", "#c49a6c"),
        Package("11538", 51626494, 51626533, "ANIMATION", "chick", "#ffe680"),
        Package("11539", 52114110, 52114149, "ANIMATION", "cat", "#d9c2f0"),
    ]
}


@dataclass(frozen=True)
class Mood:
    keywords: tuple[str, ...]
    label: Promise
    face: str  # smile, laugh, sad, surprise, wink, love, sleep, angry, calm
    symbol: str  # drawn beside the face; language-neutral


MOODS: tuple[Mood, ...] = (
    Mood(("hello", "hi", "wave"), _("Hello"), "smile", "Hi!"),
    Mood(("thanks", "thank you"), _("Thank you"), "laugh", "♥"),
    Mood(("ok", "okay", "sure"), _("OK"), "smile", "OK"),
    Mood(("love", "heart"), _("Love it"), "love", "♥"),
    Mood(("sorry", "apology"), _("Sorry"), "sad", "…"),
    Mood(("laugh", "lol", "happy"), _("Laughing"), "laugh", "♪"),
    Mood(("sad", "cry", "tears"), _("Sad"), "sad", "…"),
    Mood(("bye", "see you"), _("See you"), "wink", "Bye"),
    Mood(("surprised", "wow"), _("Surprised"), "surprise", "!"),
    Mood(("angry", "mad"), _("Angry"), "angry", "#"),
    Mood(("sleepy", "good night"), _("Good night"), "sleep", "zZ"),
    Mood(("question", "what"), _("What?"), "surprise", "?"),
    Mood(("cheer", "go", "fighting"), _("You can do it"), "laugh", "!!"),
    Mood(("yes", "agree"), _("Yes"), "smile", "✓"),
    Mood(("no", "disagree"), _("No"), "angry", "×"),
    Mood(("thinking", "hmm"), _("Thinking"), "calm", "?"),
    Mood(("good morning", "morning"), _("Good morning"), "smile", "☀"),
    Mood(("party", "celebrate"), _("Celebrate"), "laugh", "★"),
    Mood(("shy", "blush"), _("Shy"), "wink", "♡"),
    Mood(("tired", "exhausted"), _("Tired"), "sleep", "…"),
    Mood(("please", "request"), _("Please"), "calm", "♪"),
    Mood(("great", "awesome"), _("Great"), "laugh", "★"),
    Mood(("hungry", "food"), _("Hungry"), "surprise", "♨"),
    Mood(("music", "sing"), _("Singing"), "wink", "♪"),
    Mood(("hug", "comfort"), _("Hug"), "love", "♡"),
    Mood(("wait", "moment"), _("Just a moment"), "calm", "…"),
    Mood(("congrats", "congratulations"), _("Congratulations"), "laugh", "✿"),
    Mood(("worried", "nervous"), _("Worried"), "sad", "!?"),
    Mood(("cool", "nice"), _("Cool"), "wink", "✓"),
    Mood(("kiss", "love"), _("Kiss"), "love", "♥"),
    Mood(("busy", "working"), _("Busy"), "calm", "!"),
    Mood(("relax", "calm"), _("Relaxing"), "sleep", "♨"),
    Mood(("shock", "oh no"), _("Oh no"), "surprise", "!!"),
    Mood(("welcome", "hello"), _("Welcome"), "smile", "✿"),
    Mood(("hurry", "run"), _("Hurry"), "surprise", "»"),
    Mood(("peace", "victory"), _("Peace"), "wink", "V"),
    Mood(("giggle", "hehe"), _("Giggle"), "laugh", "♡"),
    Mood(("bored", "meh"), _("Bored"), "calm", "…"),
    Mood(("call", "phone"), _("Call me"), "smile", "☎"),
    Mood(("good job", "well done"), _("Well done"), "laugh", "✓"),
)


@dataclass(frozen=True)
class Sticker:
    package_id: str
    sticker_id: str
    resource_type: str
    mood: Mood
    character: str = "bear"
    color: str = "#ffffff"
    legacy: bool = False

    @property
    def keyword(self) -> str:
        return self.mood.keywords[0]

    @property
    def keywords(self) -> list[str]:
        return list(self.mood.keywords)

    @property
    def label(self) -> Promise:
        return self.mood.label

    @cached_property
    def url(self) -> str:
        if self.legacy:
            return static(f"talk/stickers/{self.sticker_id}.svg")
        return reverse("sticker-image", args=[self.package_id, self.sticker_id])


def _build() -> dict[str, Sticker]:
    stickers: dict[str, Sticker] = {}
    for package in SENDABLE.values():
        for index, number in enumerate(package.sticker_ids):
            stickers[str(number)] = Sticker(
                package_id=package.package_id,
                sticker_id=str(number),
                resource_type=package.resource_type,
                mood=MOODS[index % len(MOODS)],
                character=package.character,
                color=package.color,
            )
    return stickers


# Every sendable sticker by its (globally unique) sticker ID.
STICKERS: dict[str, Sticker] = _build()

# The talk app's stickers before LINE's numbering: drawn, never sent again.
LEGACY: dict[str, Sticker] = {
    str(n): Sticker(LEGACY_PACKAGE_ID, str(n), "STATIC", MOODS[i], legacy=True)
    for i, n in enumerate(range(1, 9))
}


def sticker_get(package_id: str, sticker_id: str) -> Sticker | None:
    """The sendable sticker ``package_id``/``sticker_id``, or None."""
    sticker = STICKERS.get(str(sticker_id))
    if sticker is None or sticker.package_id != str(package_id):
        return None
    return sticker


def sticker_drawable(package_id: str, sticker_id: str) -> Sticker | None:
    """A sticker we can draw: a sendable one or a stored ``lineoa-1`` one."""
    if package_id == LEGACY_PACKAGE_ID:
        return LEGACY.get(str(sticker_id))
    return sticker_get(package_id, sticker_id)


def sticker_packages() -> list[dict]:
    """The picker's sections: each package with its stickers, in LINE's order."""
    by_package: dict[str, list[Sticker]] = {}
    for sticker in STICKERS.values():
        by_package.setdefault(sticker.package_id, []).append(sticker)
    return [
        {"package_id": package_id, "stickers": by_package[package_id]}
        for package_id in SENDABLE
    ]


def sticker_message(sticker: Sticker) -> dict:
    """The message object a customer sends by tapping ``sticker``."""
    return {
        "type": "sticker",
        "packageId": sticker.package_id,
        "stickerId": sticker.sticker_id,
        "stickerResourceType": sticker.resource_type,
        "keywords": sticker.keywords,
    }


# --- Our own artwork -------------------------------------------------------

_INK = "#4a3b2f"


def _ears(character: str, color: str) -> str:
    stroke = f'fill="{color}" stroke="{_INK}" stroke-width="5"'
    if character == "bear":
        return (
            f'<circle cx="48" cy="62" r="20" {stroke}/>'
            f'<circle cx="152" cy="62" r="20" {stroke}/>'
        )
    if character == "bunny":
        return (
            f'<ellipse cx="72" cy="40" rx="14" ry="36" {stroke}/>'
            f'<ellipse cx="128" cy="40" rx="14" ry="36" {stroke}/>'
        )
    if character == "cat":
        return (
            f'<path d="M40 90 L52 34 L92 64 Z" {stroke} stroke-linejoin="round"/>'
            f'<path d="M160 90 L148 34 L108 64 Z" {stroke} stroke-linejoin="round"/>'
        )
    if character == "chick":
        return (
            f'<path d="M96 56 q-6 -22 8 -26 q-2 14 6 26" {stroke} '
            'stroke-linejoin="round"/>'
        )
    return ""  # moon: a plain round face


def _eyes(face: str) -> str:
    line = f'stroke="{_INK}" stroke-width="5" stroke-linecap="round" fill="none"'
    if face == "laugh":
        return f'<path d="M66 112 q12 -12 24 0 M110 112 q12 -12 24 0" {line}/>'
    if face == "sleep":
        return f'<path d="M66 112 h22 M112 112 h22" {line}/>'
    if face == "wink":
        return (
            f'<circle cx="78" cy="110" r="6" fill="{_INK}"/>'
            f'<path d="M110 112 q12 -10 24 0" {line}/>'
        )
    if face == "love":
        heart = "c-6 -8 -18 -2 -10 8 l10 10 l10 -10 c8 -10 -4 -16 -10 -8 z"
        return (
            f'<path d="M78 106 {heart}" fill="#ff6b81"/>'
            f'<path d="M122 106 {heart}" fill="#ff6b81"/>'
        )
    if face == "surprise":
        return (
            f'<circle cx="78" cy="110" r="9" fill="#fff" {line}/>'
            f'<circle cx="122" cy="110" r="9" fill="#fff" {line}/>'
        )
    if face == "angry":
        return (
            f'<path d="M64 96 l22 8 M136 96 l-22 8" {line}/>'
            f'<circle cx="78" cy="114" r="6" fill="{_INK}"/>'
            f'<circle cx="122" cy="114" r="6" fill="{_INK}"/>'
        )
    return (
        f'<circle cx="78" cy="112" r="6" fill="{_INK}"/>'
        f'<circle cx="122" cy="112" r="6" fill="{_INK}"/>'
    )


def _mouth(face: str) -> str:
    line = f'stroke="{_INK}" stroke-width="5" stroke-linecap="round" fill="none"'
    if face in ("sad", "angry"):
        return f'<path d="M86 146 q14 -12 28 0" {line}/>'
    if face == "surprise":
        return f'<ellipse cx="100" cy="142" rx="8" ry="10" fill="{_INK}"/>'
    if face == "laugh":
        return f'<path d="M84 132 q16 24 32 0 z" fill="#e8590c" {line}/>'
    if face in ("sleep", "calm"):
        return f'<path d="M90 140 h20" {line}/>'
    return f'<path d="M86 134 q14 14 28 0" {line}/>'


def sticker_svg(sticker: Sticker) -> str:
    """Our drawing of ``sticker`` (200 × 200 SVG); never LINE's artwork."""
    mood = sticker.mood
    label = escape(str(mood.label))
    tear = (
        '<path d="M134 120 q6 10 0 16 q-6 -6 0 -16z" fill="#4dabf7"/>'
        if mood.face == "sad"
        else ""
    )
    beak = (
        '<path d="M92 128 l8 8 l8 -8 z" fill="#f08c00"/>'
        if sticker.character == "chick"
        else ""
    )
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 200" '
        f'width="200" height="200" role="img" aria-label="{label}">'
        f"<title>{label}</title>"
        f"{_ears(sticker.character, sticker.color)}"
        f'<ellipse cx="100" cy="122" rx="70" ry="60" fill="{sticker.color}" '
        f'stroke="{_INK}" stroke-width="5"/>'
        '<ellipse cx="60" cy="136" rx="11" ry="7" fill="#ffb3b3"/>'
        '<ellipse cx="140" cy="136" rx="11" ry="7" fill="#ffb3b3"/>'
        f"{_eyes(mood.face)}{_mouth(mood.face)}{beak}{tear}"
        '<text x="166" y="44" text-anchor="middle" '
        'font-family="Arial Rounded MT Bold, Helvetica, sans-serif" '
        'font-size="30" font-weight="700" fill="#06c755" stroke="#fff" '
        f'stroke-width="6" paint-order="stroke">{escape(mood.symbol)}</text>'
        "</svg>"
    )
