"""Manager pages: forms, JSON endpoints, tenancy, roles, measurement."""

import datetime as dt
import json

import pytest
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from accounts.models import Membership
from messaging.audience.conditions import audience_friends, segment_clean
from messaging.audience.models import Segment
from messaging.broadcasts.control import broadcast_send_now
from messaging.broadcasts.fanout import broadcast_start
from messaging.broadcasts.models import Broadcast, Delivery, LinkClick
from messaging.broadcasts.segments import segment_save
from messaging.broadcasts.selectors import broadcast_report
from messaging.store.models import Message
from tests.conftest import _client_for
from tests.factories import UserFactory, add_member
from tests.htmlquery import parse
from tests.messaging.broadcasts.helpers import draft, png, text, usage_pair
from tests.talk.factories import talk_client
from tests.unchanged import assert_unchanged


def url(account, name, *args):
    name = name if ":" in name else f"broadcasts:{name}"
    return reverse(name, args=[account.slug, *args])


def compose(client, account, *, action="save", broadcast=None, **fields):
    data = {
        "title": "Autumn sale",
        "messages": json.dumps([text("Hello {Nickname}")]),
        "audience_mode": "all",
        "action": action,
        **fields,
    }
    target = (
        url(account, "broadcast-edit", broadcast.pk)
        if broadcast
        else url(account, "broadcast-create")
    )
    return client.post(target, data)


def sent(account, alice, capture, **kwargs) -> Broadcast:
    broadcast = draft(account, alice, **kwargs)
    with capture(execute=True):
        broadcast_send_now(broadcast=broadcast, actor=alice)
    broadcast.refresh_from_db()
    return broadcast


def test_pages_render_for_members(alice_client, account, crowd):
    for name in (
        "broadcast-list",
        "broadcast-create",
        "segment-list",
        "automation:step-list",
        "automation:step-create",
        "automation:autoresponse-list",
        "automation:autoresponse-create",
    ):
        response = alice_client.get(url(account, name))
        assert response.status_code == 200, name
    home = alice_client.get(reverse("analytics:home", args=[account.slug]))
    assert url(account, "broadcast-list").encode() in home.content


def test_compose_send_now_from_the_page(
    alice_client, account, crowd, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = compose(
            alice_client,
            account,
            action="send",
            audience_mode="segment",
            audience=json.dumps(
                {"match": "all", "conditions": [{"type": "os", "values": ["android"]}]}
            ),
        )
    broadcast = Broadcast.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url(account, "broadcast-detail", broadcast.pk)
    assert broadcast.status == Broadcast.Status.SENT
    assert list(
        Message.objects.filter(source="broadcast").values_list("text", flat=True)
    ) == ["Hello Ben"]
    page = alice_client.get(response["Location"])
    assert page.status_code == 200
    assert b'data-testid="report-delivered">1<' in page.content


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"messages": "[not json"}, "The form data could not be read."),
        (
            {"messages": json.dumps([text("a")] * 4)},
            "A broadcast can have at most 3 bubbles.",
        ),
        ({"messages": json.dumps([text("x" * 5001)])}, "the limit is 5,000"),
        ({"audience_mode": "saved"}, "Choose a saved segment."),
        (
            {"max_recipients": "0"},
            "The maximum number of recipients must be a whole number above 0.",
        ),
    ],
)
def test_bad_input_shows_the_error_and_saves_nothing(
    alice_client, account, crowd, fields, error
):
    with assert_unchanged():
        response = compose(alice_client, account, action="send", **fields)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert usage_pair(account) == (0, 0)


