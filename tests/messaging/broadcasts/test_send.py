"""Sending: now, scheduled, test sends; quota, blocked friends, caps.

Celery runs eagerly here (tests/conftest.py); on-commit callbacks are run
with ``django_capture_on_commit_callbacks(execute=True)``, so the whole
chain start → batches → finish runs as it would on workers.
"""

import datetime as dt
import re

import pytest
from django.utils import timezone
from freezegun import freeze_time

from accounts import quota
from accounts.models import Membership
from core.events import account_group, line_user_group
from core.exceptions import ApplicationError, NotFound
from messaging.broadcasts.control import (
    broadcast_cancel,
    broadcast_schedule,
    broadcast_send_now,
    broadcast_test_send,
)
from messaging.broadcasts.fanout import broadcast_batch_send, broadcast_start
from messaging.broadcasts.links import ClickTokens, _links_template
from messaging.broadcasts.models import Broadcast, BroadcastBatch, Delivery
from messaging.broadcasts.selectors import audience_estimate
from messaging.broadcasts.tasks import broadcasts_dispatch_task
from messaging.friends.models import Friend
from messaging.friends.services import friend_staff_link_set
from messaging.store.models import Message
from tests.messaging.broadcasts.helpers import (
    EventListener,
    bulk_friends,
    draft,
    text,
    usage_pair,
)
from tests.unchanged import assert_unchanged


def vip(crowd) -> dict:
    return {
        "match": "all",
        "conditions": [{"type": "tag", "values": [crowd["vip"].pk]}],
    }


def send(broadcast, actor, capture):
    with capture(execute=True):
        broadcast_send_now(broadcast=broadcast, actor=actor)
    broadcast.refresh_from_db()
    return broadcast


def test_send_now_delivers_to_the_segment_once_with_names_and_tracked_links(
    account, alice, crowd, django_capture_on_commit_callbacks, settings
):
    # given a two-bubble broadcast to the "vip" tag (Ann follows, Cai blocked)
    settings.SITE_URL = "https://oa.example"
    broadcast = draft(
        account,
        alice,
        messages=[
            text("Hi {Nickname} at {AccountName}: https://shop.example/sale"),
            {"type": "sticker", "packageId": "446", "stickerId": "1989"},
        ],
        audience=vip(crowd),
    )
    listener = EventListener(
        account_group(account.pk), line_user_group(crowd["ann"].line_user_id)
    )
    # when
    send(broadcast, alice, django_capture_on_commit_callbacks)
    # then Ann got both bubbles, personalised, with a tracking link
    assert broadcast.status == Broadcast.Status.SENT
    assert (broadcast.target_count, broadcast.sent_count, broadcast.blocked_count) == (
        1,
        1,
        1,
    )
    ann = crowd["ann"]
    rows = list(Message.objects.filter(friend=ann).order_by("id"))
    assert [m.type for m in rows] == ["text", "sticker"]
    assert [m.source for m in rows] == ["broadcast", "broadcast"]
    link = broadcast.links.get()
    token = ClickTokens(broadcast).token(ann.pk)
    expected = f"Hi Ann at Demo Café: https://oa.example/r/{link.code}/{token}"
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", token)
    assert rows[0].payload == {"type": "text", "text": expected}
    assert rows[0].text == expected
    assert link.url == "https://shop.example/sale"
    # and the ledger has one row per recipient: sent for Ann, blocked for Cai
    deliveries = {d.friend_id: d for d in Delivery.objects.filter(broadcast=broadcast)}
    assert deliveries[ann.pk].status == Delivery.Status.SENT
    assert deliveries[ann.pk].message_id == rows[0].pk
    assert deliveries[crowd["cai"].pk].status == Delivery.Status.BLOCKED
    assert deliveries[crowd["cai"].pk].message_id is None
    assert len(deliveries) == 2
    assert not Message.objects.filter(friend=crowd["cai"]).exists()
    # and exactly one message was counted, none is still reserved
    assert usage_pair(account) == (1, 0)
    ann.refresh_from_db()
    assert ann.last_message_at == rows[0].created_at
    # and staff saw progress, Ann's talk app saw her messages arrive
    events = listener.events()
    kinds = [e["type"] for e in events]
    assert kinds.count("message.created") == 2
    assert "broadcast.progress" in kinds
    assert events[-1]["status"] == "sent"


