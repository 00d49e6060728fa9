"""Research: surveys friends answer in the talk app (docs/research.md).

A survey has up to 40 questions of LINE's types. A friend answers once
(one ``SurveyResponse``) and may change the answers until the period ends.
A question may write its answer to the friend's profile (gender, age,
region), a custom field or a tag, so broadcasts can target by it; the
answers themselves are segment conditions too (``research.conditions``).
"""

import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import OfficialAccount
from core.models import TimeStampedModel

QUESTIONS_MAX = 40
CHOICES_MAX = 20
CHOICE_MAX = 100
QUESTION_TEXT_MAX = 300
FREE_TEXT_MAX = 1000
TITLE_MAX = 100


def new_public_id() -> str:
    return secrets.token_urlsafe(12)


def _cover_path(survey: "Survey", filename: str) -> str:
    return f"research/{survey.account_id}/{filename}"


class Survey(TimeStampedModel):
    account = models.ForeignKey(
        OfficialAccount, on_delete=models.CASCADE, related_name="surveys"
    )
    # The talk app's link (/talk/research/<public_id>/): not guessable.
    public_id = models.CharField(max_length=32, unique=True, default=new_public_id)
    title = models.CharField(_("title"), max_length=TITLE_MAX)
    description = models.TextField(_("description"), max_length=2000, blank=True)
    cover = models.ImageField(upload_to=_cover_path, blank=True)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    published_at = models.DateTimeField(null=True, blank=True)
    # Given once to each friend whose first answer is stored (issue 13, #4).
    thank_you_coupon = models.ForeignKey(
        "coupons.Coupon",
        verbose_name=_("thank-you coupon"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.title


class Question(models.Model):
    class Kind(models.TextChoices):
        SINGLE = "single", _("Single choice")
        MULTIPLE = "multiple", _("Multiple choice")
        TEXT = "text", _("Free text")
        RATING = "rating", _("5-point rating")
        DATE = "date", _("Date")
        PREFECTURE = "prefecture", _("Prefecture")
        AGE_BAND = "age_band", _("Age band")
        GENDER = "gender", _("Gender")

    class MapsTo(models.TextChoices):
        NONE = "", _("Nothing")
        GENDER = "gender", _("Friend's gender")
        AGE_BAND = "age_band", _("Friend's age")
        REGION = "region", _("Friend's region")
        CUSTOM_FIELD = "custom_field", _("A custom field")
        TAG = "tag", _("A tag named after the answer")

    survey = models.ForeignKey(
        Survey, on_delete=models.CASCADE, related_name="questions"
    )
    position = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    text = models.CharField(max_length=QUESTION_TEXT_MAX)
    choices = models.JSONField(default=list, blank=True)
    required = models.BooleanField(default=True)
    maps_to = models.CharField(
        max_length=12, choices=MapsTo.choices, default="", blank=True
    )
    field = models.ForeignKey(
        "messaging.CustomField",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.text


class SurveyResponse(TimeStampedModel):
    survey = models.ForeignKey(
        Survey, on_delete=models.CASCADE, related_name="responses"
    )
    friend = models.ForeignKey(
        "messaging.Friend", on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "friend"], name="research_one_response"
            )
        ]


class Answer(models.Model):
    """One question's answer: ``values`` holds the choice(s) as strings
    (a rating "1"…"5", a date "YYYY-MM-DD"); ``text`` a free-text answer."""

    response = models.ForeignKey(
        SurveyResponse, on_delete=models.CASCADE, related_name="answers"
    )
    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="answers"
    )
    values = models.JSONField(default=list, blank=True)
    text = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["response", "question"], name="research_one_answer"
            )
        ]

    def __str__(self) -> str:
        return f"answer {self.pk}"
