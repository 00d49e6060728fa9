"""The thank-you coupon of a survey (issue 13, #4): given once to each
friend whose first answer is stored, through the coupon's own acquisition
(a lottery coupon is drawn); a survey may only name a running coupon of its
own account."""

import datetime as dt

import pytest
from django.utils import timezone

from core.exceptions import ApplicationError
from coupons.models import CouponTicket
from research import services
from research.models import Question, Survey
from tests.coupons.factories import expire, make_coupon
from tests.factories import make_account
from tests.talk.factories import befriend, make_persona, talk_client
from tests.unchanged import assert_unchanged

pytestmark = pytest.mark.django_db


def _survey(account, actor, **kwargs) -> Survey:
    now = timezone.now()
    survey = services.survey_create(
        account=account,
        actor=actor,
        title="Your visit",
        starts_at=now - dt.timedelta(days=1),
        ends_at=now + dt.timedelta(days=7),
        **kwargs,
    )
    services.question_add(
        account=account,
        actor=actor,
        survey=survey,
        kind=Question.Kind.RATING,
        text="How was it?",
    )
    services.survey_publish(account=account, actor=actor, survey=survey)
    return survey


def _answer(survey, friend, rating="4"):
    question = survey.questions.get()
    return services.survey_answer(
        friend=friend, survey=survey, answers={question.pk: [rating]}
    )


def test_each_friend_gets_the_coupon_once_however_often_they_answer(account, alice):
    coupon = make_coupon(account)
    survey = _survey(account, alice, thank_you_coupon=coupon.coupon_id)
    hanako = befriend(account, make_persona("Hanako"))
    taro = befriend(account, make_persona("Taro"))
    # when Hanako answers twice (an edit) and Taro once
    _answer(survey, hanako, "4")
    _answer(survey, hanako, "5")
    _answer(survey, taro, "3")
    # then each holds exactly one won ticket
    tickets = CouponTicket.objects.filter(coupon=coupon).order_by("friend_id")
    assert [(t.friend_id, t.won) for t in tickets] == [
        (hanako.pk, True),
        (taro.pk, True),
    ]


def test_the_talk_app_shows_the_coupon_after_answering(account, alice):
    coupon = make_coupon(account, title="Thanks: 100 yen off")
    survey = _survey(account, alice, thank_you_coupon=coupon.coupon_id)
    persona = make_persona("Hanako")
    friend = befriend(account, persona)
    client = talk_client(persona)
    url = f"/talk/research/{survey.public_id}/"
    before = client.get(url).content.decode()
    assert 'data-testid="survey-thank-you"' not in before
    _answer(survey, friend)
    after = client.get(url).content.decode()
    assert 'data-testid="survey-thank-you"' in after
    assert f'href="/talk/coupons/{coupon.coupon_id}/"' in after
    assert "Thanks: 100 yen off" in after


def test_a_coupon_closed_since_gives_nothing_and_the_answer_stands(account, alice):
    coupon = make_coupon(account)
    survey = _survey(account, alice, thank_you_coupon=coupon.coupon_id)
    expire(coupon)
    friend = befriend(account, make_persona("Hanako"))
    response = _answer(survey, friend)
    assert response.answers.count() == 1
    assert not CouponTicket.objects.exists()


@pytest.mark.parametrize("which", ["unknown", "foreign", "expired"])
def test_a_survey_names_only_a_running_coupon_of_its_account(account, alice, which):
    if which == "unknown":
        coupon_id = "nope"
    elif which == "foreign":
        other = make_account(admin=alice, name="Other shop")
        coupon_id = make_coupon(other).coupon_id
    else:
        coupon = make_coupon(account)
        expire(coupon)
        coupon_id = coupon.coupon_id
    now = timezone.now()
    with assert_unchanged(), pytest.raises(ApplicationError) as excinfo:
        services.survey_create(
            account=account,
            actor=alice,
            title="Your visit",
            starts_at=now,
            ends_at=now + dt.timedelta(days=7),
            thank_you_coupon=coupon_id,
        )
    assert excinfo.value.details == {
        "thank_you_coupon": "Choose a coupon that is running."
    }
    assert not Survey.objects.exists()
