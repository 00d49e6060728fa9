"""Writes of research surveys: build, publish, answer, and the mapping of
answers into friend attributes.

Every input is checked before the first write; a bad one raises
``ApplicationError`` (``details`` keyed by form field) and writes nothing.
"""

import contextlib
import datetime as dt
import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import OfficialAccount, User
from accounts.services import audit_record
from core.exceptions import ApplicationError, NotFound
from core.images import PHOTO, image_check, image_preview
from coupons.models import Coupon
from coupons.services import CouponUnavailable, coupon_acquire
from messaging.friends.filters import AGE_BANDS_BY_CODE
from messaging.friends.models import CustomField, Friend, LineUser, Tag
from messaging.friends.services import (
    TAG_NAME_MAX,
    friend_fields_set,
    friend_tag_add,
    friend_tag_remove,
)
from research.choices import fixed_choices
from research.models import (
    CHOICE_MAX,
    CHOICES_MAX,
    FREE_TEXT_MAX,
    QUESTION_TEXT_MAX,
    QUESTIONS_MAX,
    TITLE_MAX,
    Answer,
    Question,
    Survey,
    SurveyResponse,
)

Kind = Question.Kind
MapsTo = Question.MapsTo

# Which question kinds each mapping takes.
_MAPPABLE = {
    MapsTo.GENDER: {Kind.GENDER},
    MapsTo.AGE_BAND: {Kind.AGE_BAND},
    MapsTo.REGION: {Kind.PREFECTURE},
    MapsTo.TAG: {
        Kind.SINGLE,
        Kind.MULTIPLE,
        Kind.RATING,
        Kind.PREFECTURE,
        Kind.AGE_BAND,
        Kind.GENDER,
    },
}
# Which custom field kinds take which question kinds.
_FIELD_KINDS = {
    CustomField.Kind.TEXT: {Kind.SINGLE, Kind.TEXT, Kind.RATING, Kind.DATE},
    CustomField.Kind.NUMBER: {Kind.RATING},
    CustomField.Kind.DATE: {Kind.DATE},
    CustomField.Kind.CHOICE: {Kind.SINGLE},
}


def _bad(message: str, field: str = "__all__") -> ApplicationError:
    return ApplicationError(message, {field: message})


class SurveyClosed(ApplicationError):
    """The survey is not taking answers now."""


def _clean_survey(title: str, starts_at, ends_at) -> str:
    title = (title or "").strip()
    if not title:
        raise _bad(_("Enter a title."), "title")
    if len(title) > TITLE_MAX:
        raise _bad(_("Use at most %(n)d characters.") % {"n": TITLE_MAX}, "title")
    if starts_at is None or ends_at is None:
        raise _bad(_("Enter when the survey starts and ends."), "ends_at")
    if ends_at <= starts_at:
        raise _bad(_("The survey must end after it starts."), "ends_at")
    return title


def _thank_you_coupon(account: OfficialAccount, coupon_id: str | None):
    """The running coupon of this account named ``coupon_id``, or None."""
    if not coupon_id:
        return None
    coupon = Coupon.objects.filter(account=account, coupon_id=coupon_id).first()
    if coupon is None or coupon.state() not in ("open", "upcoming"):
        raise _bad(_("Choose a coupon that is running."), "thank_you_coupon")
    return coupon


def _cover(upload):
    if not upload:
        return None
    try:
        checked = image_check(upload, use=PHOTO)
    except ApplicationError as exc:
        raise _bad(exc.message, "cover") from None
    return image_preview(checked, side=1024, name=secrets.token_hex(8))


@transaction.atomic
def survey_create(
    *,
    account: OfficialAccount,
    actor: User,
    title: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    description: str = "",
    cover=None,
    thank_you_coupon: str | None = None,
) -> Survey:
    """A draft survey. ``thank_you_coupon``: a running coupon's ``coupon_id``
    given once to each friend who answers (``coupons.services.coupon_acquire``,
    so a lottery coupon is drawn). Raises ``ApplicationError`` with the field
    at fault; nothing is written then."""
    title = _clean_survey(title, starts_at, ends_at)
    coupon = _thank_you_coupon(account, thank_you_coupon)
    cover_file = _cover(cover)
    survey = Survey.objects.create(
        account=account,
        title=title,
        description=(description or "").strip()[:2000],
        starts_at=starts_at,
        ends_at=ends_at,
        thank_you_coupon=coupon,
    )
    if cover_file:
        survey.cover = cover_file
        survey.save(update_fields=["cover"])
    audit_record(
        account=account,
        actor=actor,
        action="research.survey_create",
        target=str(survey.pk),
        target_label=title,
    )
    return survey


