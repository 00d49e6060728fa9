"""Surveys: validation, answering, mapping into friend attributes, segments."""

import datetime as dt

import pytest
from django.utils import timezone
from freezegun import freeze_time

from core.exceptions import ApplicationError, NotFound
from messaging.audience.conditions import segment_clean, segment_q
from messaging.broadcasts.control import broadcast_send_now
from messaging.broadcasts.models import Broadcast, Delivery
from messaging.friends.models import CustomField, Friend, FriendFieldValue
from messaging.friends.services import custom_field_create, friend_tag_add
from research import selectors, services
from research.models import Answer, Question, Survey, SurveyResponse
from tests.messaging.broadcasts.helpers import draft
from tests.talk.factories import befriend, make_persona
from tests.unchanged import assert_unchanged

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
END = dt.datetime(2026, 12, 31, tzinfo=dt.UTC)
DURING = "2026-12-10 12:00:00+00:00"


def _survey(account, actor, **kwargs) -> Survey:
    return services.survey_create(
        account=account,
        actor=actor,
        title=kwargs.pop("title", "Your visit"),
        starts_at=kwargs.pop("starts_at", START),
        ends_at=kwargs.pop("ends_at", END),
        **kwargs,
    )


def _q(survey, actor, kind, text="Q?", **kwargs) -> Question:
    return services.question_add(
        account=survey.account,
        actor=actor,
        survey=survey,
        kind=kind,
        text=text,
        **kwargs,
    )


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 101}, "title"),
        ({"ends_at": START}, "ends_at"),
        ({"ends_at": START - dt.timedelta(days=1)}, "ends_at"),
    ],
)
def test_survey_validation(account, alice, kwargs, field):
    with assert_unchanged(), pytest.raises(ApplicationError) as caught:
        _survey(account, alice, **kwargs)
    assert field in caught.value.details
    assert Survey.objects.count() == 0


@pytest.mark.parametrize(
    "kwargs, field, message",
    [
        (
            {"kind": "single", "choices": []},
            "choices",
            "A choice question needs at least two choices.",
        ),
        (
            {"kind": "multiple", "choices": ["a"]},
            "choices",
            "A choice question needs at least two choices.",
        ),
        (
            {"kind": "single", "choices": ["a", "a"]},
            "choices",
            "Each choice must be different.",
        ),
        (
            {"kind": "single", "choices": [str(i) for i in range(21)]},
            "choices",
            "A question can have at most 20 choices.",
        ),
        (
            {"kind": "single", "choices": ["x" * 101, "b"]},
            "choices",
            "A choice can have at most 100 characters.",
        ),
        ({"kind": "weird"}, "kind", "Choose a question type."),
        ({"kind": "text", "text": ""}, "text", "Enter the question."),
        (
            {"kind": "text", "maps_to": "gender"},
            "maps_to",
            "Answers of this type cannot go there.",
        ),
        (
            {"kind": "rating", "maps_to": "region"},
            "maps_to",
            "Answers of this type cannot go there.",
        ),
        (
            {"kind": "text", "maps_to": "custom_field", "field_id": 987654},
            "field",
            "Choose a custom field.",
        ),
        (
            {"kind": "text", "maps_to": "nowhere"},
            "maps_to",
            "Choose where the answer goes.",
        ),
    ],
)
def test_question_validation_table(account, alice, kwargs, field, message):
    survey = _survey(account, alice)
    kwargs = dict(kwargs)
    kind = kwargs.pop("kind")
    text = kwargs.pop("text", "Which?")
    with assert_unchanged(), pytest.raises(ApplicationError) as caught:
        _q(survey, alice, kind, text, **kwargs)
    assert caught.value.details == {field: message}
    assert Question.objects.count() == 0


def test_at_most_40_questions_and_no_empty_publish(account, alice):
    survey = _survey(account, alice)
    with assert_unchanged(), pytest.raises(ApplicationError) as caught:
        services.survey_publish(account=account, actor=alice, survey=survey)
    assert caught.value.message == "Add at least one question before publishing."
    assert Survey.objects.get().published_at is None
    for i in range(40):
        _q(survey, alice, "text", f"Q{i}")
    with assert_unchanged(), pytest.raises(ApplicationError) as caught:
        _q(survey, alice, "text", "one too many")
    assert caught.value.message == "A survey can have at most 40 questions."
    assert survey.questions.count() == 40


def test_a_custom_field_of_the_wrong_kind_is_refused(account, alice):
    field = custom_field_create(
        account=account, actor=alice, name="Visits", kind="number"
    )
    survey = _survey(account, alice)
    with assert_unchanged(), pytest.raises(ApplicationError) as caught:
        _q(survey, alice, "text", maps_to="custom_field", field_id=field.pk)
    assert caught.value.details == {
        "field": "This custom field cannot hold answers of this type."
    }


