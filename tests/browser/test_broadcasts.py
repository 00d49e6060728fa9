"""Compose a segmented broadcast in the Manager, see it in the talk app.

``live_server`` runs Celery eagerly (tests/conftest.py), so pressing "Send
now" runs start → batches → finish in the server thread after the commit,
exactly the calls workers make.
"""

import threading

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import connections
from playwright.sync_api import expect

from messaging.broadcasts.models import Broadcast
from messaging.friends.services import friend_tag_add
from messaging.store.models import Message
from tests.conftest import browser_login
from tests.talk.factories import befriend, make_persona, talk_session

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _in_thread(fn):
    """Run ``fn`` off this thread: Playwright's event loop owns it, and the
    services publish real-time events through ``async_to_sync``."""
    result = []

    def run():
        try:
            result.append(fn())
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert result, "the setup failed; see the log"
    return result[0]


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
    return context


def test_segmented_broadcast_arrives_in_the_customers_talk_room(
    page, browser, live_server, account, alice, settings
):
    # given Hanako (tagged vip) and Taro are friends of Demo Café
    settings.SITE_URL = live_server.url

    def cast():
        hanako = make_persona("Hanako", gender="female")
        taro = make_persona("Taro", gender="male")
        rooms = befriend(account, hanako), befriend(account, taro)
        friend_tag_add(account=account, actor=alice, friend=rooms[0], name="vip")
        return hanako, rooms

    hanako, (hanako_room, taro_room) = _in_thread(cast)
    # when alice composes a broadcast to the vip tag
    browser_login(page, alice)
    page.goto(f"/manager/{account.slug}/broadcasts/")
    page.get_by_test_id("new-broadcast").click()
    page.fill("input[name=title]", "VIP preview night")
    page.get_by_test_id("bubble-text-0").fill("Hi {Nickname}, VIP night is on Friday!")
    # the phone preview shows it with a sample nickname filled in
    preview = page.get_by_test_id("phone-preview")
    expect(preview).to_contain_text(", VIP night is on Friday!")
    expect(preview).not_to_contain_text("{Nickname}")
    segment_counts = []
    page.on(
        "request",
        lambda r: (
            segment_counts.append(r.post_data)
            if r.url.endswith("/broadcasts/estimate")
            and '"segment"' in (r.post_data or "")
            else None
        ),
    )
    page.get_by_label("Filter by conditions").check()
    builder = page.get_by_test_id("audience-builder")
    expect(builder.get_by_test_id("condition-type")).to_have_value("tag")
    # an empty condition is not sent to be counted; the page says what to do
    estimate = page.get_by_test_id("estimate")
    expect(estimate.locator('[data-est="warning"]')).to_have_text(
        "Choose a value for every condition to count recipients."
    )
    # and no cost of an earlier count lingers (QA #12)
    expect(estimate.locator('[data-est="cost"]')).to_have_text("—")
    assert segment_counts == []
    builder.get_by_label("vip").check()
    # the live count shows one recipient costing one message of 5,000
    expect(estimate.locator('[data-est="recipients"]')).to_have_text("1")
    expect(estimate.locator('[data-est="remaining"]')).to_have_text("5,000")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("send-now").click()
    # then the detail page shows it sent to one friend
    expect(page.get_by_test_id("broadcast-status")).to_have_text("Sent")
    expect(page.get_by_test_id("progress-sent")).to_have_text("1")
    expect(page.get_by_test_id("audience-summary")).to_have_text("Tag: vip")
    broadcast = Broadcast.objects.get()
    assert broadcast.sent_count == 1
    # and Hanako's talk app shows it; Taro got nothing
    context = _customer_page(browser, live_server, hanako)
    try:
        talk = context.new_page()
        talk.goto(f"/talk/rooms/{hanako_room.pk}/")
        expect(talk.locator(".msg.theirs .bubble")).to_have_text(
            ["Hi Hanako, VIP night is on Friday!"]
        )
        # talk.js posted what it showed ("opened"); the page load did not
        expect(talk.locator(".msg[data-unopened]")).to_have_count(0)
    finally:
        context.close()
    assert not Message.objects.filter(friend=taro_room, source="broadcast").exists()
    # and opening the room counted as an open in the report
    page.reload()
    expect(page.get_by_test_id("report-opened")).to_have_text("1")


def test_drafts_only_role_sees_no_send_button(page, account, alice):
    from accounts.models import Membership
    from tests.factories import UserFactory, add_member

    dora = UserFactory(username="dora")
    add_member(account, dora, Membership.Role.OPERATOR_NO_DELIVERY)
    browser_login(page, dora)
    page.goto(f"/manager/{account.slug}/broadcasts/new/")
    expect(page.get_by_test_id("drafts-only")).to_be_visible()
    expect(page.get_by_test_id("send-now")).to_have_count(0)
    page.fill("input[name=title]", "Idea for next week")
    page.get_by_test_id("bubble-text-0").fill("Coming soon")
    page.get_by_test_id("save-draft").click()
    expect(page.locator(".flash.success")).to_have_text("Draft saved.")
    assert Broadcast.objects.get().status == "draft"


