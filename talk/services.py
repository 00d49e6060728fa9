"""What a customer does in the talk app: become someone, send messages.

Friendship changes (add, block, unblock) are ``chat.inbound``'s
``customer_follow``/``customer_block``; this module adds the talk-app specific
parts — persona creation with a picture, and turning a typed text, a tapped
sticker, an uploaded photo, video or audio file or a chosen place into a
message object for ``chat.inbound.customer_message_send`` (store, inbox,
automatic replies, webhook), a tapped postback or date-time picker into
``chat.inbound.customer_postback`` and a watched video into
``chat.inbound.customer_video_play_complete``.
"""

import re
import secrets

from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from chat.inbound import (
    customer_message_send,
    customer_postback,
    customer_video_play_complete,
)
from core.exceptions import ApplicationError, NotFound
from core.images import (
    PHOTO,
    PICTURE,
    PREVIEW_SIDE,
    image_check,
    image_original,
    image_preview,
    image_square,
)
from core.media import MEDIA_MAX_BYTES, media_check, media_kind
from core.text import text_storable
from messaging.friends.models import Friend, LineUser
from messaging.friends.services import line_user_create
from messaging.store.checks import MAX_TEXT, text_length
from messaging.store.models import Message
from messaging.store.stickers import STICKERS, sticker_message
from richmenu.models import RichMenu
from richmenu.selectors import alias_get
from richmenu.services import richmenu_stat_record
from talk.avatars import AVATAR_SIDE, avatar_generate
from talk.models import PersonaOwner, TalkAccount


def persona_create(
    *, display_name: str, picture_upload=None, owner_id: int | None = None, **profile
) -> LineUser:
    """Create a customer persona with an uploaded or a generated picture,
    owned by the talk account ``owner_id`` (None: owned by nobody, e.g.
    demo or test data a staff member rehearses with).

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
        with transaction.atomic():
            persona = line_user_create(
                display_name=display_name, picture=picture, **profile
            )
            if owner_id is not None:
                PersonaOwner.objects.create(line_user=persona, owner_id=owner_id)
        return persona
    except Exception:
        # The picture is written when the row is saved; don't leave it behind
        # if the insert (or the validation just before it) failed.
        _delete_if_stored(f"lineusers/{picture.name}")
        raise


DEMO_TALK_LOGIN = "demo"


def talk_account_create(*, login: str, password: str) -> TalkAccount:
    """A new talk-app customer login; ``ApplicationError`` (on ``login``)
    when it is taken or empty. The password is stored hashed."""
    login = login.strip()
    if not login:
        msg = _("Enter a login.")
        raise ApplicationError(msg, {"login": msg})
    account = TalkAccount(login=login)
    account.set_password(password)
    try:
        with transaction.atomic():
            account.save()
    except IntegrityError:
        msg = _("This login is taken; choose another.")
        raise ApplicationError(msg, {"login": msg}) from None
    return account


def talk_demo_account() -> TalkAccount:
    """The one-click demo login (``TALK_DEMO_LOGIN``, on in ``make run``):
    owns the personas ``seed_demo`` made."""
    account, _created = TalkAccount.objects.get_or_create(
        login=DEMO_TALK_LOGIN, defaults={"is_demo": True, "password": "!"}
    )
    return account


def _delete_if_stored(name: str) -> None:
    if default_storage.exists(name):
        default_storage.delete(name)


def text_send(*, friend: Friend, text: str) -> Message:
    """The customer sends ``text`` (1 to 5,000 characters) to the account."""
    if not text.strip():
        raise ApplicationError(_("Type a message first."))
    if not text_storable(text):
        raise ApplicationError(
            _("The message contains a character that cannot be sent.")
        )
    if text_length(text) > MAX_TEXT:
        raise ApplicationError(
            _("A message can be at most %(max)s characters long.") % {"max": MAX_TEXT}
        )
    return customer_message_send(friend=friend, message={"type": "text", "text": text})


def sticker_send(*, friend: Friend, sticker_id: str) -> Message:
    """The customer sends one of LINE's sendable stickers, by its sticker ID
    (unique across the packages)."""
    sticker = STICKERS.get(sticker_id)
    if sticker is None:
        raise ApplicationError(_("There is no such sticker."))
    return customer_message_send(friend=friend, message=sticker_message(sticker))


def media_send(*, friend: Friend, upload) -> Message:
    """The customer sends a video (MP4) or an audio file (M4A, MP3), at most
    200 MB, as LINE's app does.

    The file becomes the message content (the Messaging API's ``/content``,
    served with its type); ``duration`` (ms) is read from an MP4/M4A.
    Anything else is refused before anything is written.
    """
    checked = media_check(upload, max_bytes=MEDIA_MAX_BYTES)
    message: dict = {"type": checked.kind, "contentProvider": {"type": "line"}}
    if checked.duration_ms is not None:
        message["duration"] = checked.duration_ms
    content = File(upload, name=f"{secrets.token_hex(8)}.{checked.extension}")
    return customer_message_send(friend=friend, message=message, content=content)


def upload_send(*, friend: Friend, upload) -> Message:
    """A file from the talk room's picker: a photo, a video or audio."""
    if media_kind(upload) is not None:
        return media_send(friend=friend, upload=upload)
    return image_send(friend=friend, upload=upload)


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


