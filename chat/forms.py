"""Forms of the chat pages: parsing and shape checks only.

Domain rules (message length, membership of an assignee, snooze in the
future, overlapping hours) are checked by ``chat.services``; a form only
turns the request into the values a service takes.
"""

import datetime as dt
import re

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chat.hours import minute_label
from chat.models import BusinessHours, Conversation
from chat.selectors import InboxStatus, InboxView

Q_MAX = 100
SNOOZE_MORNING = dt.time(9, 0)


class InboxFilterForm(forms.Form):
    view = forms.ChoiceField(
        label=_("View"),
        required=False,
        choices=[
            (InboxView.ALL, _("All")),
            (InboxView.MINE, _("Mine")),
            (InboxView.UNASSIGNED, _("Unassigned")),
        ],
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            (InboxStatus.NEEDS_ACTION, _("Needs action")),
            (InboxStatus.SNOOZED, _("Snoozed")),
            (InboxStatus.DONE, _("Done")),
            (InboxStatus.ANY, _("Any status")),
        ],
    )
    tag = forms.TypedChoiceField(
        label=_("Tag"), required=False, coerce=int, empty_value=None
    )
    unread = forms.BooleanField(label=_("Unread only"), required=False)
    blocked = forms.BooleanField(label=_("Include blocked"), required=False)
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=Q_MAX,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Name, tag or message")}
        ),
    )

    def __init__(self, data=None, *, tags=()):
        super().__init__(data)
        self.fields["tag"].choices = [("", _("Any tag")), *tags]

    def filters(self) -> dict:
        """Keyword arguments for ``chat.selectors.inbox_page``."""
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "view": data.get("view") or InboxView.ALL,
            "status": data.get("status") or InboxStatus.NEEDS_ACTION,
            "tag_id": data.get("tag"),
            "unread": bool(data.get("unread")),
            "q": data.get("q") or "",
            "include_blocked": bool(data.get("blocked")),
        }


class StatusForm(forms.Form):
    status = forms.ChoiceField(
        choices=[
            (Conversation.Status.NEEDS_ACTION, _("Needs action")),
            (Conversation.Status.DONE, _("Done")),
        ]
    )


class AssignForm(forms.Form):
    # Any id is accepted here; the service refuses non-members.
    assignee = forms.IntegerField(required=False, min_value=1)


class SnoozeForm(forms.Form):
    """A preset, or a local date and time in the account's time zone."""

    PRESETS = [
        ("1h", _("1 hour")),
        ("3h", _("3 hours")),
        ("tomorrow", _("Tomorrow 9:00")),
        ("next_week", _("Next Monday 9:00")),
        ("next_message", _("Until the next message")),
        ("custom", _("Pick a time")),
    ]
    preset = forms.ChoiceField(label=_("Snooze"), choices=PRESETS)
    until = forms.DateTimeField(
        label=_("Until"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )

    def __init__(self, data=None, *, tz):
        super().__init__(data)
        self.tz = tz

    def clean(self):
        data = super().clean()
        if data.get("preset") == "custom" and not data.get("until"):
            self.add_error("until", _("Pick a date and time."))
        return data

    def until_value(self, now: dt.datetime | None = None) -> dt.datetime | None:
        """The aware snooze time, or None for "until the next message"."""
        now = (now or timezone.now()).astimezone(self.tz)
        preset = self.cleaned_data["preset"]
        if preset == "1h":
            return now + dt.timedelta(hours=1)
        if preset == "3h":
            return now + dt.timedelta(hours=3)
        if preset == "tomorrow":
            day = now.date() + dt.timedelta(days=1)
            return dt.datetime.combine(day, SNOOZE_MORNING, tzinfo=self.tz)
        if preset == "next_week":
            day = now.date() + dt.timedelta(days=7 - now.weekday())
            return dt.datetime.combine(day, SNOOZE_MORNING, tzinfo=self.tz)
        if preset == "next_message":
            return None
        # The browser sends a wall-clock time: read it in the account's zone.
        return self.cleaned_data["until"].replace(tzinfo=None).replace(tzinfo=self.tz)


class NoteForm(forms.Form):
    body = forms.CharField(
        label=_("Internal note"),
        widget=forms.Textarea(
            attrs={"rows": 2, "placeholder": _("Only staff can see notes.")}
        ),
        strip=False,
    )


class TagForm(forms.Form):
    name = forms.CharField(
        label=_("Tag"),
        widget=forms.TextInput(attrs={"list": "chat-tags", "autocomplete": "off"}),
    )


class CannedReplyForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=50)
    shortcut = forms.CharField(
        label=_("Shortcut"),
        required=False,
        max_length=21,
        help_text=_("Type / and the shortcut in the reply box to insert the text."),
    )
    text = forms.CharField(
        label=_("Text"), widget=forms.Textarea(attrs={"rows": 5}), strip=False
    )