@pytest.fixture
def survey(account, alice):
    s = _survey(account, alice)
    _q(s, alice, "age_band", "Your age", maps_to="age_band")
    _q(s, alice, "gender", "Gender", maps_to="gender", required=False)
    _q(s, alice, "prefecture", "Where do you live?", maps_to="region", required=False)
    _q(s, alice, "rating", "How was it?")
    _q(
        s,
        alice,
        "single",
        "When do you come?",
        choices=["Mornings", "Evenings"],
        maps_to="tag",
    )
    _q(s, alice, "text", "Anything else?", required=False)
    services.survey_publish(account=account, actor=alice, survey=s)
    return s


def _ids(survey):
    return {q.text: q.pk for q in survey.questions.all()}


def _answer(survey, friend, **by_text):
    ids = _ids(survey)
    return services.survey_answer(
        friend=friend, survey=survey, answers={ids[k]: v for k, v in by_text.items()}
    )


BASE = {"Your age": "20_24", "How was it?": "2", "When do you come?": "Mornings"}


@freeze_time(DURING)
def test_answers_map_into_profile_tags_and_segments(account, alice, survey):
    hanako = befriend(
        account, make_persona("Hanako", age=41, gender="unknown", region="")
    )
    taro = befriend(account, make_persona("Taro", age=33))
    _answer(
        survey,
        hanako,
        **BASE,
        **{
            "Gender": "female",
            "Where do you live?": "jp_27",
            "Anything else?": "More tea",
        },
    )
    _answer(
        survey,
        taro,
        **{
            **BASE,
            "Your age": "30_34",
            "How was it?": "5",
            "When do you come?": "Evenings",
        },
    )
    hanako.line_user.refresh_from_db()
    assert (hanako.line_user.age, hanako.line_user.gender, hanako.line_user.region) == (
        20,
        "female",
        "jp_27",
    )
    assert list(hanako.tags.values_list("name", flat=True)) == ["Mornings"]
    assert list(taro.tags.values_list("name", flat=True)) == ["Evenings"]
    ids = _ids(survey)

    def matching(conditions):
        definition = segment_clean(
            account=account, definition={"match": "all", "conditions": conditions}
        )
        q = segment_q(account=account, definition=definition, now=timezone.now())
        return sorted(
            Friend.objects.filter(account=account)
            .filter(q)
            .values_list("line_user__display_name", flat=True)
        )

    assert matching([{"type": "age", "values": ["20_24"]}]) == ["Hanako"]
    assert matching(
        [{"type": "survey_answer", "values": [f"{ids['Your age']}=20_24"]}]
    ) == ["Hanako"]
    assert matching(
        [{"type": "survey_answer", "values": [f"{ids['How was it?']}<=2"]}]
    ) == ["Hanako"]
    assert matching(
        [{"type": "survey_answer", "values": [f"{ids['How was it?']}<=4"]}]
    ) == ["Hanako"]
    assert matching(
        [{"type": "survey_answer", "values": [f"{ids['When do you come?']}=Evenings"]}]
    ) == ["Taro"]
    assert matching([{"type": "survey_answered", "values": [survey.pk]}]) == [
        "Hanako",
        "Taro",
    ]
    for bad in (
        ["x"],
        [f"{ids['Anything else?']}=x"],
        [f"{ids['How was it?']}<=9"],
        ["987654=1"],
    ):
        with assert_unchanged(), pytest.raises(ApplicationError):
            matching([{"type": "survey_answer", "values": bad}])


@freeze_time(DURING)
def test_a_broadcast_to_answered_20_24_reaches_exactly_those_friends(
    account, alice, survey, django_capture_on_commit_callbacks
):
    young = befriend(account, make_persona("Young", age=None))
    befriend(account, make_persona("Older", age=22))  # 20–24, did not answer
    other = befriend(account, make_persona("Other", age=22))
    _answer(survey, young, **BASE)
    _answer(survey, other, **{**BASE, "Your age": "30_34"})
    qid = _ids(survey)["Your age"]
    broadcast = draft(
        account,
        alice,
        audience={
            "match": "all",
            "conditions": [{"type": "survey_answer", "values": [f"{qid}=20_24"]}],
        },
    )
    with django_capture_on_commit_callbacks(execute=True):
        broadcast_send_now(broadcast=broadcast, actor=alice)
    broadcast.refresh_from_db()
    assert broadcast.status == Broadcast.Status.SENT
    assert list(
        Delivery.objects.filter(broadcast=broadcast).values_list("friend_id", flat=True)
    ) == [young.pk]


