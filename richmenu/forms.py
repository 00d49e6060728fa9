"""The Manager's rich menu editor form (validation only)."""

import datetime as dt
import re

from django import forms
from django.conf import settings
from django.urls import Resolver404, resolve, reverse
from django.utils.translation import gettext_lazy as _

from messaging.store.checks import _PICKER_FORMATS
from messaging.store.coupons import coupon_choices
from richmenu.layouts import (
    MAX_TEMPLATE_AREAS,
    is_free,
    layout_bounds,
    layout_choices,
)
from richmenu.models import ALIAS_ID_PATTERN, CHAT_BAR_TEXT_MAX, MAX_AREAS

ACTION_CHOICES = [
    ("", _("No action")),
    ("uri", _("Open a URL")),
    ("message", _("Send text")),
    ("postback", _("Postback")),
    ("datetimepicker", _("Date and time picker")),
    ("richmenuswitch", _("Switch to another menu (tab ID)")),
    ("coupon", _("Open a coupon")),
    ("shopcard", _("Open the shop card")),
]
PICKER_MODES = [
    ("date", _("Date")),
    ("time", _("Time")),
    ("datetime", _("Date and time")),
]
# The Manager offers web, phone and LINE links (issue 15, "Bad input").
URL_PATTERN = r"(https?://\S+|tel:[0-9+*#-]+|line://\S+)"
LETTERS = "ABCDEFGHIJKLMNOPQRST"
# Per area: the action, the image maker's tile, the drawn bounds.
AREA_FIELDS = (
    "type",
    "value",
    "coupon",
    "display_text",
    "mode",
    "initial",
    "min",
    "max",
    "label",
    "colour",
    "x",
    "y",
    "width",
    "height",
)
BOUNDS = ("x", "y", "width", "height")