def test_all_friends_audience_and_ordering_of_bubbles(
    account, alice, crowd, django_capture_on_commit_callbacks
):
    broadcast = draft(
        account, alice, messages=[text("one"), text("two"), text("three")]
    )
    send(broadcast, alice, django_capture_on_commit_callbacks)
    following = Friend.objects.filter(account=account, status="following")
    assert broadcast.sent_count == following.count() == 5
    for friend in following:
        texts = list(
            Message.objects.filter(friend=friend)
            .order_by("id")
            .values_list("text", flat=True)
        )
        assert texts == ["one", "two", "three"]
    assert usage_pair(account) == (5, 0)


def test_plan_that_cannot_cover_the_cost_refuses_and_spends_nothing(
    account, alice, crowd, django_capture_on_commit_callbacks
):
    # given a Light account with 3 messages left and 5 friends
    quota.quota_consume(account=account, count=4997)
    broadcast = draft(account, alice)
    # when
    with assert_unchanged(), pytest.raises(ApplicationError) as excinfo:
        send(broadcast, alice, django_capture_on_commit_callbacks)
    # then
    assert excinfo.value.message == (
        "This broadcast needs 5 messages but the Light plan has 3 left this month."
    )
    broadcast.refresh_from_db()
    assert broadcast.status == Broadcast.Status.DRAFT
    assert not Delivery.objects.exists()
    assert usage_pair(account) == (4997, 0)


def test_quota_gone_by_the_time_it_starts_fails_it_with_the_reason(
    account, alice, crowd, django_capture_on_commit_callbacks
):
    # given a broadcast queued while quota remained
    broadcast = draft(account, alice)
    with django_capture_on_commit_callbacks(execute=False):
        broadcast_send_now(broadcast=broadcast, actor=alice)
    # when the quota is used up before a worker starts it
    quota.quota_consume(account=account, count=4998)
    assert broadcast_start(broadcast_id=broadcast.pk) is True
    # then it failed, nothing was sent or reserved
    broadcast.refresh_from_db()
    assert broadcast.status == Broadcast.Status.FAILED
    assert broadcast.failure_reason == (
        "The Light plan allows 5,000 messages this month (left: 2, requested: 5)."
    )
    assert not Delivery.objects.exists()
    assert not BroadcastBatch.objects.exists()
    assert usage_pair(account) == (4998, 0)


def test_segment_matching_nobody_is_refused(
    account, alice, crowd, django_capture_on_commit_callbacks
):
    nobody = {"match": "all", "conditions": [{"type": "region", "values": ["jp_40"]}]}
    broadcast = draft(account, alice, audience=nobody)
    with assert_unchanged(), pytest.raises(ApplicationError) as excinfo:
        send(broadcast, alice, django_capture_on_commit_callbacks)
    assert (
        excinfo.value.message
        == "No friends match this audience; nothing would be sent."
    )
    assert broadcast.status == Broadcast.Status.DRAFT
    assert usage_pair(account) == (0, 0)


def test_audience_that_empties_before_start_fails_without_reserving(
    account, alice, crowd, django_capture_on_commit_callbacks
):
    broadcast = draft(account, alice, audience=vip(crowd))
    with django_capture_on_commit_callbacks(execute=False):
        broadcast_send_now(broadcast=broadcast, actor=alice)
    crowd["ann"].tags.clear()
    broadcast_start(broadcast_id=broadcast.pk)
    broadcast.refresh_from_db()
    assert broadcast.status == Broadcast.Status.FAILED
    assert broadcast.failure_reason == "No friends matched the audience when sending."
    assert usage_pair(account) == (0, 0)


