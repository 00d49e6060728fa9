"""Webhook event objects as LINE builds them (spec 3.3)."""

import datetime as dt
from dataclasses import dataclass, field

from django.core import signing
from django.utils import timezone
from ulid import ULID

from messaging.friends.models import Friend
from messaging.store.models import Message
from messaging.store.stickers import sticker_get

REPLY_TOKEN_TTL = dt.timedelta(minutes=1)
MARK_AS_READ_SALT = "messaging.webhooks.markAsRead"
# Events that carry a reply token (spec 3.2).
REPLYABLE = frozenset(
    {
        "message",
        "follow",
        "postback",
        "join",
        "memberJoined",
        "videoPlayComplete",
        "beacon",
        "accountLink",
        "membership",
    }
)


def ulid_new(when: dt.datetime | None = None) -> str:
    """A ULID string (26 chars, Crockford base32) stamped with ``when``.

    ``when`` defaults to now; the event's ``webhookEventId`` carries the
    time the event was dispatched.
    """
    return str(ULID.from_datetime(when or timezone.now()))


def _millis(when: dt.datetime) -> int:
    return int(when.timestamp() * 1000)


@dataclass(frozen=True)
class PendingEvent:
    """A LINE event before dispatch adds its ID, mode and reply token.

    ``chat_id`` is the group or room ID of a group event (``friend_id`` is
    then None): its reply token answers into that chat.
    """

    friend_id: int | None
    data: dict = field(default_factory=dict)
    chat_id: str = ""


def _event(friend: Friend, kind: str, when: dt.datetime, **payload) -> PendingEvent:
    data = {
        "type": kind,
        "timestamp": _millis(when),
        "source": {"type": "user", "userId": friend.line_user.user_id},
        **payload,
    }
    return PendingEvent(friend_id=friend.pk, data=data)


def webhook_follow_event(*, friend: Friend, unblocked: bool) -> PendingEvent:
    """``follow``: the customer added the account, or unblocked it."""
    return _event(
        friend, "follow", timezone.now(), follow={"isUnblocked": bool(unblocked)}
    )


def webhook_unfollow_event(*, friend: Friend) -> PendingEvent:
    """``unfollow``: the customer blocked the account."""
    return _event(friend, "unfollow", friend.blocked_at or timezone.now())


def webhook_postback_event(
    *, friend: Friend, data: str, params: dict | None = None
) -> PendingEvent:
    """``postback``: a postback action (rich menu, template, quick reply).

    ``params`` is ``{"date"|"time"|"datetime": …}`` for a date-time picker, or
    ``{"newRichMenuAliasId", "status"}`` for a rich menu switch.
    """
    postback: dict = {"data": data}
    if params:
        postback["params"] = params
    return _event(friend, "postback", timezone.now(), postback=postback)


def webhook_video_play_complete_event(
    *, friend: Friend, tracking_id: str
) -> PendingEvent:
    """``videoPlayComplete``: the customer watched a video message with a
    ``trackingId`` to the end (spec 3.2, REF#video-viewing-complete)."""
    return _event(
        friend,
        "videoPlayComplete",
        timezone.now(),
        videoPlayComplete={"trackingId": tracking_id},
    )


def mark_as_read_token(message: Message) -> str:
    """The ``markAsReadToken`` of an inbound message (signed, stateless)."""
    return signing.dumps(
        [message.account_id, message.friend_id, message.pk],
        salt=MARK_AS_READ_SALT,
        compress=False,
    )


def mark_as_read_token_parse(token: str) -> tuple[int, int, int] | None:
    """``(account_id, friend_id, message_id)`` of a token, None if forged."""
    try:
        account_id, friend_id, message_id = signing.loads(token, salt=MARK_AS_READ_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    return int(account_id), int(friend_id), int(message_id)


def _message_content(message: Message) -> dict:
    """The ``message`` object of a message event (spec 3.2 content types)."""
    payload = message.payload
    content: dict = {"id": message.public_id, "type": message.type}
    if message.type == "text":
        content["text"] = payload.get("text", "")
        for key in ("emojis", "mention"):
            if payload.get(key):
                content[key] = payload[key]
    elif message.type == "sticker":
        content["packageId"] = str(payload.get("packageId", ""))
        content["stickerId"] = str(payload.get("stickerId", ""))
        sticker = sticker_get(content["packageId"], content["stickerId"])
        content["stickerResourceType"] = payload.get(
            "stickerResourceType", sticker.resource_type if sticker else "STATIC"
        )
        keywords = payload.get("keywords") or (sticker.keywords if sticker else [])
        if keywords:
            content["keywords"] = keywords[:15]
        if payload.get("text"):
            content["text"] = payload["text"][:100]
    elif message.type in ("image", "video", "audio"):
        content["contentProvider"] = {"type": "line"}
        if "duration" in payload:
            content["duration"] = payload["duration"]
    else:  # location, file: the talk app's payload already has LINE's shape
        content.update({k: v for k, v in payload.items() if k not in ("type", "id")})
    if message.type in ("text", "sticker", "image", "video") and message.quote_token:
        content["quoteToken"] = message.quote_token
    content["markAsReadToken"] = mark_as_read_token(message)
    return content


def webhook_message_event(*, message: Message) -> PendingEvent:
    """``message``: the customer sent ``message`` (an inbound row)."""
    return _event(
        message.friend,
        "message",
        message.created_at,
        message=_message_content(message),
    )


def webhook_account_link_event(
    *, friend: Friend, result: str, nonce: str
) -> PendingEvent:
    """``accountLink``: the customer opened the account-link dialog.

    ``result`` is ``ok`` or ``failed``; a failed link names no user (no
    ``source``) and carries no reply token (REF#account-link-event).
    """
    pending = _event(
        friend, "accountLink", timezone.now(), link={"result": result, "nonce": nonce}
    )
    if result != "ok":
        pending.data.pop("source")
    return pending
