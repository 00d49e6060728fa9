"""What a customer does in the talk app: become someone, send messages.

Friendship changes (add, block, unblock) are ``chat.inbound``'s
``customer_follow``/``customer_block``; this module adds the talk-app specific
parts — persona creation with a picture, and turning a typed text, a tapped
sticker or an uploaded photo into a message object for
``chat.inbound.customer_message_send`` (store, inbox, automatic replies,
webhook).
"""

import secrets

from django.core.files.storage import default_storage
from django.utils.translation import gettext as _

from chat.inbound import customer_message_send
from core.exceptions import ApplicationError
from core.images import (
    PHOTO,
    PICTURE,
    PREVIEW_SIDE,
    image_check,
    image_original,
    image_preview,
    image_square,
)
from messaging.friends.models import Friend, LineUser
from messaging.friends.services import line_user_create
from messaging.store.checks import MAX_TEXT, text_length
from messaging.store.models import Message
from messaging.store.stickers import PACKAGE_ID, sticker_get, sticker_message
from talk.avatars import AVATAR_SIDE, avatar_generate


def persona_create(*, display_name: str, picture_upload=None, **profile) -> LineUser:
    """Create a customer persona with an uploaded or a generated picture.

    The upload is fully decoded before anything is written; a bad picture
    raises ``ApplicationError`` and nothing is stored.
    """
    display_name = display_name.strip()
    if not display_name:
        msg = _("Enter a display name.")
        raise ApplicationError(msg, {"display_name": msg})
    stem = secrets.token_hex(8)
    if picture_upload is not None:
        checked = image_check(picture_upload, use=PICTURE)
        picture = image_square(checked, side=AVATAR_SIDE, name=stem)
    else:
        picture = avatar_generate(name=display_name, seed=stem)
        picture.name = f"{stem}.png"
    try:
        return line_user_create(display_name=display_name, picture=picture, **profile)
    except Exception:
        # The picture is written when the row is saved; don't leave it behind
        # if the insert (or the validation just before it) failed.
        _delete_if_stored(f"lineusers/{picture.name}")
        raise


def _delete_if_stored(name: str) -> None:
    if default_storage.exists(name):
        default_storage.delete(name)


def text_send(*, friend: Friend, text: str) -> Message:
    """The customer sends ``text`` (1 to 5,000 characters) to the account."""
    if not text.strip():
        raise ApplicationError(_("Type a message first."))
    if text_length(text) > MAX_TEXT:
        raise ApplicationError(
            _("A message can be at most %(max)s characters long.") % {"max": MAX_TEXT}
        )
    return customer_message_send(friend=friend, message={"type": "text", "text": text})


def sticker_send(*, friend: Friend, sticker_id: str) -> Message:
    """The customer sends one of the talk app's stickers."""
    sticker = sticker_get(PACKAGE_ID, sticker_id)
    if sticker is None:
        raise ApplicationError(_("There is no such sticker."))
    return customer_message_send(friend=friend, message=sticker_message(sticker))


def image_send(*, friend: Friend, upload) -> Message:
    """The customer sends a JPEG/PNG photo (at most 10 MB).

    The original is kept as the message content (the Messaging API's
    ``/content``) and a preview of at most 240 px as ``/content/preview``.
    The file is checked completely before anything is written.
    """
    checked = image_check(upload, use=PHOTO)
    stem = secrets.token_hex(8)
    preview = image_preview(checked, side=PREVIEW_SIDE, name=stem)
    original = image_original(upload, checked, name=stem)
    message = {"type": "image", "contentProvider": {"type": "line"}}
    return customer_message_send(
        friend=friend, message=message, content=original, preview=preview
    )
