"""Forms of the automatic-reply pages: greeting and auto-responses.

Forms only parse and check shapes; the services enforce the rules.
"""

from django import forms
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _

from messaging.automation.models import AutoResponse
from messaging.automation.services import GREETING_MAX_BUBBLES
from messaging.store.checks import MAX_TEXT, text_length


class AutoResponseForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=60)
    match = forms.ChoiceField(
        label=gettext_lazy("Match"), choices=AutoResponse.Match.choices
    )
    keywords = forms.CharField(
        label=gettext_lazy("Keywords (one per line)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    messages = forms.CharField(
        label=gettext_lazy("Reply bubbles (JSON)"),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    is_active = forms.BooleanField(label=gettext_lazy("Active"), required=False)
    active_from = forms.TimeField(
        label=gettext_lazy("Active from"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}),
    )
    active_to = forms.TimeField(
        label=gettext_lazy("Active until"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}),
    )
    position = forms.IntegerField(
        label=gettext_lazy("Order"), min_value=0, max_value=999, initial=0
    )


class GreetingForm(forms.Form):
    enabled = forms.BooleanField(label=_("Send a greeting"), required=False)
    send_on_unblock = forms.BooleanField(
        label=_("Also when a friend unblocks the account"), required=False
    )
    text1 = forms.CharField(
        label=_("Message 1"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    text2 = forms.CharField(
        label=_("Message 2"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    text3 = forms.CharField(
        label=_("Message 3"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    TEXT_FIELDS = [f"text{i}" for i in range(1, GREETING_MAX_BUBBLES + 1)]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.TEXT_FIELDS:
            # Keep the customer's line breaks and spaces exactly as typed.
            self.fields[name].strip = False
            self.fields[name].widget.attrs["data-bubble"] = name

    def _clean_text(self, name: str) -> str:
        text = self.cleaned_data.get(name, "")
        if text.strip() == "":
            return ""
        if text_length(text) > MAX_TEXT:
            raise forms.ValidationError(
                _("Use at most %(n)d characters (this has %(len)d).")
                % {"n": MAX_TEXT, "len": text_length(text)}
            )
        return text

    def clean_text1(self):
        return self._clean_text("text1")

    def clean_text2(self):
        return self._clean_text("text2")

    def clean_text3(self):
        return self._clean_text("text3")

    def clean(self):
        data = super().clean()
        too_long = any(name in self.errors for name in self.TEXT_FIELDS)
        if data.get("enabled") and not self.messages() and not too_long:
            self.add_error("text1", _("Write at least one message."))
        return data

    def messages(self) -> list[dict]:
        """The non-empty bubbles as text message objects, in order."""
        data = getattr(self, "cleaned_data", {})
        return [
            {"type": "text", "text": data[n]} for n in self.TEXT_FIELDS if data.get(n)
        ]