def test_failed_actions_on_a_new_broadcast_save_one_draft(alice_client, account, crowd):
    """Schedule without a time, three times, then a test with no recipient:
    one draft, and the page keeps editing it (form posts to its edit URL)."""
    first = compose(alice_client, account, action="schedule")
    assert first.status_code == 400
    assert "Choose a delivery time." in first.content.decode()
    draft_ = Broadcast.objects.get()
    edit = url(account, "broadcast-edit", draft_.pk)
    assert f'action="{edit}"' in first.content.decode()
    for action in ("schedule", "schedule", "test_me"):
        again = compose(alice_client, account, action=action, broadcast=draft_)
        assert again.status_code == 400
    # the test error sits by the test buttons
    assert '<p class="error" role="alert" data-testid="test-error">Link your own' in (
        again.content.decode()
    )
    assert list(Broadcast.objects.values_list("pk", "status")) == [(draft_.pk, "draft")]


def test_send_now_shows_sending_from_the_start(alice_client, account, crowd):
    """Before the start task has run, the page already says "Sending"."""
    response = compose(alice_client, account, action="send")
    broadcast = Broadcast.objects.get()
    assert broadcast.status == "scheduled"  # the start task runs after commit
    assert response["Location"] == url(account, "broadcast-detail", broadcast.pk)
    page = alice_client.get(response["Location"]).content.decode()
    assert (
        'data-testid="broadcast-status" data-progress-field="status_label">Sending<'
        in (page)
    )
    listing = alice_client.get(url(account, "broadcast-list")).content.decode()
    assert '<span class="tag bc-status-sending">Sending</span>' in listing
    progress = alice_client.get(url(account, "broadcast-progress", broadcast.pk))
    assert progress.json()["status_label"] == "Sending"


def test_past_schedule_keeps_the_draft_and_says_why(alice_client, account, crowd):
    past = (timezone.now() - dt.timedelta(hours=1)).astimezone(account.tz)
    response = compose(
        alice_client,
        account,
        action="schedule",
        scheduled_at=past.strftime("%Y-%m-%dT%H:%M"),
    )
    assert response.status_code == 400
    assert "Choose a delivery time in the future." in response.content.decode()
    broadcast = Broadcast.objects.get()
    assert (broadcast.status, broadcast.scheduled_at) == ("draft", None)


def test_schedule_time_is_read_in_the_account_time_zone(alice_client, account, crowd):
    with freeze_time("2026-11-30 12:00:00"):
        response = compose(
            alice_client, account, action="schedule", scheduled_at="2027-01-02T09:30"
        )
    assert response.status_code == 302
    broadcast = Broadcast.objects.get()
    assert broadcast.status == Broadcast.Status.SCHEDULED
    assert broadcast.scheduled_at == dt.datetime(2027, 1, 2, 0, 30, tzinfo=dt.UTC)


def test_posting_to_a_started_broadcast_is_refused(
    alice_client, alice, account, crowd, django_capture_on_commit_callbacks
):
    broadcast = sent(account, alice, django_capture_on_commit_callbacks)
    with assert_unchanged():
        response = compose(
            alice_client,
            account,
            broadcast=broadcast,
            messages=json.dumps([text("Edited")]),
        )
    assert response.status_code == 400
    assert "can no longer be edited" in response.content.decode()
    # and its edit page sends people to the detail page
    page = alice_client.get(url(account, "broadcast-edit", broadcast.pk))
    assert page["Location"] == url(account, "broadcast-detail", broadcast.pk)


def test_estimate_counts_and_prices_the_audience(alice_client, account, crowd):
    body = {
        "mode": "segment",
        "audience": {"match": "any", "conditions": [{"type": "os", "values": ["ios"]}]},
        "max_recipients": "3",
    }
    response = alice_client.post(
        url(account, "audience-estimate"),
        json.dumps(body),
        content_type="application/json",
    )
    assert response.json() == {
        "matching": 4,
        "recipients": 3,
        "cost": 3,
        "remaining": 5000,
        "limit": 5000,
        "plan": "Light",
        "covered": True,
        "additional_cost_yen": "0",
    }
    with assert_unchanged():
        bad = alice_client.post(
            url(account, "audience-estimate"),
            json.dumps(
                {"mode": "segment", "audience": {"match": "all", "conditions": []}}
            ),
            content_type="application/json",
        )
    assert bad.status_code == 400
    assert bad.json() == {"error": "Add at least one condition to the audience."}


