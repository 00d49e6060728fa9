"""The Manager's shop card forms (parsing only; rules in services)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from shopcard.models import ShopCard

REWARD_ROWS = 5


class CardForm(forms.Form):
    name = forms.CharField(label=_("Card name"), max_length=40)
    goal = forms.IntegerField(label=_("Points to the goal"), initial=10)
    rank_up = forms.BooleanField(
        label=_("Move up to the next rank's card when completed"), required=False
    )
    validity_basis = forms.ChoiceField(
        label=_("Validity counted"), choices=ShopCard.ValidityBasis.choices
    )
    validity_months = forms.IntegerField(
        label=_("Validity (months, 0 = none)"), initial=12
    )
    welcome_points = forms.IntegerField(label=_("Welcome bonus points"), initial=0)
    scan_limit = forms.ChoiceField(
        label=_("Scan limit"), choices=ShopCard.ScanLimit.choices, initial="daily"
    )
    scan_limit_hours = forms.IntegerField(
        label=_("Hours between scans"), initial=1, required=False
    )
    color = forms.CharField(
        label=_("Card colour"),
        initial="#06c755",
        widget=forms.TextInput(attrs={"type": "color"}),
    )
    stamp_color = forms.CharField(
        label=_("Stamp colour"),
        initial="#ffffff",
        widget=forms.TextInput(attrs={"type": "color"}),
    )
    background = forms.FileField(
        label=_("Background image"),
        required=False,
        help_text=_("JPEG or PNG, at most 3 MB; it is resized."),
    )

    def __init__(self, *args, published: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        for i in range(REWARD_ROWS):
            self.fields[f"reward_points_{i}"] = forms.IntegerField(
                label=_("At points"), required=False
            )
            self.fields[f"reward_title_{i}"] = forms.CharField(
                label=_("Reward"), max_length=60, required=False
            )
            self.fields[f"reward_days_{i}"] = forms.IntegerField(
                label=_("Ticket valid (days)"), required=False
            )
        if published:
            for name, field in self.fields.items():
                if name not in ("name", "color", "stamp_color", "background"):
                    field.disabled = True
                    field.required = False

    def reward_rows(self):
        return [
            (
                self[f"reward_points_{i}"],
                self[f"reward_title_{i}"],
                self[f"reward_days_{i}"],
            )
            for i in range(REWARD_ROWS)
        ]

    def card_fields(self):
        return [
            self[name]
            for name in self.fields
            if not name.startswith("reward_") and name != "background"
        ]

    def rewards(self) -> list[dict]:
        data = self.cleaned_data
        out = []
        for i in range(REWARD_ROWS):
            points = data.get(f"reward_points_{i}")
            title = data.get(f"reward_title_{i}")
            days = data.get(f"reward_days_{i}")
            if points is None and not title and days is None:
                continue
            out.append({"points": points, "title": title, "validity_days": days})
        return out


class CodeForm(forms.Form):
    label = forms.CharField(label=_("Label"), max_length=60, required=False)
    points = forms.IntegerField(label=_("Points per scan"), initial=1)
    single_use = forms.BooleanField(
        label=_("Single use (each code counts once)"), required=False
    )
    valid_days = forms.IntegerField(label=_("Valid for (days)"), initial=30)
    count = forms.IntegerField(label=_("Number of codes"), initial=1)


class PointsForm(forms.Form):
    points = forms.IntegerField(label=_("Points"))
    reason = forms.CharField(
        label=_("Reason"),
        max_length=200,
        help_text=_("The customer sees this reason in their card's history."),
    )
    action = forms.ChoiceField(
        choices=[("grant", _("Give")), ("revoke", _("Take back"))]
    )