def _overlap(a: dict, b: dict) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


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

    def __init__(self, *args, account=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.account = account
        coupons = [("", "—"), *(coupon_choices(account) if account else [])]
        for i in range(MAX_AREAS):
            f = f"area{i}_"
            self.fields[f + "type"] = forms.ChoiceField(
                label=_("Action"), choices=ACTION_CHOICES, required=False
            )
            # A running coupon of the account (messaging.store.coupons).
            self.fields[f + "coupon"] = forms.ChoiceField(
                label=_("Coupon"), choices=coupons, required=False
            )
            self.fields[f + "value"] = forms.CharField(
                label=_("URL, text or data"), max_length=1000, required=False
            )
            self.fields[f + "display_text"] = forms.CharField(
                label=_("Display text"), max_length=300, required=False
            )
            self.fields[f + "mode"] = forms.ChoiceField(
                label=_("Picker"), choices=PICKER_MODES, required=False
            )
            for key, label in (
                ("initial", _("Initial value")),
                ("min", _("Earliest")),
                ("max", _("Latest")),
            ):
                self.fields[f + key] = forms.CharField(
                    label=label,
                    max_length=16,
                    required=False,
                    help_text=_("2026-04-01, 09:30 or 2026-04-01T09:30"),
                )
            self.fields[f + "label"] = forms.CharField(
                label=_("Label on the image"), max_length=20, required=False
            )
            self.fields[f + "colour"] = forms.RegexField(
                label=_("Colour"),
                regex=r"^#[0-9a-fA-F]{6}$",
                initial="#06c755",
                required=False,
                widget=forms.TextInput(attrs={"type": "color"}),
            )
            for key, label in (
                ("x", _("Left (px)")),
                ("y", _("Top (px)")),
                ("width", _("Width (px)")),
                ("height", _("Height (px)")),
            ):
                self.fields[f + key] = forms.IntegerField(
                    label=label, min_value=0, max_value=2500, required=False
                )

    # Rendering: the menu's own fields, then one group per area.

    def top_fields(self):
        return [self[name] for name in self.fields if not name.startswith("area")]

    def area_groups(self):
        """Per area: its letter, whether it is in use, its bound fields."""
        groups = []
        for i in range(MAX_AREAS):
            fields = [self[f"area{i}_{key}"] for key in AREA_FIELDS]
            used = (
                any((f.value() or "") not in ("", "#06c755") for f in fields)
                or i < MAX_TEMPLATE_AREAS
            )
            groups.append(
                {"index": i, "letter": LETTERS[i], "used": used, "fields": fields}
            )
        return groups

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("display_from"), cleaned.get("display_until")
        if start and end and start >= end:
            self.add_error("display_until", _("The end must be after the start."))
        layout = cleaned.get("layout")
        if not layout:
            return cleaned
        size, bounds = layout_bounds(layout)
        slots = self._drawn(size) if is_free(layout) else list(enumerate(bounds))
        areas, cleaned["area_fields"] = [], []
        for i, box in slots:
            action = self._action(i, cleaned)
            if action is not None:
                areas.append({"bounds": box, "action": action})
                cleaned["area_fields"].append(f"area{i}_value")
        cleaned["size"] = size
        cleaned["bounds"] = [box for _i, box in slots]
        cleaned["tiles"] = [
            {
                "bounds": box,
                "colour": cleaned.get(f"area{i}_colour") or "",
                "label": cleaned.get(f"area{i}_label") or "",
            }
            for i, box in slots
        ]
        cleaned["menu"] = {
            "size": {"width": size[0], "height": size[1]},
            "selected": cleaned.get("selected", False),
            "name": cleaned.get("name", ""),
            "chatBarText": cleaned.get("chat_bar_text", ""),
            "areas": areas,
        }
        return cleaned

    def _drawn(self, size) -> list[tuple[int, dict]]:
        """The free-drawn areas: (index, bounds) of every area with a
        position; inside the image, not overlapping (the server decides,
        whatever the editor's drawing allowed)."""
        width, height = size
        drawn: list[tuple[int, dict]] = []
        for i in range(MAX_AREAS):
            values = [self.cleaned_data.get(f"area{i}_{k}") for k in BOUNDS]
            field = f"area{i}_x"
            if all(v is None for v in values):
                if self.cleaned_data.get(f"area{i}_type"):
                    self.add_error(field, _("Draw this area or enter its position."))
                continue
            if any(v is None for v in values):
                self.add_error(field, _("Enter the left, top, width and height."))
                continue
            box = dict(zip(BOUNDS, values, strict=True))
            if box["width"] < 1 or box["height"] < 1:
                self.add_error(
                    field, _("The area must be at least 1 pixel wide and high.")
                )
                continue
            if box["x"] + box["width"] > width or box["y"] + box["height"] > height:
                self.add_error(
                    field,
                    _("The area must be inside the %(w)s×%(h)s image.")
                    % {"w": width, "h": height},
                )
                continue
            other = next((j for j, b in drawn if _overlap(box, b)), None)
            if other is not None:
                self.add_error(
                    field,
                    _("The area overlaps area %(letter)s.")
                    % {"letter": LETTERS[other]},
                )
                continue
            drawn.append((i, box))
        if not drawn and not any(
            self.has_error(f"area{i}_x") for i in range(MAX_AREAS)
        ):
            self.add_error(None, _("Draw at least one area on the image."))
        return drawn

    def _action(self, i: int, cleaned: dict) -> dict | None:
        kind = cleaned.get(f"area{i}_type")
        value = (cleaned.get(f"area{i}_value") or "").strip()
        display = (cleaned.get(f"area{i}_display_text") or "").strip()
        if not kind:
            return None
        if kind in ("coupon", "shopcard"):
            return self._talk_link(i, kind, cleaned)
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
        if len(value) > 300:
            self.add_error(field, _("Up to 300 characters."))
            return None
        if kind == "message":
            return {"type": "message", "text": value}
        if kind == "datetimepicker":
            return self._picker(i, cleaned, value)
        action = {"type": "postback", "data": value}
        if display:
            action["displayText"] = display
        return action

    def _talk_link(self, i: int, kind: str, cleaned: dict) -> dict | None:
        """A coupon or the shop card: LINE's Manager makes these URI actions
        to the talk app's screens (absolute, ``SITE_URL``), as we do."""
        if kind == "coupon":
            coupon_id = cleaned.get(f"area{i}_coupon") or ""
            if not coupon_id:
                if not self.has_error(f"area{i}_coupon"):  # not a foreign one
                    self.add_error(f"area{i}_coupon", _("Choose a coupon."))
                return None
            path = reverse("talk:coupon", kwargs={"coupon_id": coupon_id})
        else:
            basic_id = self.account.basic_id[1:] if self.account else ""
            path = reverse("talk:card", kwargs={"basic_id": basic_id})
        return {"type": "uri", "uri": settings.SITE_URL + path}

    def _picker(self, i: int, cleaned: dict, data: str) -> dict | None:
        """LINE's datetimepicker: ``data``, ``mode`` and optional
        ``initial``/``min``/``max`` in the mode's format, min ≤ initial ≤ max."""
        mode = cleaned.get(f"area{i}_mode") or "date"
        action = {"type": "datetimepicker", "data": data, "mode": mode}
        ok = True
        for key in ("initial", "min", "max"):
            value = (cleaned.get(f"area{i}_{key}") or "").strip()
            if not value:
                continue
            if mode == "datetime":
                value = value.replace("t", "T")
            if not re.fullmatch(PICKER_FORMATS[mode], value) or not _real(mode, value):
                self.add_error(
                    f"area{i}_{key}",
                    _("Enter a value like %(example)s.")
                    % {"example": PICKER_EXAMPLES[mode]},
                )
                ok = False
                continue
            action[key] = value
        low, high = action.get("min"), action.get("max")
        initial = action.get("initial")
        if ok and low and high and low > high:
            self.add_error(
                f"area{i}_max", _("The latest must not be before the earliest.")
            )
            ok = False
        if ok and initial and ((low and initial < low) or (high and initial > high)):
            self.add_error(
                f"area{i}_initial", _("The initial value must be within the range.")
            )
            ok = False
        return action if ok else None


PICKER_FORMATS = _PICKER_FORMATS
PICKER_EXAMPLES = {
    "date": "2026-04-01",
    "time": "09:30",
    "datetime": "2026-04-01T09:30",
}
_PARSE = {"date": "%Y-%m-%d", "time": "%H:%M", "datetime": "%Y-%m-%dT%H:%M"}


def _real(mode: str, value: str) -> bool:
    """Whether ``value`` is a real date/time (not 2026-02-31 or 25:00)
    within LINE's range (1900-01-01 to 2100-12-31)."""
    try:
        parsed = dt.datetime.strptime(value, _PARSE[mode])
    except ValueError:
        return False
    return mode == "time" or 1900 <= parsed.year <= 2100


class TagRuleForm(forms.Form):
    """ "Friends with this tag see this menu"."""

    tag = forms.ModelChoiceField(label=_("Tag"), queryset=None)
    menu = forms.ModelChoiceField(label=_("Rich menu"), queryset=None)

    def __init__(self, *args, tags, menus, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tag"].queryset = tags
        self.fields["menu"].queryset = menus


def initial_from_menu(menu, *, alias_id: str, is_default: bool) -> dict:
    """The editor's fields filled in from a saved menu."""
    layout = menu.layout or ("free-large" if menu.height > 843 else "free-compact")
    initial = {
        "name": menu.name,
        "layout": layout,
        "chat_bar_text": menu.chat_bar_text,
        "selected": menu.selected,
        "display_from": menu.display_from,
        "display_until": menu.display_until,
        "alias_id": alias_id,
        "make_default": is_default,
    }
    tiles = menu.tiles or []
    if not is_free(layout):
        slots = layout_bounds(layout)[1]
    elif tiles:  # also the areas drawn without an action
        slots = [t["bounds"] for t in tiles]
    else:
        slots = [a["bounds"] for a in menu.areas]
    actions = {
        tuple(sorted(a["bounds"].items())): a.get("action") or {} for a in menu.areas
    }
    for i, box in enumerate(slots[:MAX_AREAS]):
        f = f"area{i}_"
        if is_free(layout):
            initial.update({f + k: box[k] for k in BOUNDS})
        action = actions.get(tuple(sorted(box.items())), {})
        kind = action.get("type", "")
        talk = _talk_link_kind(action.get("uri", "")) if kind == "uri" else None
        if talk:
            kind, initial[f + "coupon"] = talk
        initial[f + "type"] = kind
        initial[f + "value"] = {
            "uri": action.get("uri"),
            "message": action.get("text"),
            "richmenuswitch": action.get("richMenuAliasId"),
        }.get(kind, action.get("data", ""))
        initial[f + "display_text"] = action.get("displayText", "")
        if kind == "datetimepicker":
            initial[f + "mode"] = action.get("mode", "date")
            for key in ("initial", "min", "max"):
                initial[f + key] = action.get(key, "")
        if i < len(tiles):
            initial[f + "label"] = tiles[i].get("label", "")
            initial[f + "colour"] = tiles[i].get("colour") or "#06c755"
    return initial


def _talk_link_kind(uri: str) -> tuple[str, str] | None:
    """``("coupon", coupon_id)`` or ``("shopcard", "")`` for a URI area the
    editor made (``RichMenuForm._talk_link``); None for any other link."""
    if not uri.startswith(settings.SITE_URL + "/"):
        return None
    try:
        match = resolve(uri[len(settings.SITE_URL) :])
    except Resolver404:
        return None
    if match.view_name == "talk:coupon":
        return "coupon", match.kwargs["coupon_id"]
    if match.view_name == "talk:card":
        return "shopcard", ""
    return None