def test_the_live_estimate_takes_a_fixed_number_of_queries(
    alice_client, account, crowd, django_assert_num_queries
):
    """Session, user, membership (with the account), the tags' check, the
    count's settings, the count, the month's usage and its plan."""
    body = {
        "mode": "segment",
        "audience": {
            "match": "any",
            "conditions": [
                {"type": "tag", "values": [crowd["vip"].pk]},
                {"type": "os", "values": ["android"]},
                {"type": "gender", "values": ["female"], "negate": True},
            ],
        },
    }
    alice_client.post(  # warm-up: the month's usage row is created once
        url(account, "audience-estimate"), json.dumps(body), "application/json"
    )
    with django_assert_num_queries(8):
        response = alice_client.post(
            url(account, "audience-estimate"), json.dumps(body), "application/json"
        )
    # Ann (vip), Ben (Android), Dan and Fay (not female)
    assert response.json()["matching"] == 4


CAP_ERROR = "The maximum number of recipients must be a whole number above 0."


@pytest.mark.parametrize("cap", ["-5", "0", "1.5", "x", 2**31, [3]])
def test_estimate_refuses_a_cap_that_saving_refuses(alice_client, account, crowd, cap):
    """The live estimate checks the cap exactly as saving a draft does."""
    with assert_unchanged():
        response = alice_client.post(
            url(account, "audience-estimate"),
            json.dumps({"mode": "all", "max_recipients": cap}),
            content_type="application/json",
        )
        saved = alice_client.post(
            url(account, "broadcast-create"),
            {
                "title": "Sale",
                "messages": json.dumps([text("Hi")]),
                "audience_mode": "all",
                "max_recipients": str(cap),
                "action": "save",
            },
        )
    assert response.status_code == 400
    assert response.json() == {"error": CAP_ERROR}
    assert saved.status_code == 400
    assert CAP_ERROR in saved.content.decode()


def test_image_upload_endpoint(alice_client, account):
    ok = alice_client.post(
        url(account, "image-upload"), {"image": png(), "kind": "image"}
    )
    assert ok.status_code == 200
    body = ok.json()
    assert body["originalContentUrl"].endswith("/original.png")
    assert body["previewImageUrl"].endswith("/preview.png")
    # a GIF is refused, and no file is stored
    with assert_unchanged():
        bad = alice_client.post(
            url(account, "image-upload"),
            {"image": png(100, 100, "GIF"), "kind": "image"},
        )
    assert bad.status_code == 400
    assert bad.json() == {"error": "Upload a JPEG/PNG image."}


def test_progress_json_survives_a_reload(
    alice_client, alice, account, crowd, django_capture_on_commit_callbacks
):
    broadcast = sent(account, alice, django_capture_on_commit_callbacks)
    body = alice_client.get(url(account, "broadcast-progress", broadcast.pk)).json()
    assert {k: body[k] for k in ("status", "sent", "total", "percent", "final")} == {
        "status": "sent",
        "sent": 5,
        "total": 5,
        "percent": 100.0,
        "final": True,
    }


def test_progress_says_what_the_figures_count(
    alice_client, alice, account, crowd, django_capture_on_commit_callbacks
):
    """Found by QA: "Delivered 5 / 5" beside "Skipped (blocked) 1" read as
    a contradiction; blocked friends are not among the recipients."""
    broadcast = sent(account, alice, django_capture_on_commit_callbacks)
    page = alice_client.get(url(account, "broadcast-detail", broadcast.pk))
    [line] = parse(page.content.decode()).cssselect(
        "[data-testid='progress-delivered']"
    )
    assert line.text_content() == "5 of 5 recipients · 1 skipped (blocked)"
    # the figures stay where the live progress script updates them
    assert [
        (span.get("data-progress-field"), span.text_content())
        for span in line.cssselect("span")
    ] == [("sent", "5"), ("total", "5"), ("blocked", "1")]