# LINE's limits for postback actions (REF#postback-action) and picker
# values (REF#datetime-picker-action).
POSTBACK_DATA_MAX = 300
PICKER_FORMATS = {
    "date": r"\d{4}-\d{2}-\d{2}",
    "time": r"\d{2}:\d{2}",
    "datetime": r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}",
}


def postback_send(
    *, friend: Friend, data: str, display_text: str = "", mode: str = "", value=""
) -> Message | None:
    """The customer tapped a postback (``data``, ``display_text``) or chose
    ``value`` in a date-time picker of ``mode`` date/time/datetime.

    Returns the message ``display_text`` became, if any. Raises
    ``ApplicationError`` for values LINE would never send.
    """
    if len(data) > POSTBACK_DATA_MAX or len(display_text) > POSTBACK_DATA_MAX:
        raise ApplicationError(_("This button sends more than LINE allows."))
    params = None
    if mode:
        pattern = PICKER_FORMATS.get(mode)
        if pattern is None or not re.fullmatch(pattern, value or ""):
            raise ApplicationError(_("Choose a date or time first."))
        params = {mode: value}
    return customer_postback(
        friend=friend, data=data, params=params, display_text=display_text.strip()
    )


def location_send(
    *, friend: Friend, title: str, address: str, latitude: float, longitude: float
) -> Message:
    """The customer shares a place (LINE's location message, spec 2).

    ``title`` defaults to the address; both are at most 100 characters.
    """
    address = address.strip()
    title = title.strip() or address
    if not address:
        raise ApplicationError(_("Enter the address of the place."))
    message = {
        "type": "location",
        "title": title[:100],
        "address": address[:100],
        "latitude": latitude,
        "longitude": longitude,
    }
    return customer_message_send(friend=friend, message=message)


def video_watched(*, friend: Friend, message_id) -> bool:
    """The customer's talk app played the account's video message
    ``message_id`` to the end (``videoPlayComplete`` if it is tracked)."""
    try:
        message_id = int(message_id)
    except (TypeError, ValueError):
        return False
    message = Message.objects.filter(friend=friend, pk=message_id).first()
    if message is None:
        return False
    return customer_video_play_complete(friend=friend, message=message)


# Rich menus (docs/richmenus.md) ------------------------------------------


def richmenu_switch(*, friend: Friend, alias_id: str, data: str):
    """The customer tapped a ``richmenuswitch`` area: the menu to show next.

    Resolves ``alias_id`` in the friend's account and sends LINE's
    ``postback`` event with ``params`` ``{"newRichMenuAliasId", "status"}``
    through ``chat.inbound.customer_postback``: ``SUCCESS``,
    ``RICHMENU_ALIAS_ID_NOTFOUND`` or ``RICHMENU_NOTFOUND`` (the alias's
    menu has no image to show). Returns the new menu, or None when the
    switch failed (the current menu stays).
    """
    if len(data) > POSTBACK_DATA_MAX or len(alias_id) > 32:
        raise ApplicationError(_("This button sends more than LINE allows."))
    menu = None
    try:
        alias = alias_get(account=friend.account, alias_id=alias_id)
    except NotFound:
        status = "RICHMENU_ALIAS_ID_NOTFOUND"
    else:
        menu = alias.rich_menu if alias.rich_menu.image else None
        status = "SUCCESS" if menu else "RICHMENU_NOTFOUND"
    customer_postback(
        friend=friend,
        data=data,
        params={"newRichMenuAliasId": alias_id, "status": status},
    )
    return menu


def richmenu_seen(*, friend: Friend, rich_menu_id: str, area: int) -> None:
    """Count an impression (``area`` -1) or a tap on ``area`` of a menu of
    the friend's account; an unknown menu or area counts nothing."""
    menu = (
        RichMenu.objects.filter(account_id=friend.account_id, rich_menu_id=rich_menu_id)
        .only("pk", "areas")
        .first()
    )
    if menu is None or not -1 <= area < len(menu.areas):
        raise ApplicationError(_("This menu is no longer available."))
    richmenu_stat_record(menu=menu, area=area)
