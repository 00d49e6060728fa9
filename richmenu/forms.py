"""The Manager's rich menu editor form (validation only)."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from richmenu.layouts import MAX_TEMPLATE_AREAS, layout_bounds, layout_choices
from richmenu.models import ALIAS_ID_PATTERN, CHAT_BAR_TEXT_MAX

ACTION_CHOICES = [
    ("", _("No action")),
    ("uri", _("Open a URL")),
    ("message", _("Send text")),
    ("postback", _("Postback")),
    ("richmenuswitch", _("Switch to another menu (tab ID)")),
]
# The Manager offers web, phone and LINE links (issue 15, "Bad input").
URL_PATTERN = r"(https?://\S+|tel:[0-9+*#-]+|line://\S+)"


class RichMenuForm(forms.Form):
    name = forms.CharField(label=_("Title"), max_length=300)
    layout = forms.ChoiceField(label=_("Template"), choices=layout_choices)
    image = forms.FileField(
        label=_("Image"),
        required=False,
        help_text=_(
            "JPEG or PNG, at most 1 MB, exactly the template's size. Without "
            "one, the image is made from each area's colour and label."
        ),
    )
    chat_bar_text = forms.CharField(
        label=_("Chat bar text"), max_length=CHAT_BAR_TEXT_MAX
    )
    selected = forms.BooleanField(label=_("Open by default"), required=False)
    display_from = forms.DateTimeField(
        label=_("Display from"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    display_until = forms.DateTimeField(
        label=_("Display until"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    alias_id = forms.RegexField(
        label=_("Tab ID"),
        regex=rf"^{ALIAS_ID_PATTERN}$",
        required=False,
        help_text=_(
            "Lowercase letters, digits, - and _. Other menus switch to this "
            "one with it."
        ),
    )
    make_default = forms.BooleanField(
        label=_("Show to every friend (the Manager's default menu)"), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        letters = "ABCDEF"
        for i in range(MAX_TEMPLATE_AREAS):
            self.fields[f"area{i}_type"] = forms.ChoiceField(
                label=_("Area %(letter)s: action") % {"letter": letters[i]},
                choices=ACTION_CHOICES,
                required=False,
            )
            self.fields[f"area{i}_value"] = forms.CharField(
                label=_("Area %(letter)s: URL, text or data") % {"letter": letters[i]},
                max_length=1000,
                required=False,
            )
            self.fields[f"area{i}_display_text"] = forms.CharField(
                label=_("Area %(letter)s: display text") % {"letter": letters[i]},
                max_length=300,
                required=False,
            )
            self.fields[f"area{i}_label"] = forms.CharField(
                label=_("Area %(letter)s: label on the image") % {"letter": letters[i]},
                max_length=20,
                required=False,
            )
            self.fields[f"area{i}_colour"] = forms.RegexField(
                label=_("Area %(letter)s: colour") % {"letter": letters[i]},
                regex=r"^#[0-9a-fA-F]{6}$",
                initial="#06c755",
                required=False,
                widget=forms.TextInput(attrs={"type": "color"}),
            )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("display_from"), cleaned.get("display_until")
        if start and end and start >= end:
            self.add_error("display_until", _("The end must be after the start."))
        layout = cleaned.get("layout")
        if not layout:
            return cleaned
        size, bounds = layout_bounds(layout)
        areas, cleaned["area_fields"] = [], []
        for i, box in enumerate(bounds):
            action = self._action(i, cleaned)
            if action is not None:
                areas.append({"bounds": box, "action": action})
                cleaned["area_fields"].append(f"area{i}_value")
        cleaned["tiles"] = [
            {
                "colour": cleaned.get(f"area{i}_colour") or "",
                "label": cleaned.get(f"area{i}_label") or "",
            }
            for i in range(len(bounds))
        ]
        cleaned["menu"] = {
            "size": {"width": size[0], "height": size[1]},
            "selected": cleaned.get("selected", False),
            "name": cleaned.get("name", ""),
            "chatBarText": cleaned.get("chat_bar_text", ""),
            "areas": areas,
        }
        return cleaned

    def _action(self, i: int, cleaned: dict) -> dict | None:
        kind = cleaned.get(f"area{i}_type")
        value = (cleaned.get(f"area{i}_value") or "").strip()
        display = (cleaned.get(f"area{i}_display_text") or "").strip()
        if not kind:
            return None
        field = f"area{i}_value"
        if not value:
            self.add_error(field, _("Fill in the URL, text or data of this area."))
            return None
        if kind == "uri":
            if not re.fullmatch(URL_PATTERN, value):
                self.add_error(field, _("Enter an http(s), tel: or line:// link."))
                return None
            return {"type": "uri", "uri": value}
        if kind == "richmenuswitch":
            if not re.fullmatch(ALIAS_ID_PATTERN, value):
                self.add_error(field, _("Enter the tab ID of another menu."))
                return None
            return {"type": "richmenuswitch", "richMenuAliasId": value, "data": value}
        if kind == "message":
            if len(value) > 300:
                self.add_error(field, _("Up to 300 characters."))
                return None
            return {"type": "message", "text": value}
        if len(value) > 300:
            self.add_error(field, _("Up to 300 characters."))
            return None
        action = {"type": "postback", "data": value}
        if display:
            action["displayText"] = display
        return action


class TagRuleForm(forms.Form):
    """ "Friends with this tag see this menu"."""

    tag = forms.ModelChoiceField(label=_("Tag"), queryset=None)
    menu = forms.ModelChoiceField(label=_("Rich menu"), queryset=None)

    def __init__(self, *args, tags, menus, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tag"].queryset = tags
        self.fields["menu"].queryset = menus