def test_progress_bar_follows_the_fan_out_live(page, account, alice):
    """Batches run elsewhere; the open detail page updates by itself."""
    import datetime as dt
    import time

    from django.utils import timezone

    from config.celery import app
    from messaging.broadcasts.control import broadcast_schedule
    from messaging.broadcasts.fanout import (
        broadcast_batch_send,
        broadcast_finish,
        broadcast_start,
    )
    from messaging.broadcasts.models import BroadcastBatch
    from tests.messaging.broadcasts.helpers import bulk_friends, draft

    app.conf.task_always_eager = False  # batch tasks wait in the broker
    try:

        def start():
            bulk_friends(account, 30)
            broadcast = draft(account, alice)
            broadcast_schedule(
                broadcast=broadcast,
                actor=alice,
                when=timezone.now() + dt.timedelta(seconds=1),
            )
            time.sleep(1.1)
            broadcast_start(broadcast_id=broadcast.pk, batch_size=10)
            return broadcast

        broadcast = _in_thread(start)
        batches = list(
            BroadcastBatch.objects.filter(broadcast=broadcast).order_by("seq")
        )
        browser_login(page, alice)
        page.goto(f"/manager/{account.slug}/broadcasts/{broadcast.pk}/")
        expect(page.get_by_test_id("broadcast-status")).to_have_text("Sending")
        expect(page.get_by_test_id("progress-total")).to_have_text("30")
        expect(page.get_by_test_id("progress-sent")).to_have_text("0")
        # when a worker sends the first batch, the open page shows it
        _in_thread(lambda: broadcast_batch_send(batch_id=batches[0].pk))
        expect(page.get_by_test_id("progress-sent")).to_have_text("10")
        # and a reload shows the same figures
        page.reload()
        expect(page.get_by_test_id("progress-sent")).to_have_text("10")
        # when the rest goes out, the page turns to the final report
        for batch in batches[1:]:
            _in_thread(lambda b=batch: broadcast_batch_send(batch_id=b.pk))
        _in_thread(lambda: broadcast_finish(broadcast_id=broadcast.pk))
        expect(page.get_by_test_id("broadcast-status")).to_have_text("Sent")
        expect(page.get_by_test_id("report-delivered")).to_have_text("30")
    finally:
        app.control.purge()
        app.conf.task_always_eager = True


def test_regions_are_picked_by_line_region_group_in_both_pickers(page, account, alice):
    """Issue 14 #12: the composer and the friends filter share one widget."""

    def cast():
        for name, region in (("Tokyo Taro", "jp_13"), ("Osaka Oto", "jp_27")):
            befriend(account, make_persona(name, region=region))

    _in_thread(cast)
    browser_login(page, alice)
    page.goto(f"/manager/{account.slug}/broadcasts/new/")
    page.get_by_test_id("bubble-text-0").fill("Kanto only")
    page.get_by_label("Filter by conditions").check()
    builder = page.get_by_test_id("audience-builder")
    builder.get_by_test_id("condition-type").select_option("region")
    grouped = builder.get_by_test_id("grouped-region")
    expect(grouped.locator("select")).to_have_count(0)
    grouped.get_by_label("Kanto", exact=True).check()
    # the whole group is ticked and counted: Tokyo Taro alone
    expect(grouped.get_by_label("Tokyo", exact=True)).to_be_checked()
    expect(grouped.get_by_label("Kanagawa", exact=True)).to_be_checked()
    expect(grouped.get_by_label("Osaka", exact=True)).not_to_be_checked()
    estimate = page.get_by_test_id("estimate")
    expect(estimate.locator('[data-est="recipients"]')).to_have_text("1")
    # unticking one prefecture leaves the group half-ticked
    grouped.get_by_label("Tokyo", exact=True).uncheck()
    expect(estimate.locator('[data-est="recipients"]')).to_have_text("0")
    # the friends filter offers the same groups
    page.goto(f"/manager/{account.slug}/friends/")
    page.locator(".filter-panel summary").click()
    region = page.locator("#id_region")
    expect(region.locator("select")).to_have_count(0)
    region.get_by_label("Kinki", exact=True).check()
    expect(region.get_by_label("Osaka", exact=True)).to_be_checked()
    page.locator(".filter-actions button[type=submit]").first.click()
    expect(page.get_by_test_id("friend-row")).to_have_count(1)
    expect(page.get_by_test_id("friend-row")).to_contain_text("Osaka Oto")
