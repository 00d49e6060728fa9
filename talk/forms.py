"""Talk app forms: parsing and field validation only."""

from django import forms
from django.utils.translation import gettext_lazy as _

from messaging.friends.models import LineUser
from messaging.friends.regions import PREFECTURES

LANGUAGE_CHOICES = [("ja", _("Japanese")), ("en", _("English"))]


class PersonaForm(forms.Form):
    display_name = forms.CharField(label=_("Display name"), max_length=20)
    picture = forms.FileField(
        label=_("Profile picture (JPEG or PNG, up to 3 MB)"),
        required=False,
        help_text=_("Leave empty to get a picture with your initial."),
    )
    status_message = forms.CharField(
        label=_("Status message"), max_length=500, required=False
    )
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGE_CHOICES)
    gender = forms.ChoiceField(
        label=_("Gender"),
        choices=LineUser.Gender.choices,
        initial=LineUser.Gender.UNKNOWN,
    )
    age = forms.IntegerField(label=_("Age"), min_value=0, max_value=120, required=False)
    region = forms.ChoiceField(
        label=_("Region"), choices=[("", "—"), *PREFECTURES], required=False
    )
    os = forms.ChoiceField(label=_("Phone"), choices=LineUser.OS.choices)

    def profile(self) -> dict:
        """The cleaned profile fields, as ``persona_create`` takes them."""
        data = dict(self.cleaned_data)
        data.pop("picture", None)
        data.pop("display_name")
        return data


class ScanForm(forms.Form):
    picture = forms.FileField(label=_("Picture of a QR code"), required=False)
    url = forms.CharField(
        label=_("…or paste a link or an ID (@…)"), max_length=2000, required=False
    )

    def clean(self):
        data = super().clean()
        if not data.get("picture") and not data.get("url", "").strip():
            raise forms.ValidationError(
                _("Choose a picture of a QR code or paste a link.")
            )
        return data


class LocationForm(forms.Form):
    """A place the customer shares (LINE's location message)."""

    title = forms.CharField(label=_("Place name"), max_length=100, required=False)
    address = forms.CharField(label=_("Address"), max_length=100)
    latitude = forms.FloatField(label=_("Latitude"), min_value=-90, max_value=90)
    longitude = forms.FloatField(label=_("Longitude"), min_value=-180, max_value=180)


class PostbackForm(forms.Form):
    """A tapped postback action, or the value chosen in a date-time picker."""

    data = forms.CharField(max_length=300, required=False, strip=False)
    display_text = forms.CharField(max_length=300, required=False)
    mode = forms.ChoiceField(
        choices=[
            ("", ""),
            ("date", "date"),
            ("time", "time"),
            ("datetime", "datetime"),
        ],
        required=False,
    )
    value = forms.CharField(max_length=16, required=False)


class TalkLoginForm(forms.Form):
    login = forms.CharField(label=_("Login"), max_length=150)
    password = forms.CharField(
        label=_("Password"), max_length=128, widget=forms.PasswordInput
    )


class TalkSignupForm(forms.Form):
    login = forms.CharField(
        label=_("Login"),
        max_length=150,
        help_text=_("An e-mail address or any name you will remember."),
    )
    password = forms.CharField(
        label=_("Password"),
        min_length=8,
        max_length=128,
        widget=forms.PasswordInput,
    )
