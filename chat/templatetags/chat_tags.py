"""Presentation helpers for the chat pages: media of a message, times."""

import datetime as dt

from django import template
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from messaging.store.labels import message_summary
from messaging.store.models import Message

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


@register.filter
def duration(seconds) -> str:
    """A response time for people: ``45 s``, ``9 min 37 s``, ``2 h 5 min``."""
    try:
        seconds = int(seconds)
    except (TypeError, ValueError):
        return ""
    if seconds < 60:
        return _("%(s)d s") % {"s": seconds}
    minutes, secs = divmod(seconds, 60)
    if minutes < 60:
        return _("%(m)d min %(s)d s") % {"m": minutes, "s": secs}
    hours, minutes = divmod(minutes, 60)
    return _("%(h)d h %(m)d min") % {"h": hours, "m": minutes}


@register.filter
def sender_label(source: str | None) -> str:
    """Who sent an account's message, for an inbox row: ``You`` for staff
    chat replies, else the kind (``API push``, ``Auto-response`` …)."""
    if source == Message.Source.CHAT:
        return _("You:")
    label = dict(Message.Source.choices).get(source)
    return f"{label}:" if label else _("You:")