@transaction.atomic
def survey_update(
    *,
    account: OfficialAccount,
    actor: User,
    survey: Survey,
    title: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    description: str = "",
    cover=None,
    thank_you_coupon: str | None = None,
) -> Survey:
    if survey.account_id != account.pk:
        raise NotFound
    title = _clean_survey(title, starts_at, ends_at)
    coupon = _thank_you_coupon(account, thank_you_coupon)
    cover_file = _cover(cover)
    survey.thank_you_coupon = coupon
    survey.title = title
    survey.description = (description or "").strip()[:2000]
    survey.starts_at, survey.ends_at = starts_at, ends_at
    if cover_file:
        survey.cover = cover_file
    survey.save()
    audit_record(
        account=account,
        actor=actor,
        action="research.survey_update",
        target=str(survey.pk),
        target_label=title,
    )
    return survey


@transaction.atomic
def survey_delete(*, account: OfficialAccount, actor: User, survey: Survey) -> None:
    if survey.account_id != account.pk:
        raise NotFound
    title, pk = survey.title, survey.pk
    survey.delete()
    audit_record(
        account=account,
        actor=actor,
        action="research.survey_delete",
        target=str(pk),
        target_label=title,
    )


@transaction.atomic
def survey_publish(*, account: OfficialAccount, actor: User, survey: Survey) -> Survey:
    """Make the survey's link answerable (within its period). An empty
    survey is refused."""
    if survey.account_id != account.pk:
        raise NotFound
    if not survey.questions.exists():
        raise _bad(_("Add at least one question before publishing."))
    if survey.published_at is None:
        survey.published_at = timezone.now()
        survey.save(update_fields=["published_at"])
        audit_record(
            account=account,
            actor=actor,
            action="research.survey_publish",
            target=str(survey.pk),
            target_label=survey.title,
        )
    return survey


def question_clean(
    *,
    account: OfficialAccount,
    kind: str,
    text: str,
    choices: list[str] | None,
    maps_to: str = "",
    field_id: int | None = None,
) -> dict:
    """The question's stored values, or ``ApplicationError``."""
    if kind not in Kind.values:
        raise _bad(_("Choose a question type."), "kind")
    text = (text or "").strip()
    if not text:
        raise _bad(_("Enter the question."), "text")
    if len(text) > QUESTION_TEXT_MAX:
        raise _bad(
            _("Use at most %(n)d characters.") % {"n": QUESTION_TEXT_MAX}, "text"
        )
    cleaned_choices: list[str] = []
    if kind in (Kind.SINGLE, Kind.MULTIPLE):
        for choice in choices or []:
            choice = (choice or "").strip()
            if not choice:
                continue
            if len(choice) > CHOICE_MAX:
                raise _bad(
                    _("A choice can have at most %(n)d characters.")
                    % {"n": CHOICE_MAX},
                    "choices",
                )
            if choice in cleaned_choices:
                raise _bad(_("Each choice must be different."), "choices")
            cleaned_choices.append(choice)
        if len(cleaned_choices) < 2:
            raise _bad(_("A choice question needs at least two choices."), "choices")
        if len(cleaned_choices) > CHOICES_MAX:
            raise _bad(
                _("A question can have at most %(n)d choices.") % {"n": CHOICES_MAX},
                "choices",
            )
    if maps_to not in MapsTo.values:
        raise _bad(_("Choose where the answer goes."), "maps_to")
    field = None
    if maps_to == MapsTo.CUSTOM_FIELD:
        field = CustomField.objects.filter(account=account, pk=field_id).first()
        if field is None:
            raise _bad(_("Choose a custom field."), "field")
        if kind not in _FIELD_KINDS[field.kind]:
            raise _bad(
                _("This custom field cannot hold answers of this type."), "field"
            )
        if field.kind == CustomField.Kind.CHOICE and not set(cleaned_choices) <= set(
            field.choices
        ):
            raise _bad(_("Every choice must be one of the field's choices."), "field")
    elif maps_to and kind not in _MAPPABLE[maps_to]:
        raise _bad(_("Answers of this type cannot go there."), "maps_to")
    return {
        "kind": kind,
        "text": text,
        "choices": cleaned_choices,
        "maps_to": maps_to,
        "field": field,
    }


