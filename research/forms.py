"""The Manager's survey and question forms (shapes; rules are the service's)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from research.models import QUESTION_TEXT_MAX, TITLE_MAX, Question


class SurveyForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    cover = forms.FileField(label=_("Cover image"), required=False)
    starts_at = forms.DateTimeField(
        label=_("Starts"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    ends_at = forms.DateTimeField(
        label=_("Ends"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    thank_you_coupon = forms.ChoiceField(
        label=_("Thank-you coupon"),
        required=False,
        help_text=_("Given once to every friend who completes the survey."),
    )

    def __init__(self, *args, coupons=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["thank_you_coupon"].choices = [("", "—"), *coupons]


class QuestionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type"), choices=Question.Kind.choices)
    text = forms.CharField(label=_("Question"), max_length=QUESTION_TEXT_MAX)
    choices = forms.CharField(
        label=_("Choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One per line, for single and multiple choice questions."),
    )
    required = forms.BooleanField(label=_("Required"), required=False, initial=True)
    maps_to = forms.ChoiceField(
        label=_("Save the answer to"), choices=Question.MapsTo.choices, required=False
    )
    field = forms.TypedChoiceField(
        label=_("Custom field"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args, fields=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["field"].choices = [("", "—")] + [(f.pk, f.name) for f in fields]
