"""The dashboard's date range: presets as LINE's Manager offers, or dates."""

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

# The longest range one page shows (LINE keeps about 14 months).
MAX_RANGE_DAYS = 400

PRESETS = [
    ("7", _("Last 7 days")),
    ("30", _("Last 30 days")),
    ("90", _("Last 90 days")),
    ("this_month", _("This month")),
    ("last_month", _("Last month")),
    ("custom", _("Custom")),
]


class RangeForm(forms.Form):
    """``preset`` or ``start``/``end`` (local days, inclusive).

    ``today`` is the account's local today; ranges end at yesterday at the
    latest for presets (today is not finished), and custom ranges may not
    reach past today. ``live`` figures (counted as they happen, not rolled
    up: the rich menus tab) have nothing to wait for, so their "last N
    days" end today.
    """

    preset = forms.ChoiceField(label=_("Period"), choices=PRESETS, required=False)
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, data=None, *, today: dt.date, live: bool = False):
        super().__init__(data)
        self.today = today
        self.live = live

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        preset = data.get("preset") or "30"
        yesterday = self.today - dt.timedelta(days=1)
        if preset in ("7", "30", "90"):
            last = self.today if self.live else yesterday
            first = last - dt.timedelta(days=int(preset) - 1)
        elif preset == "this_month":
            first, last = self.today.replace(day=1), self.today
        elif preset == "last_month":
            last = self.today.replace(day=1) - dt.timedelta(days=1)
            first = last.replace(day=1)
        else:
            first, last = data.get("start"), data.get("end")
            if first is None or last is None:
                raise forms.ValidationError(_("Choose both dates."))
            if first > last:
                self.add_error("end", _("The end date is before the start date."))
                return data
            if last > self.today:
                self.add_error("end", _("The end date is in the future."))
                return data
            if (last - first).days + 1 > MAX_RANGE_DAYS:
                raise forms.ValidationError(
                    _("Choose at most %(n)d days.") % {"n": MAX_RANGE_DAYS}
                )
        data["first"], data["last"] = first, last
        return data