@transaction.atomic
def question_add(
    *,
    account: OfficialAccount,
    actor: User,
    survey: Survey,
    kind: str,
    text: str,
    choices: list[str] | None = None,
    required: bool = True,
    maps_to: str = "",
    field_id: int | None = None,
) -> Question:
    """Append a question; at most 40 per survey."""
    if survey.account_id != account.pk:
        raise NotFound
    survey = Survey.objects.select_for_update().get(pk=survey.pk)
    data = question_clean(
        account=account,
        kind=kind,
        text=text,
        choices=choices,
        maps_to=maps_to,
        field_id=field_id,
    )
    count = survey.questions.count()
    if count >= QUESTIONS_MAX:
        raise _bad(
            _("A survey can have at most %(n)d questions.") % {"n": QUESTIONS_MAX}
        )
    question = Question.objects.create(
        survey=survey, position=count, required=required, **data
    )
    audit_record(
        account=account,
        actor=actor,
        action="research.question_add",
        target=str(survey.pk),
        target_label=text[:40],
    )
    return question


@transaction.atomic
def question_delete(
    *, account: OfficialAccount, actor: User, question: Question
) -> None:
    survey = question.survey
    if survey.account_id != account.pk:
        raise NotFound
    if survey.published_at:
        # Answers are already being collected against these questions, as
        # coupons and shop cards are fixed once published.
        raise _bad(_("A published survey's questions cannot be deleted."))
    text = question.text
    question.delete()
    audit_record(
        account=account,
        actor=actor,
        action="research.question_delete",
        target=str(survey.pk),
        target_label=text[:40],
    )


# Answering ----------------------------------------------------------------


def survey_open(survey: Survey, now: dt.datetime) -> bool:
    return bool(survey.published_at) and survey.starts_at <= now < survey.ends_at


def _clean_answer(question: Question, raw) -> tuple[list[str], str] | None:
    """``(values, text)`` for one question, None when left empty."""
    if isinstance(raw, str):
        raw = [raw]
    raw = [str(v).strip() for v in (raw or []) if str(v).strip()]
    if not raw:
        return None
    kind = question.kind
    if kind == Kind.TEXT:
        text = raw[0]
        if len(text) > FREE_TEXT_MAX:
            raise _bad(
                _("Use at most %(n)d characters.") % {"n": FREE_TEXT_MAX},
                f"q{question.pk}",
            )
        return [], text
    if kind == Kind.DATE:
        try:
            return [dt.date.fromisoformat(raw[0]).isoformat()], ""
        except ValueError:
            raise _bad(_("Enter a valid date."), f"q{question.pk}") from None
    allowed = [value for value, _label in fixed_choices(question)]
    values = []
    for value in raw:
        if value not in allowed:
            raise _bad(_("Choose one of the choices."), f"q{question.pk}")
        if value not in values:
            values.append(value)
    if kind != Kind.MULTIPLE and len(values) > 1:
        raise _bad(_("Choose one answer."), f"q{question.pk}")
    return sorted(values, key=allowed.index), ""


def _profile_updates(question: Question, values: list[str]) -> dict:
    if not values:
        return {}
    if question.maps_to == MapsTo.GENDER:
        return {"gender": values[0]}
    if question.maps_to == MapsTo.REGION:
        return {"region": values[0]}
    if question.maps_to == MapsTo.AGE_BAND:
        band = AGE_BANDS_BY_CODE[values[0]]
        # The band's first year (19 for "under 20"): the age conditions and
        # the friends list then put the friend in exactly this band.
        return {"age": band.lo if band.lo is not None else band.hi - 1}
    return {}


