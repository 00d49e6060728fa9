"""Forms of the broadcast pages (validation only)."""

from django import forms
from django.utils.translation import gettext_lazy

from core.exceptions import ApplicationError
from messaging.broadcasts.compose import max_recipients_clean


class BroadcastForm(forms.Form):
    AUDIENCE_CHOICES = [
        ("all", gettext_lazy("All friends")),
        ("segment", gettext_lazy("Filter by conditions")),
        ("saved", gettext_lazy("Saved segment")),
    ]

    title = forms.CharField(label=gettext_lazy("Title"), max_length=100)
    messages = forms.CharField(
        label=gettext_lazy("Message bubbles (JSON)"),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    audience_mode = forms.ChoiceField(
        choices=AUDIENCE_CHOICES, initial="all", widget=forms.RadioSelect
    )
    audience = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    segment = forms.IntegerField(required=False)
    # Checked by ``max_recipients_clean``, as the live estimate checks it.
    max_recipients = forms.CharField(
        label=gettext_lazy("Maximum recipients"),
        required=False,
        widget=forms.NumberInput(attrs={"min": 1, "step": 1}),
    )
    scheduled_at = forms.DateTimeField(
        label=gettext_lazy("Delivery time"),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    action = forms.ChoiceField(
        choices=[(a, a) for a in ("save", "send", "schedule", "test_me", "test_staff")],
        initial="save",
    )

    def __init__(self, *args, tz=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.tz = tz

    def clean_scheduled_at(self):
        value = self.cleaned_data.get("scheduled_at")
        if value is None:
            return None
        # The browser sends wall-clock time; it means the account's zone.
        return value.replace(tzinfo=None).replace(tzinfo=self.tz)

    def clean_max_recipients(self):
        try:
            return max_recipients_clean(self.cleaned_data["max_recipients"])
        except ApplicationError as exc:
            raise forms.ValidationError(exc.message) from None