_INTERVAL_RE = re.compile(r"^(\d{1,2}):(\d{2})\s*[-–〜~]\s*(\d{1,2}):(\d{2})$")


def intervals_text(minutes: list[tuple[int, int]]) -> str:
    return ", ".join(f"{minute_label(o)}-{minute_label(c)}" for o, c in minutes)


def _minute(hours: str, minutes: str) -> int | None:
    h, m = int(hours), int(minutes)
    if m > 59 or h > 24 or (h == 24 and m):
        return None
    return h * 60 + m


class ChatSettingsForm(forms.Form):
    """Response hours as one text field per weekday: ``10:00-12:00, 13:00-18:00``."""

    business_hours_enabled = forms.BooleanField(
        label=_("Use business hours"), required=False
    )
    away_message_enabled = forms.BooleanField(
        label=_("Send an away message outside business hours"), required=False
    )
    away_message = forms.CharField(
        label=_("Away message"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Sent at most once per conversation in each closed period."),
    )

    def __init__(self, data=None, *, initial_hours=None, **kwargs):
        super().__init__(data, **kwargs)
        by_day: dict[int, list[tuple[int, int]]] = {}
        for weekday, opens, closes in initial_hours or []:
            by_day.setdefault(weekday, []).append((opens, closes))
        for weekday, label in BusinessHours.Weekday.choices:
            self.fields[f"day_{weekday}"] = forms.CharField(
                label=label,
                required=False,
                initial=intervals_text(by_day.get(weekday, [])),
                widget=forms.TextInput(
                    attrs={"placeholder": _("e.g. 10:00-12:00, 13:00-18:00")}
                ),
            )

    def day_fields(self):
        return [self[f"day_{weekday}"] for weekday in range(7)]

    def clean(self):
        data = super().clean()
        intervals = []
        for weekday in range(7):
            raw = (data.get(f"day_{weekday}") or "").strip()
            if not raw:
                continue
            for part in re.split(r"[,、;]", raw):
                if not part.strip():
                    continue
                match = _INTERVAL_RE.match(part.strip())
                opens = closes = None
                if match:
                    opens = _minute(match[1], match[2])
                    closes = _minute(match[3], match[4])
                if opens is None or closes is None or opens >= closes:
                    self.add_error(
                        f"day_{weekday}",
                        _("Write times as 10:00-18:00 (up to 24:00), comma-separated."),
                    )
                    break
                intervals.append((weekday, opens, closes))
        data["intervals"] = intervals
        return data


class ExportForm(forms.Form):
    start = forms.DateField(
        label=_("From"), widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            raise forms.ValidationError(_("The end date is before the start date."))
        return data


class ResponseModeForm(forms.Form):
    """LINE's response settings (応答設定): four switches on one page."""

    chat = forms.BooleanField(
        label=_("Chat"),
        required=False,
        help_text=_(
            "Staff answer customers in the chat inbox. Off: the inbox is "
            "hidden and the away message (if on) answers instead."
        ),
    )
    auto_response = forms.BooleanField(
        label=_("Auto-response"),
        required=False,
        help_text=_("Keyword auto-responses answer matching messages."),
    )
    greeting = forms.BooleanField(
        label=_("Greeting message"),
        required=False,
        help_text=_("Sent when someone adds the account as a friend."),
    )
    webhook = forms.BooleanField(
        label=_("Webhook"),
        required=False,
        help_text=_("Customers' messages and actions are sent to your bot."),
    )
