"""What the Manager's bubble composer page needs, for every page using it.

Broadcasts, step messages, auto-responses and segments share the composer
script (``static/messaging/store/compose.js``); this module gives it stickers,
emoji, a sample nickname and its strings.
"""

import json

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import OfficialAccount
from core.exceptions import ApplicationError
from messaging.friends.selectors import friend_newest
from messaging.store.checks import MessagesInvalid
from messaging.store.coupons import coupon_choices
from messaging.store.placeholders import placeholders_render
from messaging.store.stickers import STICKERS
from messaging.store.validators import messages_validate

# The preview draws at most this many bubbles (LINE sends at most 5).
PREVIEW_MAX_BUBBLES = 5

EMOJI = [
    "😀",
    "😊",
    "😍",
    "🥰",
    "😉",
    "😂",
    "👍",
    "🙏",
    "👏",
    "🎉",
    "🎁",
    "✨",
    "💐",
    "🌸",
    "☕",
    "🍰",
    "🍜",
    "🛍️",
    "📣",
    "⏰",
    "📅",
    "❤️",
    "⭐",
    "🆕",
]


def json_field(value: str, *, default=None):
    """Parse a JSON form field; ``ApplicationError`` when it is not JSON."""
    if value in (None, ""):
        return default
    try:
        return json.loads(value)
    except ValueError:
        raise ApplicationError(_("The form data could not be read.")) from None


def composer_data(*, account: OfficialAccount) -> dict:
    """What the phone preview needs: stickers, a sample nickname, labels."""

    return {
        **preview_names(account),
        "stickers": [
            {
                "packageId": s.package_id,
                "stickerId": s.sticker_id,
                "url": s.url,
                "label": str(s.label),
            }
            for s in STICKERS.values()
        ],
        "emoji": EMOJI,
        # Running coupons of the account (``messaging.store.coupons``).
        "coupons": [
            {"couponId": cid, "title": title} for cid, title in coupon_choices(account)
        ],
        "previewUrl": reverse("broadcasts:bubbles-preview", args=[account.slug]),
        "i18n": composer_strings(),
    }


def preview_names(account: OfficialAccount) -> dict:
    """The names previews fill in: the newest friend's (or "Taro") and the
    account's (``{"nickname", "accountName"}``)."""
    sample = friend_newest(account=account)
    return {
        "nickname": sample.line_user.display_name if sample else "Taro",
        "accountName": account.display_name,
    }


def preview_html(*, account: OfficialAccount, messages) -> str:
    """The phone preview of draft ``messages`` (message objects), as HTML.

    Each bubble is filled with a sample friend's nickname and validated on
    its own (LINE's rules, spec section 2); a valid one is drawn by the one
    bubble renderer (``messaging.store.rendering``), exactly as the
    customer's talk room will draw it; an invalid one shows what is
    missing. Raises ``ApplicationError`` when ``messages`` is not a list.
    """
    if not isinstance(messages, list):
        raise ApplicationError(_("The form data could not be read."))
    names = preview_names(account)
    rows = []
    for message in messages[:PREVIEW_MAX_BUBBLES]:
        error = None
        if isinstance(message, dict):
            message = placeholders_render(
                [message],
                nickname=names["nickname"],
                account_name=names["accountName"],
            )[0]
        try:
            messages_validate([message], max_count=1)
        except MessagesInvalid as exc:
            error = "; ".join(
                f"{e['property'].removeprefix('messages[0].')}: {e['message']}"
                for e in exc.errors[:3]
            )
        rows.append({"payload": message, "error": error})
    return render_to_string("messaging/store/_preview.html", {"rows": rows})


def composer_strings() -> dict:
    """The composer's labels for its script, in the request's language."""
    return {
        "text": _("Text"),
        "sticker": _("Sticker"),
        "image": _("Image"),
        "video": _("Video"),
        "audio": _("Audio"),
        "uploadVideo": _("Upload a video (MP4, up to 200 MB)"),
        "uploadAudio": _("Upload an audio file (M4A or MP3, up to 200 MB)"),
        "poster": _("Preview image shown before it plays (JPEG or PNG)"),
        "imagemap": _("Rich message"),
        "template": _("Card-type message"),
        "coupon": _("Coupon"),
        "noCoupons": _("No running coupons: make one under Coupons first."),
        "addBubble": _("Add bubble"),
        "remove": _("Remove"),
        "moveUp": _("Move up"),
        "insertNickname": _("Insert nickname"),
        "characters": _("characters"),
        "upload": _("Upload an image (JPEG or PNG)"),
        "uploading": _("Uploading…"),
        "layout": _("Layout"),
        "area": _("Area"),
        "link": _("Link"),
        "sendText": _("Send text"),
        "altText": _("Notification text"),
        "card": _("Card"),
        "addCard": _("Add card"),
        "title": _("Title"),
        "button": _("Button"),
        "addButton": _("Add button"),
        "label": _("Label"),
        "sameButtons": _(
            "Every card needs the same number of buttons and the "
            "same image/title presence."
        ),
        "addCondition": _("Add condition"),
        "addGroup": _("Add group"),
        "all": _("All of these (AND)"),
        "any": _("Any of these (OR)"),
        "not": _("not"),
        "minDays": _("at least (days)"),
        "maxDays": _("less than (days)"),
        "field": _("Field"),
        "value": _("Value"),
        "recipients": _("Recipients"),
        "cost": _("Quota cost"),
        "remaining": _("Left this month"),
        "notCovered": _("The plan cannot cover this broadcast this month."),
        "counting": _("Counting…"),
        "incomplete": _("Choose a value for every condition to count recipients."),
        "noOptions": _("None defined yet."),
        "addStep": _("Add step"),
        "delay": _("Delay"),
        "condition": _("Only to friends matching conditions"),
        "uploadFailed": _("The upload failed; try again."),
        "ops": {
            "eq": _("is"),
            "contains": _("contains"),
            "gt": _("is above"),
            "lt": _("is below"),
            "before": _("is before"),
            "after": _("is after"),
            "set": _("is set"),
            "unset": _("is not set"),
        },
        "layouts": {
            "1": _("One area"),
            "2v": _("Two columns"),
            "2h": _("Two rows"),
            "3": _("One on top, two below"),
            "4": _("Four (2 × 2)"),
            "6": _("Six (3 × 2)"),
        },
    }