def test_opens_and_clicks_are_measured(
    client,
    alice_client,
    alice,
    account,
    crowd,
    django_capture_on_commit_callbacks,
    settings,
):
    # given a broadcast with a link to Ann and Ben (android or vip)
    settings.SITE_URL = "http://testserver"
    audience = {
        "match": "any",
        "conditions": [
            {"type": "os", "values": ["android"]},
            {"type": "tag", "values": [crowd["vip"].pk]},
        ],
    }
    broadcast = sent(
        account,
        alice,
        django_capture_on_commit_callbacks,
        messages=[text("Sale https://shop.example/s?a=1")],
        audience=audience,
    )
    ann, ben = crowd["ann"], crowd["ben"]
    # when Ann's talk app shows it (loading her room counts nothing yet;
    # talk.js then posts what it showed) and she taps the link twice
    message = Message.objects.get(friend=ann, source="broadcast")
    talk_app = talk_client(ann.line_user)
    room = reverse("talk:room", args=[ann.pk])
    assert talk_app.get(room).status_code == 200
    assert broadcast_report(broadcast=broadcast).opened == 0
    response = talk_app.post(
        reverse("talk:room-opened", args=[ann.pk]), {"up_to_id": message.pk}
    )
    assert response.json() == {"opened": 1}
    link_url = message.text.split(" ")[1]
    path = link_url.removeprefix("http://testserver")
    first = client.get(path)
    client.get(path)
    # then she is forwarded, and counted once as opened and once as clicked
    assert first.status_code == 302
    assert first["Location"] == "https://shop.example/s?a=1"
    report = broadcast_report(broadcast=broadcast)
    assert (report.delivered, report.opened, report.clicked) == (2, 1, 1)
    link = report.links[0]
    assert (link.clicks, link.unique_clicks) == (2, 1)
    assert LinkClick.objects.get().count == 2
    # and "opened/clicked broadcast X" segments select her alone
    for kind in ("broadcast_opened", "broadcast_clicked"):
        definition = segment_clean(
            account=account,
            definition={
                "match": "all",
                "conditions": [{"type": kind, "broadcast": broadcast.pk}],
            },
        )
        picked = audience_friends(
            account=account, definition=definition, now=timezone.now()
        )
        assert list(picked) == [ann]
    # a forged token still forwards but records nothing; unknown is 404
    code, _token = path.removeprefix("/r/").split("/")
    forged = client.get(f"/r/{code}/{'A' * 22}")
    assert forged.status_code == 302
    assert Delivery.objects.get(broadcast=broadcast, friend=ben).clicked_at is None
    assert client.get("/r/nosuchcode/" + "A" * 22).status_code == 404
    assert client.get("/r/nosuchcode.1.abc").status_code == 404
    page = alice_client.get(
        url(account, "broadcast-detail", broadcast.pk)
    ).content.decode()
    assert 'data-testid="report-opened">1<' in page
    assert 'data-testid="report-clicked">1<' in page


def test_saved_segments_are_evaluated_when_sending(
    alice_client, alice, account, crowd, django_capture_on_commit_callbacks
):
    definition = {
        "match": "all",
        "conditions": [{"type": "tag", "values": [crowd["regular"].pk]}],
    }
    response = alice_client.post(
        url(account, "segment-list"),
        {"name": "Regulars", "definition": json.dumps(definition)},
    )
    assert response.status_code == 302
    segment = Segment.objects.get()
    # Eve becomes a regular after the segment was saved
    crowd["eve"].tags.add(crowd["regular"])
    with django_capture_on_commit_callbacks(execute=True):
        compose(
            alice_client,
            account,
            action="send",
            audience_mode="saved",
            segment=segment.pk,
        )
    names = set(
        Delivery.objects.filter(status="sent").values_list(
            "friend__line_user__display_name", flat=True
        )
    )
    assert names == {"Dan", "Eve"}
    # a second segment of the same name is refused and writes nothing
    with assert_unchanged():
        dup = alice_client.post(
            url(account, "segment-list"),
            {"name": "Regulars", "definition": json.dumps(definition)},
        )
    assert dup.status_code == 400
    assert "A segment with this name already exists." in dup.content.decode()


