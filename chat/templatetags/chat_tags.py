"""Presentation helpers for the chat pages: media of a message, times."""

import datetime as dt

from django import template
from django.utils import formats, timezone

from messaging.store.labels import message_summary
from messaging.store.models import Message
from messaging.store.stickers import sticker_get

register = template.Library()


@register.simple_tag
def chat_sticker(message: Message):
    """The talk app's sticker of a sticker message, or None for others'."""
    payload = message.payload or {}
    return sticker_get(str(payload.get("packageId")), str(payload.get("stickerId")))


@register.simple_tag
def chat_image(message: Message) -> dict:
    """Original and preview URLs: the customer's stored upload, else the
    URLs in the message object (staff and bot images)."""
    if message.content:
        preview = message.preview or message.content
        return {"original": message.content.url, "preview": preview.url}
    payload = message.payload or {}
    original = payload.get("originalContentUrl", "")
    return {"original": original, "preview": payload.get("previewImageUrl") or original}


@register.filter
def chat_when(value: dt.datetime | None, tz=None) -> str:
    """A list timestamp in ``tz``: the time today, else the short date."""
    if value is None:
        return ""
    local = timezone.localtime(value, tz)
    if local.date() == timezone.localtime(timezone.now(), tz).date():
        return local.strftime("%H:%M")
    return formats.date_format(local.date(), "SHORT_DATE_FORMAT")


@register.filter
def initial(name: str) -> str:
    name = (name or "").strip()
    return name[:1].upper() if name else "?"


@register.simple_tag
def summary(kind, text) -> str:
    """An inbox row's one-line summary of its latest message (labels media)."""
    return message_summary(kind, text)
