"""VOOM and research end to end, in the Manager and the talk app.

* Staff publish a post with a photo; a customer reacts and comments in the
  VOOM tab; staff hide the comment and the customer no longer sees it.
* A customer opens a survey from a broadcast's link, answers it, and then
  matches the segment "answered 20–24".
"""

import datetime as dt

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone
from playwright.sync_api import expect

from messaging.audience.conditions import audience_friends
from messaging.broadcasts.compose import broadcast_save
from messaging.broadcasts.control import broadcast_send_now
from research import services as research_services
from research.models import SurveyResponse
from tests.conftest import browser_login
from tests.talk.factories import befriend, image_bytes, make_persona, talk_session
from voom.models import Post, PostComment, PostReaction

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _customer_page(browser, live_server, persona):
    session = SessionStore()
    talk_session(session, persona)
    session.create()
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 375, "height": 812}
    )
    context.add_cookies(
        [{"name": "sessionid", "value": session.session_key, "url": live_server.url}]
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    return context, page


def test_staff_publish_a_photo_post_customer_reacts_and_comments_staff_hide(
    page, browser, live_server, account, alice, tmp_path
):
    hanako = make_persona("Hanako")
    befriend(account, hanako)
    photo = tmp_path / "cake.jpg"
    photo.write_bytes(image_bytes(size=(120, 90)))

    # staff publish a post with a photo
    browser_login(page, alice)
    page.goto(f"/manager/{account.slug}/posts/new/")
    page.get_by_test_id("post-text").fill("季節のタルト始めました 🍓")
    page.set_input_files("input[name=photos]", str(photo))
    page.get_by_test_id("post-save").click()
    expect(page.get_by_test_id("post-photo")).to_have_count(1)
    post = Post.objects.get()
    assert post.status == "published"

    # the customer sees it in the VOOM tab, reacts and comments
    context, phone = _customer_page(browser, live_server, hanako)
    phone.goto("/talk/")
    phone.get_by_test_id("tab-voom").click()
    card = phone.get_by_test_id("voom-post")
    expect(card).to_have_count(1)
    expect(card.get_by_test_id("voom-text")).to_have_text("季節のタルト始めました 🍓")
    expect(card.get_by_test_id("voom-photo")).to_have_count(1)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    card.get_by_test_id("voom-open").click()
    phone.get_by_test_id("react-nice").click()
    expect(phone.get_by_test_id("react-nice")).to_have_attribute("aria-pressed", "true")
    expect(phone.get_by_test_id("voom-likes")).to_have_text("1 reaction")
    phone.get_by_test_id("voom-comment-input").fill("美味しそう！")
    phone.get_by_test_id("voom-comment-send").click()
    expect(phone.get_by_test_id("voom-comment")).to_contain_text("美味しそう！")
    assert PostReaction.objects.filter(post=post).count() == 1

    # staff see the counts and hide the comment
    page.goto(f"/manager/{account.slug}/posts/{post.pk}/")
    expect(page.get_by_test_id("likes")).to_have_text("1")
    expect(page.get_by_test_id("comments")).to_have_text("1")
    page.get_by_test_id("comment-hide").click()
    expect(page.get_by_test_id("comment-hidden")).to_be_visible()
    assert PostComment.objects.get().hidden is True

    # and the customer no longer sees it
    phone.reload()
    expect(phone.get_by_test_id("voom-comment")).to_have_count(0)
    expect(phone.get_by_test_id("voom-comment-count")).to_have_text("0 comments")
    context.close()


def test_customer_answers_a_survey_from_a_broadcast_and_matches_the_segment(
    browser, live_server, account, alice, settings
):
    settings.SITE_URL = live_server.url
    now = timezone.now()
    survey = research_services.survey_create(
        account=account,
        actor=alice,
        title="Breakfast survey",
        starts_at=now - dt.timedelta(hours=1),
        ends_at=now + dt.timedelta(days=7),
    )
    age = research_services.question_add(
        account=account,
        actor=alice,
        survey=survey,
        kind="age_band",
        text="Your age",
        maps_to="age_band",
    )
    research_services.question_add(
        account=account,
        actor=alice,
        survey=survey,
        kind="single",
        text="When do you come?",
        choices=["Mornings", "Evenings"],
    )
    research_services.survey_publish(account=account, actor=alice, survey=survey)
    hanako = make_persona("Hanako", age=None)
    friend = befriend(account, hanako)
    befriend(account, make_persona("Taro", age=40))
    link = f"{live_server.url}/talk/research/{survey.public_id}/"
    broadcast = broadcast_save(
        account=account,
        actor=alice,
        title="Survey",
        messages=[{"type": "text", "text": f"Tell us! {link}"}],
    )
    broadcast_send_now(broadcast=broadcast, actor=alice)
    segment = {
        "match": "all",
        "conditions": [{"type": "survey_answer", "values": [f"{age.pk}=20_24"]}],
    }
    assert list(audience_friends(account=account, definition=segment, now=now)) == []

    context, phone = _customer_page(browser, live_server, hanako)
    phone.goto(f"/talk/rooms/{friend.pk}/")
    anchor = phone.locator(".msg:not(.mine) .bubble a").last
    expect(anchor).to_be_visible()
    phone.goto(anchor.get_attribute("href"))  # the tracked link redirects
    expect(phone.get_by_test_id("survey")).to_contain_text("Breakfast survey")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    phone.select_option(f"select[name=q{age.pk}]", "20_24")
    phone.get_by_label("Mornings").check()
    phone.get_by_test_id("survey-submit").click()
    expect(phone.get_by_test_id("survey-answered")).to_be_visible()
    context.close()

    assert SurveyResponse.objects.filter(survey=survey, friend=friend).count() == 1
    matched = audience_friends(account=account, definition=segment, now=timezone.now())
    assert [f.pk for f in matched] == [friend.pk]
    hanako.refresh_from_db()
    assert hanako.age == 20