# --- Tenancy and roles -------------------------------------------------------------


def test_another_accounts_broadcasts_are_not_found(
    charlie_client,
    alice,
    account,
    other_account,
    crowd,
    django_capture_on_commit_callbacks,
):
    broadcast = sent(account, alice, django_capture_on_commit_callbacks)
    # charlie is no member of Demo Café: every page of it is a 404
    for name, args in (
        ("broadcast-list", ()),
        ("broadcast-detail", (broadcast.pk,)),
        ("broadcast-progress", (broadcast.pk,)),
    ):
        assert charlie_client.get(url(account, name, *args)).status_code == 404
    # and Demo Café's ids under his own account do not exist either
    for name in ("broadcast-detail", "broadcast-progress", "broadcast-edit"):
        assert (
            charlie_client.get(url(other_account, name, broadcast.pk)).status_code
            == 404
        )
    with assert_unchanged():
        for name in ("broadcast-pause", "broadcast-cancel", "broadcast-copy"):
            assert (
                charlie_client.post(url(other_account, name, broadcast.pk)).status_code
                == 404
            )


def test_operator_without_delivery_saves_drafts_but_cannot_send(
    dora_client, alice, account, crowd, django_capture_on_commit_callbacks
):
    # a draft is fine
    assert compose(dora_client, account).status_code == 302
    broadcast = Broadcast.objects.get()
    # sending, scheduling and test sends are forbidden and change nothing
    with assert_unchanged():
        for action in ("send", "schedule", "test_me", "test_staff"):
            response = compose(dora_client, account, action=action, broadcast=broadcast)
            assert response.status_code == 403
    # the page offers no send button
    page = dora_client.get(
        url(account, "broadcast-edit", broadcast.pk)
    ).content.decode()
    assert 'data-testid="send-now"' not in page
    assert 'data-testid="drafts-only"' in page
    # and a running broadcast cannot be paused or stopped by this role
    running = sent(account, alice, django_capture_on_commit_callbacks)
    with assert_unchanged():
        for name in ("broadcast-pause", "broadcast-cancel", "broadcast-resume"):
            assert dora_client.post(url(account, name, running.pk)).status_code == 403
        # step messages and auto-responses change what customers get: forbidden
        for name in ("automation:step-create", "automation:autoresponse-create"):
            assert (
                dora_client.post(url(account, name), {"name": "x"}).status_code == 403
            )


def test_operator_without_insights_sees_progress_but_no_report(
    alice, account, crowd, django_capture_on_commit_callbacks
):
    erin = UserFactory(username="erin")
    add_member(account, erin, Membership.Role.OPERATOR_NO_INSIGHTS)
    broadcast = sent(account, alice, django_capture_on_commit_callbacks)
    page = _client_for(erin).get(url(account, "broadcast-detail", broadcast.pk))
    assert page.status_code == 200
    assert b'data-testid="progress"' in page.content
    assert b'data-testid="report"' not in page.content


