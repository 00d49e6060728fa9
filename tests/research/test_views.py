"""Research pages: building a survey, results and CSV, answering in the talk app."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from freezegun import freeze_time

from accounts.models import Membership
from research import services
from research.models import Question, Survey, SurveyResponse
from tests.factories import UserFactory, add_member
from tests.talk.factories import befriend, make_persona, talk_client
from tests.unchanged import assert_unchanged

pytestmark = pytest.mark.django_db

DURING = "2026-12-10 12:00:00+00:00"


def _url(account, name, *args):
    return reverse(name, args=[account.slug, *args])


@pytest.fixture
def dora_client(account):
    user = UserFactory(username="dora")
    add_member(account, user, Membership.Role.OPERATOR_NO_DELIVERY)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def survey(account, alice):
    s = services.survey_create(
        account=account,
        actor=alice,
        title="Your visit",
        starts_at=dt.datetime(2026, 12, 1, tzinfo=dt.UTC),
        ends_at=dt.datetime(2026, 12, 31, tzinfo=dt.UTC),
    )
    services.question_add(
        account=account,
        actor=alice,
        survey=s,
        kind="age_band",
        text="Age",
        maps_to="age_band",
    )
    services.question_add(
        account=account,
        actor=alice,
        survey=s,
        kind="single",
        text="When?",
        choices=["Mornings", "Evenings"],
    )
    services.question_add(
        account=account,
        actor=alice,
        survey=s,
        kind="text",
        text="Comments",
        required=False,
    )
    services.survey_publish(account=account, actor=alice, survey=s)
    return s


def test_staff_build_and_publish_a_survey(alice_client, account):
    response = alice_client.post(
        _url(account, "research:survey-create"),
        {
            "title": "Breakfast",
            "starts_at": "2026-12-01T09:00",
            "ends_at": "2026-12-20T09:00",
        },
    )
    survey = Survey.objects.get()
    assert response["Location"] == _url(account, "research:survey-detail", survey.pk)
    publish = _url(account, "research:survey-publish", survey.pk)
    with assert_unchanged():
        page = alice_client.post(publish, follow=True).content.decode()
    assert "Add at least one question before publishing." in page
    with assert_unchanged():
        bad = alice_client.post(
            _url(account, "research:question-add", survey.pk),
            {
                "kind": "single",
                "text": "Which?",
                "choices": "only one",
                "required": "on",
            },
        )
    assert bad.status_code == 400
    assert "A choice question needs at least two choices." in bad.content.decode()
    assert Question.objects.count() == 0
    alice_client.post(
        _url(account, "research:question-add", survey.pk),
        {
            "kind": "single",
            "text": "Which?",
            "choices": "Eggs\nToast\n",
            "required": "on",
        },
    )
    assert list(Question.objects.values_list("choices", flat=True)) == [
        ["Eggs", "Toast"]
    ]
    alice_client.post(publish)
    survey.refresh_from_db()
    assert survey.published_at is not None
    detail = alice_client.get(
        _url(account, "research:survey-detail", survey.pk)
    ).content.decode()
    assert f"/talk/research/{survey.public_id}/" in detail


def test_a_published_surveys_questions_cannot_be_deleted(alice_client, account, survey):
    """Found by QA: a published survey's questions could still be deleted."""
    # given a published survey with answers being collected
    question = survey.questions.order_by("position").first()
    page = alice_client.get(_url(account, "research:survey-detail", survey.pk))
    assert f"questions/{question.pk}/delete" not in page.content.decode()
    # when staff post a delete anyway
    with assert_unchanged():
        response = alice_client.post(
            _url(account, "research:question-delete", survey.pk, question.pk)
        )
    # then it is refused, saying why, and every question stays
    assert response.status_code == 409
    assert "A published survey&#x27;s questions cannot be deleted." in (
        response.content.decode()
    )
    assert survey.questions.count() == 3


def test_a_draft_surveys_question_is_deleted(alice_client, account, alice):
    draft = services.survey_create(
        account=account,
        actor=alice,
        title="Draft",
        starts_at=dt.datetime(2026, 12, 1, tzinfo=dt.UTC),
        ends_at=dt.datetime(2026, 12, 31, tzinfo=dt.UTC),
    )
    question = services.question_add(
        account=account, actor=alice, survey=draft, kind="text", text="Why?"
    )
    response = alice_client.post(
        _url(account, "research:question-delete", draft.pk, question.pk)
    )
    assert response["Location"] == _url(account, "research:survey-detail", draft.pk)
    assert not Question.objects.filter(pk=question.pk).exists()


def test_roles_and_tenancy(dora_client, charlie_client, account, survey):
    assert dora_client.get(_url(account, "research:survey-list")).status_code == 200
    assert dora_client.get(_url(account, "research:survey-create")).status_code == 403
    with assert_unchanged():
        assert (
            dora_client.post(
                _url(account, "research:survey-delete", survey.pk)
            ).status_code
            == 403
        )
    assert (
        charlie_client.get(
            _url(account, "research:survey-results", survey.pk)
        ).status_code
        == 404
    )
    assert Survey.objects.count() == 1


@freeze_time(DURING)
def test_customer_answers_from_the_link_and_staff_see_results(
    alice_client, account, survey
):
    persona = make_persona("Hanako", age=45)
    befriend(account, persona)
    client = talk_client(persona)
    url = reverse("talk:survey", args=[survey.public_id])
    page = client.get(url).content.decode()
    assert 'data-testid="survey-form"' in page
    ids = {q.text: q.pk for q in survey.questions.all()}
    with assert_unchanged():
        missing = client.post(url, {f"q{ids['When?']}": "Mornings"})
    assert missing.status_code == 400
    assert "Answer this question." in missing.content.decode()
    assert SurveyResponse.objects.count() == 0
    done = client.post(
        url,
        {
            f"q{ids['Age']}": "20_24",
            f"q{ids['When?']}": "Mornings",
            f"q{ids['Comments']}": "Nice",
        },
    )
    assert done.status_code == 302
    persona.refresh_from_db()
    assert persona.age == 20
    again = client.get(url).content.decode()
    assert 'data-testid="survey-answered"' in again
    assert 'value="Mornings" checked' in again
    results = alice_client.get(_url(account, "research:survey-results", survey.pk))
    html = results.content.decode()
    assert "1 friend answered." in html
    assert 'id="result-data"' in html
    assert '<li class="pre">Nice</li>' in html
    csv = alice_client.get(_url(account, "research:survey-results-csv", survey.pk))
    body = b"".join(csv.streaming_content).decode("utf-8-sig")
    lines = body.strip().splitlines()
    assert lines[0] == "user_id,display_name,answered_at,Age,When?,Comments"
    assert lines[1].endswith(",20–24,Mornings,Nice")


def test_closed_unknown_and_not_a_friend(account, survey):
    persona = make_persona("Hanako")
    client = talk_client(persona)
    url = reverse("talk:survey", args=[survey.public_id])
    with freeze_time(DURING):
        page = client.get(url).content.decode()
        assert 'data-testid="survey-not-friend"' in page
        with assert_unchanged():
            assert client.post(url, {}).status_code == 404
    befriend(account, persona)
    with freeze_time("2027-01-05 00:00:00+00:00"):
        client = talk_client(persona)
        page = client.get(url).content.decode()
        assert 'data-testid="survey-closed"' in page
        with assert_unchanged():
            response = client.post(url, {f"q{survey.questions.first().pk}": "20_24"})
        assert response.status_code == 400
    assert client.get(reverse("talk:survey", args=["nope"])).status_code == 404
    assert SurveyResponse.objects.count() == 0
