"""Manager forms for friends, sources, tags, custom fields and notes.

Forms only parse and check shapes; the services enforce the rules.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from messaging.friends.filters import AGE_BANDS, NO_SOURCE, FriendFilters
from messaging.friends.models import CustomField, Friend, LineUser
from messaging.friends.regions import region_choices_grouped
from messaging.friends.services import (
    FIELD_NAME_MAX,
    FIELD_TEXT_MAX,
    NOTE_MAX,
    SOURCE_NAME_MAX,
    TAG_NAME_MAX,
)

NO_SOURCE_VALUE = "none"


class DateInput(forms.DateInput):
    input_type = "date"


class FriendFilterForm(forms.Form):
    """The friends list's GET parameters.

    An invalid value (a tag of another account, an unknown region…) makes
    its own field invalid; ``filters()`` then ignores that field and keeps
    every valid one, and the page shows the error.
    """

    q = forms.CharField(label=_("Name or user ID"), max_length=100, required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any")), *Friend.Status.choices],
    )
    tag = forms.MultipleChoiceField(
        label=_("Tags (any of)"),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "scroll-checks"}),
    )
    gender = forms.MultipleChoiceField(
        label=_("Gender"),
        required=False,
        choices=LineUser.Gender.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    age = forms.MultipleChoiceField(
        label=_("Age"), required=False, widget=forms.CheckboxSelectMultiple
    )
    os = forms.MultipleChoiceField(
        label=_("OS"),
        required=False,
        choices=LineUser.OS.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    region = forms.MultipleChoiceField(
        label=_("Region"),
        required=False,
        choices=region_choices_grouped,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "grouped-checks"}),
    )
    source = forms.MultipleChoiceField(
        label=_("Source"),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "scroll-checks"}),
    )
    since_from = forms.DateField(
        label=_("Friend since (from)"), required=False, widget=DateInput
    )
    since_to = forms.DateField(
        label=_("Friend since (to)"), required=False, widget=DateInput
    )
    # Keyset cursors of the pager (not filters).
    after = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    before = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, tags, sources, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tag"].choices = [(str(pk), name) for pk, name in tags]
        self.fields["source"].choices = [
            (NO_SOURCE_VALUE, _("No source (direct)")),
            *((str(pk), name) for pk, name in sources),
        ]
        self.fields["age"].choices = [(b.code, b.label) for b in AGE_BANDS]

    def clean(self):
        data = super().clean()
        start, end = data.get("since_from"), data.get("since_to")
        if start and end and start > end:
            self.add_error("since_to", _("The end date is before the start date."))
        return data

    def filters(self) -> FriendFilters:
        """The valid conditions; call after ``is_valid()``."""
        data = getattr(self, "cleaned_data", {})
        return FriendFilters(
            tag_ids=tuple(int(v) for v in data.get("tag", ())),
            genders=tuple(data.get("gender", ())),
            age_bands=tuple(data.get("age", ())),
            regions=tuple(data.get("region", ())),
            oses=tuple(data.get("os", ())),
            sources=tuple(
                NO_SOURCE if v == NO_SOURCE_VALUE else int(v)
                for v in data.get("source", ())
            ),
            since_from=data.get("since_from"),
            since_to=data.get("since_to"),
            status=data.get("status", ""),
            name=data.get("q", ""),
        )

    def cursor(self, name: str) -> int | None:
        return getattr(self, "cleaned_data", {}).get(name)

    @property
    def has_advanced(self) -> bool:
        """Whether a condition beyond the name box is set (opens the panel)."""
        names = ("status", "tag", "gender", "age", "os", "region", "source")
        return any(self.data.get(n) for n in (*names, "since_from", "since_to"))


class BulkTagForm(forms.Form):
    ADD, REMOVE = "add", "remove"

    tag = forms.ChoiceField(label=_("Tag"))
    action = forms.ChoiceField(
        label=_("Action"),
        choices=[(ADD, _("Add the tag")), (REMOVE, _("Remove the tag"))],
        initial=ADD,
    )

    def __init__(self, *args, tags, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tag"].choices = [("", "—"), *((str(pk), n) for pk, n in tags)]


class SourceCreateForm(forms.Form):
    name = forms.CharField(
        label=_("Source name"),
        max_length=SOURCE_NAME_MAX,
        help_text=_('For example "flyer" or "counter".'),
    )


class TagNameForm(forms.Form):
    name = forms.CharField(
        label=_("Tag"),
        max_length=TAG_NAME_MAX,
        # Suggests the account's tags where the page lists them.
        widget=forms.TextInput(attrs={"list": "account-tags", "autocomplete": "off"}),
    )

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Enter a name."))
        return name


class CustomFieldForm(forms.Form):
    name = forms.CharField(label=_("Field name"), max_length=FIELD_NAME_MAX)
    kind = forms.ChoiceField(label=_("Type"), choices=CustomField.Kind.choices)
    choices = forms.CharField(
        label=_("Choices (one per line)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Only for the choice type."),
    )

    def clean_choices(self):
        raw = self.cleaned_data.get("choices", "")
        return [line.strip() for line in raw.splitlines() if line.strip()]

    def clean(self):
        data = super().clean()
        if data.get("kind") == CustomField.Kind.CHOICE and not data.get("choices"):
            self.add_error("choices", _("Give at least one choice."))
        return data


class FriendFieldsForm(forms.Form):
    """One input per custom field of the account, typed by its kind."""

    def __init__(self, *args, fields, values, **kwargs):
        super().__init__(*args, **kwargs)
        self.custom_fields = list(fields)
        for field in self.custom_fields:
            name = f"field_{field.pk}"
            value = values.get(field.pk)
            if field.kind == CustomField.Kind.NUMBER:
                form_field = forms.DecimalField(
                    max_digits=18, decimal_places=4, required=False
                )
                # 7, not 7.0000 (the column keeps four places)
                initial = format(value.value_number.normalize(), "f") if value else None
            elif field.kind == CustomField.Kind.DATE:
                form_field = forms.DateField(required=False, widget=DateInput)
                initial = value.value_date if value else None
            elif field.kind == CustomField.Kind.CHOICE:
                form_field = forms.ChoiceField(
                    required=False,
                    choices=[("", "—"), *((c, c) for c in field.choices)],
                )
                initial = value.value_text if value else ""
            else:
                form_field = forms.CharField(max_length=FIELD_TEXT_MAX, required=False)
                initial = value.value_text if value else ""
            form_field.label = field.name
            if not self.is_bound:
                form_field.initial = initial
            self.fields[name] = form_field

    def values(self) -> dict[int, object]:
        return {
            f.pk: self.cleaned_data.get(f"field_{f.pk}") for f in self.custom_fields
        }


class NoteForm(forms.Form):
    body = forms.CharField(
        label=_("Note"),
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean_body(self):
        body = self.cleaned_data["body"].strip()
        if not body:
            raise forms.ValidationError(_("Write something."))
        return body