def test_pause_resume_cancel_buttons(
    alice_client, alice, account, django_capture_on_commit_callbacks
):
    from tests.messaging.broadcasts.helpers import bulk_friends

    bulk_friends(account, 20)
    broadcast = draft(account, alice)
    with django_capture_on_commit_callbacks(execute=False):
        broadcast_send_now(broadcast=broadcast, actor=alice)
        broadcast_start(broadcast_id=broadcast.pk, batch_size=10)
    response = alice_client.post(url(account, "broadcast-pause", broadcast.pk))
    assert response.status_code == 302
    broadcast.refresh_from_db()
    assert broadcast.status == "paused"
    page = alice_client.get(url(account, "broadcast-detail", broadcast.pk)).content
    assert b'data-testid="resume"' in page
    alice_client.post(url(account, "broadcast-cancel", broadcast.pk))
    broadcast.refresh_from_db()
    assert broadcast.status == "cancelled"
    assert usage_pair(account) == (0, 0)


def test_step_and_auto_response_pages_save(alice_client, account, crowd):
    steps = [
        {
            "delay_value": 2,
            "delay_unit": "hours",
            "messages": [text("Hi")],
            "condition": None,
        }
    ]
    response = alice_client.post(
        url(account, "automation:step-create"),
        {"name": "Welcome", "is_active": "on", "steps": json.dumps(steps)},
    )
    assert response.status_code == 302
    rule = alice_client.post(
        url(account, "automation:autoresponse-create"),
        {
            "name": "Menu",
            "match": "exact",
            "keywords": "menu\nメニュー",
            "messages": json.dumps([text("Here is our menu")]),
            "is_active": "on",
            "position": "0",
        },
    )
    assert rule.status_code == 302
    from messaging.automation.models import AutoResponse, StepSequence

    assert StepSequence.objects.get().steps.get().delay_unit == "hours"
    assert AutoResponse.objects.get().keywords == ["menu", "メニュー"]


def _estimate(client, account, body):
    return client.post(
        url(account, "audience-estimate"),
        json.dumps(body),
        content_type="application/json",
    )


def _on(kind, broadcast) -> dict:
    return {
        "mode": "segment",
        "audience": {
            "match": "all",
            "conditions": [{"type": kind, "broadcast": broadcast.pk}],
        },
    }


@pytest.mark.parametrize("kind", ["broadcast_opened", "broadcast_clicked"])
def test_estimate_of_opens_or_clicks_needs_insights(
    alice, alice_client, account, crowd, django_capture_on_commit_callbacks, kind
):
    """Counting who opened or clicked is reading insights (issue 19)."""
    # given a sent broadcast and an operator without insights
    erin = UserFactory(username="erin")
    add_member(account, erin, Membership.Role.OPERATOR_NO_INSIGHTS)
    broadcast = sent(account, alice, django_capture_on_commit_callbacks)
    # when she asks for the estimate of an opened/clicked audience
    response = _estimate(_client_for(erin), account, _on(kind, broadcast))
    # then she is refused, while an admin gets the count
    assert response.status_code == 403
    assert b"matching" not in response.content
    assert (
        _estimate(alice_client, account, _on(kind, broadcast)).json()["matching"] == 0
    )


def test_estimate_of_a_saved_opened_segment_needs_insights(
    alice, account, crowd, django_capture_on_commit_callbacks
):
    erin = UserFactory(username="erin")
    add_member(account, erin, Membership.Role.OPERATOR_NO_INSIGHTS)
    broadcast = sent(account, alice, django_capture_on_commit_callbacks)
    definition = _on("broadcast_opened", broadcast)["audience"]
    segment = segment_save(
        account=account, actor=alice, name="Openers", definition=definition
    )
    response = _estimate(
        _client_for(erin), account, {"mode": "saved", "segment": segment.pk}
    )
    assert response.status_code == 403