@transaction.atomic
def survey_answer(
    *,
    friend: Friend,
    survey: Survey,
    answers: dict[int, object],
    now: dt.datetime | None = None,
) -> SurveyResponse:
    """Store ``friend``'s answers (question id → value or list of values).

    One response per friend: answering again replaces the earlier answers
    while the survey is open. Refused (nothing written) after the period, for
    a friend of another account or one who blocked it, for a missing
    required answer or a value that is not one of the choices. Answers with
    a mapping update the friend's profile, custom field or tags.
    """
    now = now or timezone.now()
    if (
        survey.account_id != friend.account_id
        or survey.published_at is None
        or friend.status != Friend.Status.FOLLOWING
    ):
        raise NotFound
    if not survey_open(survey, now):
        raise SurveyClosed(_("This survey is not taking answers now."))
    questions = list(survey.questions.select_related("field"))
    cleaned: dict[int, tuple[list[str], str]] = {}
    errors: dict[str, str] = {}
    for question in questions:
        try:
            value = _clean_answer(question, answers.get(question.pk))
        except ApplicationError as exc:
            errors.update(exc.details)
            continue
        if value is None:
            if question.required:
                errors[f"q{question.pk}"] = _("Answer this question.")
            continue
        cleaned[question.pk] = value
    if errors:
        raise ApplicationError(_("Some answers need your attention."), errors)
    # Lock the friend's row: two submissions at once make one response.
    Friend.objects.select_for_update().filter(pk=friend.pk).first()
    response, created = SurveyResponse.objects.get_or_create(
        survey=survey, friend=friend
    )
    earlier: dict[int, list[str]] = {}
    if not created:
        response.save(update_fields=["updated_at"])
        earlier = dict(response.answers.values_list("question_id", "values"))
        response.answers.all().delete()
    Answer.objects.bulk_create(
        [
            Answer(response=response, question_id=qid, values=values, text=text)
            for qid, (values, text) in cleaned.items()
        ]
    )
    _apply_mappings(friend, questions, cleaned, earlier)
    if created and survey.thank_you_coupon_id:
        _thank(friend, survey)
    return response


def _thank(friend: Friend, survey: Survey) -> None:
    """The thank-you coupon, once: only a friend's first response gets it
    (``coupon_acquire`` also returns an earlier ticket rather than a second).
    A coupon closed or expired since the survey was set up gives nothing;
    the answers stand."""
    coupon = Coupon.objects.get(pk=survey.thank_you_coupon_id)  # as it is now
    with contextlib.suppress(CouponUnavailable):
        coupon_acquire(coupon=coupon, friend=friend)


def _apply_mappings(friend: Friend, questions, cleaned, earlier=None) -> None:
    """Write answers into the friend's profile, custom fields and tags.

    ``earlier``: question id → the values of the friend's previous answer;
    a choice taken back also takes its tag back (the tag stays only if
    another answer still names it)."""
    profile: dict = {}
    fields: dict[int, object] = {}
    tags: list[str] = []
    dropped: list[str] = []
    for question in questions:
        if question.pk not in cleaned or not question.maps_to:
            continue
        values, text = cleaned[question.pk]
        profile.update(_profile_updates(question, values))
        if question.maps_to == MapsTo.CUSTOM_FIELD and question.field_id:
            if question.kind == Kind.TEXT:
                fields[question.field_id] = text
            elif question.field.kind == CustomField.Kind.NUMBER:
                fields[question.field_id] = values[0]
            else:
                fields[question.field_id] = ", ".join(values)
        if question.maps_to == MapsTo.TAG:
            labels = dict(fixed_choices(question))
            tags.extend(str(labels[v])[:TAG_NAME_MAX] for v in values)
    for question in questions:
        if question.maps_to != MapsTo.TAG or not (earlier or {}).get(question.pk):
            continue
        labels = dict(fixed_choices(question))
        now_chosen = set(cleaned.get(question.pk, ([], ""))[0])
        dropped.extend(
            str(labels[v])[:TAG_NAME_MAX]
            for v in earlier[question.pk]
            if v not in now_chosen and v in labels
        )
    if profile:
        LineUser.objects.filter(pk=friend.line_user_id).update(**profile)
    if fields:
        friend_fields_set(
            account=friend.account, actor=None, friend=friend, values=fields
        )
    for name in tags:
        friend_tag_add(account=friend.account, actor=None, friend=friend, name=name)
    for tag in Tag.objects.filter(
        account=friend.account, name__in=set(dropped) - set(tags)
    ):
        friend_tag_remove(account=friend.account, actor=None, friend=friend, tag=tag)