def test_schedule_in_the_past_is_refused(account, alice, crowd):
    broadcast = draft(account, alice)
    with assert_unchanged(), pytest.raises(ApplicationError) as excinfo:
        broadcast_schedule(
            broadcast=broadcast,
            actor=alice,
            when=timezone.now() - dt.timedelta(minutes=1),
        )
    assert excinfo.value.message == "Choose a delivery time in the future."
    broadcast.refresh_from_db()
    assert (broadcast.status, broadcast.scheduled_at) == (Broadcast.Status.DRAFT, None)


def test_scheduled_broadcast_fires_from_the_beat_task_when_due(
    account, alice, crowd, django_capture_on_commit_callbacks
):
    # given a broadcast scheduled for 10:00 Tokyo time
    with freeze_time("2026-11-24 09:00:00+09:00"):
        broadcast = draft(account, alice)
        when = dt.datetime(2026, 11, 24, 10, 0, tzinfo=account.tz)
        broadcast_schedule(broadcast=broadcast, actor=alice, when=when)
    # when beat runs before it is due, nothing starts
    with (
        freeze_time("2026-11-24 09:59:30+09:00"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert broadcasts_dispatch_task()["started"] == []
    broadcast.refresh_from_db()
    assert broadcast.status == Broadcast.Status.SCHEDULED
    # when beat runs after it is due, it is sent, once
    with freeze_time("2026-11-24 10:00:10+09:00"):
        with django_capture_on_commit_callbacks(execute=True):
            assert broadcasts_dispatch_task()["started"] == [broadcast.pk]
        with django_capture_on_commit_callbacks(execute=True):
            assert broadcasts_dispatch_task()["started"] == []
    broadcast.refresh_from_db()
    assert broadcast.status == Broadcast.Status.SENT
    assert broadcast.started_at == dt.datetime(2026, 11, 24, 1, 0, 10, tzinfo=dt.UTC)
    assert Delivery.objects.filter(broadcast=broadcast).count() == 6  # 5 + Cai
    assert usage_pair(account) == (5, 0)


def test_cancel_a_scheduled_broadcast(
    account, alice, crowd, django_capture_on_commit_callbacks
):
    broadcast = draft(account, alice)
    broadcast_schedule(
        broadcast=broadcast, actor=alice, when=timezone.now() + dt.timedelta(hours=1)
    )
    broadcast_cancel(broadcast=broadcast, actor=alice)
    broadcast.refresh_from_db()
    assert broadcast.status == Broadcast.Status.CANCELLED
    with (
        freeze_time(timezone.now() + dt.timedelta(hours=2)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert broadcasts_dispatch_task()["started"] == []
    assert not Delivery.objects.exists()
    assert usage_pair(account) == (0, 0)


def _link(account, member, friend):
    friend_staff_link_set(account=account, actor=member, friend=friend, linked=True)


def test_test_send_goes_to_members_own_line_counted_and_not_a_delivery(
    account, alice, bob, crowd
):
    # given alice (admin) and bob (operator) linked their own LINE
    _link(account, alice, crowd["ben"])
    _link(account, bob, crowd["eve"])
    broadcast = draft(account, alice, messages=[text("Test {Nickname}")])
    # "to me" reaches alice's LINE only
    rows = broadcast_test_send(broadcast=broadcast, actor=alice, to="me")
    assert [(r.friend_id, r.text) for r in rows] == [(crowd["ben"].pk, "Test Ben")]
    # "to all members" reaches both
    rows = broadcast_test_send(broadcast=broadcast, actor=alice, to="staff")
    assert sorted(r.text for r in rows) == ["Test Ben", "Test Eve"]
    assert set(Message.objects.values_list("source", flat=True)) == {"test"}
    assert usage_pair(account) == (3, 0)
    assert not Delivery.objects.exists()
    broadcast.refresh_from_db()
    assert broadcast.status == Broadcast.Status.DRAFT


def test_test_send_refused_by_quota_sends_nothing(account, alice, crowd):
    _link(account, alice, crowd["ben"])
    quota.quota_consume(account=account, count=5000)
    broadcast = draft(account, alice)
    with assert_unchanged(), pytest.raises(quota.QuotaExceeded):
        broadcast_test_send(broadcast=broadcast, actor=alice, to="me")
    assert not Message.objects.exists()
    assert usage_pair(account) == (5000, 0)


def test_test_send_with_nobody_linked_is_refused(account, alice, bob, crowd):
    broadcast = draft(account, alice)
    # bob linked his LINE, but "to me" is alice's, and a former member's
    # link (charlie is no member here) never counts
    _link(account, bob, crowd["eve"])
    with assert_unchanged(), pytest.raises(ApplicationError) as excinfo:
        broadcast_test_send(broadcast=broadcast, actor=alice, to="me")
    assert excinfo.value.message.startswith("Link your own LINE first")
    Membership.objects.filter(account=account, user=bob).delete()
    with assert_unchanged(), pytest.raises(ApplicationError) as excinfo:
        broadcast_test_send(broadcast=broadcast, actor=alice, to="staff")
    assert excinfo.value.message == (
        "No member has linked their own LINE for test messages yet."
    )
    assert not Message.objects.exists()
    assert usage_pair(account) == (0, 0)


def test_a_blocked_friend_cannot_be_linked_nor_someone_elses_link_taken(
    account, alice, bob, crowd, other_account, charlie
):
    with assert_unchanged(), pytest.raises(ApplicationError):
        _link(account, alice, crowd["cai"])  # blocked the account
    _link(account, bob, crowd["eve"])
    with assert_unchanged(), pytest.raises(ApplicationError):
        _link(account, alice, crowd["eve"])
    with assert_unchanged(), pytest.raises(ApplicationError):
        friend_staff_link_set(
            account=account, actor=alice, friend=crowd["eve"], linked=False
        )
    stranger = Friend.objects.get(account=other_account)
    with assert_unchanged(), pytest.raises(NotFound):
        _link(account, alice, stranger)
    assert dict(
        Friend.objects.filter(staff_user__isnull=False).values_list("pk", "staff_user")
    ) == {crowd["eve"].pk: bob.pk}
    # linking another friend moves alice's link
    _link(account, alice, crowd["ann"])
    _link(account, alice, crowd["ben"])
    assert list(
        Friend.objects.filter(staff_user=alice).values_list("pk", flat=True)
    ) == [crowd["ben"].pk]


def _hash(friend_id: int, seed: int) -> int:
    p, a, b = 2147483647, 1103515245, 48271
    x1 = ((friend_id % p) * a + seed) % p
    return ((x1 * x1) % p * b + x1) % p


def test_recipient_cap_picks_a_seeded_random_subset(
    account, alice, django_capture_on_commit_callbacks
):
    # given 40 friends and a cap of 15
    ids = bulk_friends(account, 40)
    broadcast = draft(account, alice, max_recipients=15)
    # when
    send(broadcast, alice, django_capture_on_commit_callbacks)
    # then exactly the 15 friends first in the seed's hash order got it
    expected = sorted(ids, key=lambda i: (_hash(i, broadcast.sample_seed), i))[:15]
    got = set(
        Delivery.objects.filter(broadcast=broadcast).values_list("friend_id", flat=True)
    )
    assert got == set(expected)
    assert usage_pair(account) == (15, 0)
    # and the subset is not simply the lowest or highest ids
    assert got != set(ids[:15]) and got != set(ids[-15:])


def test_subset_is_stable_when_batches_run_again(
    account, alice, django_capture_on_commit_callbacks
):
    bulk_friends(account, 30)
    broadcast = draft(account, alice, max_recipients=12)
    with django_capture_on_commit_callbacks(execute=False):
        broadcast_send_now(broadcast=broadcast, actor=alice)
    broadcast_start(broadcast_id=broadcast.pk, batch_size=5)
    batches = list(BroadcastBatch.objects.filter(broadcast=broadcast).order_by("seq"))
    assert sum(b.planned for b in batches) == 12
    for batch in batches:
        broadcast_batch_send(batch_id=batch.pk)
        broadcast_batch_send(batch_id=batch.pk)
    assert Delivery.objects.filter(broadcast=broadcast).count() == 12
    assert Message.objects.filter(source="broadcast").count() == 12


def test_standard_plan_shows_the_price_of_additional_messages(alice):
    from accounts.models import Plan
    from accounts.services import account_additional_cap_set, account_create

    account = account_create(
        actor=alice, display_name="Big Shop", plan=Plan.objects.get(code="standard")
    )
    account_additional_cap_set(account=account, actor=alice, cap=100)
    quota.quota_consume(account=account, count=29_990)
    bulk_friends(account, 20)
    estimate = audience_estimate(account=account, audience=None)
    # 10 free messages left, then 10 additional ones at ¥3 (the ≤50k tier)
    assert (estimate.recipients, estimate.remaining, estimate.covered) == (
        20,
        110,
        True,
    )
    assert estimate.additional_cost_yen == 30
    bulk_friends(account, 100)
    estimate = audience_estimate(account=account, audience=None)
    assert (estimate.recipients, estimate.covered) == (120, False)


@pytest.mark.parametrize(
    ("typed", "url", "after"),
    [
        (
            "Sale: https://shop.example/a?b=1&c=2.",
            "https://shop.example/a?b=1&c=2",
            ".",
        ),
        (
            "詳しくは https://shop.example/saleをご覧ください",
            "https://shop.example/sale",
            "をご覧ください",
        ),
        ("(see https://shop.example/x)", "https://shop.example/x", ")"),
    ],
)
def test_links_in_text_are_found_exactly(
    account, alice, crowd, settings, typed, url, after
):
    settings.SITE_URL = "https://oa.example"
    template, codes = _links_template([text(typed)])
    assert list(codes) == [url]
    rewritten = template[0]["text"]
    assert rewritten.endswith(after)
    assert f"https://oa.example/r/{codes[url]}/{{~t~}}{after}" in rewritten


def test_only_web_links_of_actions_are_tracked(account, alice, settings):
    settings.SITE_URL = "https://oa.example"
    column = {
        "text": "Call or visit",
        "actions": [
            {"type": "uri", "label": "Call", "uri": "tel:0312345678"},
            {"type": "uri", "label": "Visit", "uri": "https://shop.example/"},
        ],
    }
    cards = {
        "type": "template",
        "altText": "Shop",
        "template": {"type": "carousel", "columns": [column]},
    }
    template, codes = _links_template([cards])
    actions = template[0]["template"]["columns"][0]["actions"]
    assert actions[0]["uri"] == "tel:0312345678"
    assert actions[1]["uri"].startswith("https://oa.example/r/")
    assert list(codes) == ["https://shop.example/"]


def test_the_estimate_counts_exactly_whom_a_mixed_segment_is_sent_to(
    account, alice, crowd, django_capture_on_commit_callbacks
):
    """The count's hashed form (``id IN``) under OR and NOT selects the
    same friends as the fan-out's ``EXISTS`` form."""
    # given (vip OR Android OR NOT regular) AND NOT (female AND Tokyo)
    audience = {
        "match": "all",
        "conditions": [
            {
                "type": "group",
                "match": "any",
                "conditions": [
                    {"type": "tag", "values": [crowd["vip"].pk]},
                    {"type": "os", "values": ["android"]},
                    {"type": "tag", "values": [crowd["regular"].pk], "negate": True},
                ],
            },
            {
                "type": "group",
                "match": "all",
                "negate": True,
                "conditions": [
                    {"type": "gender", "values": ["female"]},
                    {"type": "tag", "values": [crowd["vip"].pk]},
                ],
            },
        ],
    }
    broadcast = draft(account, alice, audience=audience)
    # when it is counted, then sent
    estimate = audience_estimate(account=account, audience=broadcast.audience)
    send(broadcast, alice, django_capture_on_commit_callbacks)
    # then Ben, Eve and Fay were counted and are exactly the recipients
    # (Ann is a female vip, Dan only regular, Cai blocked)
    sent_to = set(
        Delivery.objects.filter(
            broadcast=broadcast, status=Delivery.Status.SENT
        ).values_list("friend__line_user__display_name", flat=True)
    )
    assert sent_to == {"Ben", "Eve", "Fay"}
    assert estimate.matching == broadcast.target_count == broadcast.sent_count == 3