def test_estimate_of_received_stays_open_to_operators_without_insights(
    alice, account, crowd, django_capture_on_commit_callbacks
):
    erin = UserFactory(username="erin")
    add_member(account, erin, Membership.Role.OPERATOR_NO_INSIGHTS)
    broadcast = sent(account, alice, django_capture_on_commit_callbacks)
    response = _estimate(
        _client_for(erin), account, _on("broadcast_received", broadcast)
    )
    assert response.status_code == 200
    assert response.json()["matching"] == 5


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example.com/phish",
        "//evil.example.com/phish",
        "/\\evil.example.com",
        "javascript:alert(1)",
    ],
)
def test_saving_a_segment_does_not_redirect_off_site(
    alice_client, account, crowd, next_url
):
    definition = {
        "match": "all",
        "conditions": [{"type": "tag", "values": [crowd["regular"].pk]}],
    }
    response = alice_client.post(
        url(account, "segment-list"),
        {"name": "Regulars", "definition": json.dumps(definition), "next": next_url},
    )
    assert response.status_code == 302
    assert response["Location"] == url(account, "segment-list")


def test_saving_a_segment_returns_to_a_page_of_this_site(alice_client, account, crowd):
    definition = {
        "match": "all",
        "conditions": [{"type": "tag", "values": [crowd["regular"].pk]}],
    }
    back = url(account, "broadcast-create") + "?audience=saved"
    response = alice_client.post(
        url(account, "segment-list"),
        {"name": "Regulars", "definition": json.dumps(definition), "next": back},
    )
    assert (response.status_code, response["Location"]) == (302, back)


def _erin(account):
    erin = UserFactory(username="erin")
    add_member(account, erin, Membership.Role.OPERATOR_NO_INSIGHTS)
    return _client_for(erin)


def test_operators_without_insights_cannot_target_openers(
    alice, account, crowd, django_capture_on_commit_callbacks
):
    """Sending to "opened X" would show the count on the broadcast page."""
    erin = _erin(account)
    broadcast = sent(account, alice, django_capture_on_commit_callbacks)
    audience = _on("broadcast_opened", broadcast)["audience"]
    with assert_unchanged():
        # a draft with the audience
        response = compose(
            erin, account, audience_mode="segment", audience=json.dumps(audience)
        )
        assert response.status_code == 400
        assert "Opened and clicked conditions need the insights permission." in (
            response.content.decode()
        )
        # a saved segment
        response = erin.post(
            url(account, "segment-list"),
            {"name": "Openers", "definition": json.dumps(audience)},
        )
        assert response.status_code == 400


def test_operators_without_insights_cannot_use_a_saved_opened_segment(
    alice, account, crowd, django_capture_on_commit_callbacks
):
    erin = _erin(account)
    broadcast = sent(account, alice, django_capture_on_commit_callbacks)
    segment = segment_save(
        account=account,
        actor=alice,
        name="Openers",
        definition=_on("broadcast_opened", broadcast)["audience"],
    )
    with assert_unchanged():
        response = compose(erin, account, audience_mode="saved", segment=segment.pk)
    assert response.status_code == 400


def test_a_nul_in_a_bubble_is_a_form_error_and_saves_nothing(alice_client, account):
    with assert_unchanged():
        response = compose(
            alice_client, account, messages=json.dumps([text("nul\x00x")])
        )
    assert response.status_code == 400
    assert "contains a character that cannot be sent" in response.content.decode()


@pytest.mark.parametrize(
    "body", ["[1]", '"x"', "1", '{"mode": "segment", "scheduled_at": 5}']
)
def test_the_estimate_refuses_bodies_that_are_not_objects(alice_client, account, body):
    with assert_unchanged():
        response = alice_client.post(
            url(account, "audience-estimate"), body, content_type="application/json"
        )
    assert response.status_code == 400
    assert "error" in response.json()


def test_a_delivery_time_more_than_a_year_ahead_is_refused(
    alice_client, account, crowd
):
    response = compose(
        alice_client, account, action="schedule", scheduled_at="9999-12-31T23:59"
    )
    assert response.status_code == 400
    assert "Choose a delivery time within a year." in response.content.decode()
    assert list(Broadcast.objects.values_list("status", flat=True)) == ["draft"]
