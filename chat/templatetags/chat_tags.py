"""Presentation helpers for the chat pages: media of a message, times."""

import datetime as dt

from django import template
from django.utils import formats, timezone

from messaging.store.labels import message_summary

register = template.Library()


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