def test_answering_outside_the_period_or_twice(account, alice, survey, other_account):
    hanako = befriend(account, make_persona("Hanako"))
    with (
        freeze_time("2026-11-30 23:59:59+00:00"),
        assert_unchanged(),
        pytest.raises(services.SurveyClosed),
    ):
        _answer(survey, hanako, **BASE)
    with (
        freeze_time("2026-12-31 00:00:00+00:00"),
        assert_unchanged(),
        pytest.raises(services.SurveyClosed),
    ):
        _answer(survey, hanako, **BASE)
    assert SurveyResponse.objects.count() == 0
    with freeze_time(DURING):
        first = _answer(survey, hanako, **BASE)
        second = _answer(survey, hanako, **{**BASE, "How was it?": "4"})
    assert first.pk == second.pk
    assert SurveyResponse.objects.count() == 1
    rating = Answer.objects.get(question_id=_ids(survey)["How was it?"])
    assert rating.values == ["4"]
    foreign = befriend(other_account, make_persona("Stranger"))
    with freeze_time(DURING), assert_unchanged(), pytest.raises(NotFound):
        _answer(survey, foreign, **BASE)
    hanako.status = Friend.Status.BLOCKED
    hanako.save()
    with freeze_time(DURING), assert_unchanged(), pytest.raises(NotFound):
        _answer(survey, hanako, **BASE)


@freeze_time(DURING)
@pytest.mark.parametrize(
    "override, key, message",
    [
        ({"Your age": ""}, "Your age", "Answer this question."),
        ({"Your age": "99_100"}, "Your age", "Choose one of the choices."),
        ({"How was it?": "6"}, "How was it?", "Choose one of the choices."),
        (
            {"When do you come?": ["Mornings", "Evenings"]},
            "When do you come?",
            "Choose one answer.",
        ),
        (
            {"Anything else?": "x" * 1001},
            "Anything else?",
            "Use at most 1000 characters.",
        ),
    ],
)
def test_bad_answers_write_nothing(account, alice, survey, override, key, message):
    hanako = befriend(account, make_persona("Hanako", age=41))
    with assert_unchanged(), pytest.raises(ApplicationError) as caught:
        _answer(survey, hanako, **{**BASE, **override})
    assert caught.value.details == {f"q{_ids(survey)[key]}": message}
    assert SurveyResponse.objects.count() == 0
    assert Answer.objects.count() == 0
    hanako.line_user.refresh_from_db()
    assert hanako.line_user.age == 41
    assert hanako.tags.count() == 0


@freeze_time(DURING)
def test_custom_field_mapping_and_results(account, alice):
    field = custom_field_create(
        account=account, actor=alice, name="Favourite", kind="text"
    )
    s = _survey(account, alice)
    _q(s, alice, "text", "Favourite dish", maps_to="custom_field", field_id=field.pk)
    _q(s, alice, "multiple", "Drinks", choices=["Tea", "Coffee", "Juice"])
    services.survey_publish(account=account, actor=alice, survey=s)
    a = befriend(account, make_persona("Ann"))
    b = befriend(account, make_persona("Ben"))
    _answer(s, a, **{"Favourite dish": "Curry rice", "Drinks": ["Tea", "Coffee"]})
    _answer(s, b, **{"Favourite dish": "Ramen", "Drinks": ["Coffee"]})
    assert (
        FriendFieldValue.objects.get(friend=a, field=field).value_text == "Curry rice"
    )
    results = selectors.survey_results(survey=s)
    assert results[1]["rows"] == [("Tea", 1), ("Coffee", 2), ("Juice", 0)]
    assert results[1]["answered"] == 2
    assert sorted(results[0]["texts"]) == ["Curry rice", "Ramen"]
    assert selectors.survey_results(survey=s, search="rice")[0]["texts"] == [
        "Curry rice"
    ]
    header, rows = selectors.survey_csv_rows(survey=s)
    assert header[3:] == ["Favourite dish", "Drinks"]
    assert sorted(r[1:2] + r[3:] for r in rows) == [
        ["Ann", "Curry rice", "Tea / Coffee"],
        ["Ben", "Ramen", "Coffee"],
    ]
    assert CustomField.objects.count() == 1


@freeze_time(DURING)
def test_a_choice_taken_back_takes_its_tag_back(account, alice):
    """Found by QA: editing an answer left the old choice's tag on the friend."""
    s = _survey(account, alice)
    _q(
        s,
        alice,
        "multiple",
        "What do you drink?",
        choices=["Coffee", "Juice", "Tea"],
        maps_to="tag",
    )
    services.survey_publish(account=account, actor=alice, survey=s)
    friend = befriend(account, make_persona("Hanako"))
    staff_tag = friend_tag_add(account=account, actor=alice, friend=friend, name="VIP")
    _answer(s, friend, **{"What do you drink?": ["Coffee", "Juice"]})
    assert sorted(friend.tags.values_list("name", flat=True)) == [
        "Coffee",
        "Juice",
        "VIP",
    ]
    # when she unticks Juice
    _answer(s, friend, **{"What do you drink?": ["Coffee"]})
    # then Juice's tag goes, Coffee's and the staff's own tag stay
    assert sorted(friend.tags.values_list("name", flat=True)) == ["Coffee", "VIP"]
    assert staff_tag.friends.filter(pk=friend.pk).exists()
