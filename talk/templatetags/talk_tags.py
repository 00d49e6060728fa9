"""Presentation helpers for talk rooms: day separators, media URLs."""

import datetime as dt
import json

from django import template
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from messaging.store.labels import MESSAGE_TYPE_LABELS, message_summary

register = template.Library()


@register.filter
def talk_day(value: dt.datetime) -> str:
    """The local calendar day of a timestamp, for grouping (``2026-11-24``)."""
    return timezone.localtime(value).date().isoformat()


@register.filter
def talk_day_label(value: dt.datetime) -> str:
    """ "Today", "Yesterday" or the localised short date."""
    day = timezone.localtime(value).date()
    today = timezone.localdate()
    if day == today:
        return _("Today")
    if day == today - dt.timedelta(days=1):
        return _("Yesterday")
    return formats.date_format(day, "SHORT_DATE_FORMAT")


@register.filter
def talk_time(value: dt.datetime) -> str:
    return timezone.localtime(value).strftime("%H:%M")


@register.filter
def initial(name: str) -> str:
    name = (name or "").strip()
    return name[:1].upper() if name else "?"


@register.filter
def talk_when(value: dt.datetime) -> str:
    """A friends-list timestamp: the time today, else the day."""
    if timezone.localtime(value).date() == timezone.localdate():
        return talk_time(value)
    return talk_day_label(value)


@register.simple_tag
def summary(kind, text) -> str:
    """A room list's one-line summary of its latest message (labels media)."""
    return message_summary(kind, text)


@register.simple_tag
def message_type_labels() -> str:
    """JSON of the media labels, for live list updates in talk.js."""
    return json.dumps({k: str(v) for k, v in MESSAGE_TYPE_LABELS.items()})
