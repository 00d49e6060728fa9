"""Narrowcast targeting (spec 1.5), sent by the one fan-out engine."""

import datetime as dt

import pytest
from django.utils import timezone

from accounts import quota
from accounts.services import account_quota_override_set
from chat.inbound import customer_block
from messaging.api import services
from messaging.api.services import Audience, narrowcast_accept
from messaging.audience.conditions import audience_friends
from messaging.broadcasts import fanout
from messaging.broadcasts.fanout import broadcast_batch_send, broadcast_finish
from messaging.broadcasts.models import Broadcast, BroadcastBatch, Delivery
from messaging.broadcasts.recipients import _recipients
from messaging.friends.models import Friend
from messaging.store.models import Message
from tests.messaging.api.factories import customer, text
from tests.unchanged import Snapshot, assert_unchanged

NARROWCAST = "/v2/bot/message/narrowcast"


@pytest.fixture
def crowd(account):
    """120 friends: 60 women on iOS in Tokyo aged 20-39, 60 men on Android
    in Osaka aged 40-59; the first 30 of each became friends 100 days ago."""
    friends = []
    for i in range(120):
        woman = i % 2 == 0
        friends.append(
            customer(
                account,
                gender="female" if woman else "male",
                os="ios" if woman else "android",
                region="jp_13" if woman else "jp_27",
                age=(20 if woman else 40) + i % 20,
            )
        )
    old = [f.pk for f in friends[:60]]
    Friend.objects.filter(pk__in=old).update(
        friend_since=timezone.now() - dt.timedelta(days=100)
    )
    return friends


def _accept(account, audience, **kwargs) -> Broadcast:
    return narrowcast_accept(
        account=account,
        messages=[text("Members' sale")],
        audience=audience,
        request_id=str(
            kwargs.pop("request_id", "r-" + str(timezone.now().timestamp()))
        ),
        **kwargs,
    )


def _targets(broadcast: Broadcast) -> set[int]:
    """The friends planned when it started, or its audience if it did not."""
    if broadcast.started_at is None:
        qs = audience_friends(
            account=broadcast.account,
            definition=broadcast.audience,
            now=timezone.now(),
        )
    else:
        qs = _recipients(broadcast)
    return set(qs.values_list("id", flat=True))


def _send(broadcast: Broadcast) -> None:
    """Run every batch, as the workers would after commit, then finish."""
    for batch_id in BroadcastBatch.objects.filter(broadcast=broadcast).values_list(
        "pk", flat=True
    ):
        broadcast_batch_send(batch_id=batch_id)
    broadcast_finish(broadcast_id=broadcast.pk)


def _ids(friends, pred) -> set[int]:
    return {f.pk for f in friends if pred(f)}


def test_demographic_filters_pick_matching_friends(account, crowd):
    audience = Audience(
        demographic={
            "type": "operator",
            "and": [
                {"type": "gender", "oneOf": ["female"]},
                {"type": "appType", "oneOf": ["ios"]},
                {"type": "area", "oneOf": ["jp_13"]},
                {"type": "age", "gte": "age_25", "lt": "age_35"},
            ],
        }
    )
    job = _accept(account, audience)
    expected = _ids(
        crowd,
        lambda f: f.line_user.gender == "female" and 25 <= f.line_user.age < 35,
    )
    assert _targets(job) == expected
    assert len(expected) == 30
    # fewer than 50 recipients: LINE refuses through the progress (code 2)
    assert (job.status, job.error_code) == ("failed", 2)


def test_subscription_period_and_not(account, crowd):
    audience = Audience(
        demographic={
            "type": "operator",
            "or": [
                {"type": "subscriptionPeriod", "gte": "day_90"},
                {"type": "operator", "not": {"type": "gender", "oneOf": ["female"]}},
            ],
        }
    )
    job = _accept(account, audience)
    old = {f.pk for f in crowd[:60]}
    men = _ids(crowd, lambda f: f.line_user.gender == "male")
    assert _targets(job) == old | men


def test_too_few_recipients_fails_with_error_code_2(account, crowd):
    audience = Audience(demographic={"type": "age", "gte": "age_55"})
    job = _accept(account, audience)
    assert (job.status, job.error_code) == ("failed", 2)
    assert not BroadcastBatch.objects.exists()
    assert quota.usage_get(account=account).reserved == 0


def test_limit_max_samples_recipients(account, crowd):
    job = _accept(account, Audience(limit_max=10))
    assert len(_targets(job)) == job.target_count == 10
    assert _targets(job) <= {f.pk for f in crowd}
    assert quota.usage_get(account=account).reserved == 10


def test_up_to_remaining_quota(account, crowd):
    account_quota_override_set(account=account, actor=None, limit=50)
    job = _accept(account, Audience(up_to_remaining_quota=True))
    assert len(_targets(job)) == job.target_count == 50
    usage = quota.usage_get(account=account)
    assert (usage.reserved, usage.remaining) == (50, 0)


def test_forbid_partial_delivery_fails_with_error_code_5(account, crowd):
    account_quota_override_set(account=account, actor=None, limit=50)
    job = _accept(
        account,
        Audience(up_to_remaining_quota=True, forbid_partial_delivery=True),
    )
    assert (job.status, job.error_code) == ("failed", 5)
    assert quota.usage_get(account=account).reserved == 0


def test_without_up_to_remaining_quota_a_short_quota_is_429(api, account, crowd):
    account_quota_override_set(account=account, actor=None, limit=50)
    before = Snapshot.take()
    response = api.call("POST", NARROWCAST, {"messages": [text()]})
    assert response.status_code == 429
    assert response.json() == {"message": "You have reached your monthly limit."}
    assert not Broadcast.objects.exists()
    before.assert_same()


def test_redelivery_targets_the_earlier_narrowcast(account, crowd):
    first = _accept(account, Audience(limit_max=5), request_id="first")
    _send(first)
    second = _accept(
        account,
        Audience(recipient={"type": "redelivery", "requestId": "first"}),
        request_id="second",
    )
    reached = set(
        Delivery.objects.filter(broadcast=first, status="sent").values_list(
            "friend_id", flat=True
        )
    )
    assert len(reached) == 5
    assert _targets(second) == reached


def test_redelivery_of_a_narrowcast_older_than_14_days_is_invalid(account, crowd):
    first = _accept(account, Audience(limit_max=5), request_id="first")
    _send(first)
    Broadcast.objects.filter(pk=first.pk).update(
        created_at=timezone.now() - dt.timedelta(days=15)
    )
    with assert_unchanged(), pytest.raises(services.RecipientInvalid):
        _accept(
            account,
            Audience(recipient={"type": "redelivery", "requestId": "first"}),
            request_id="second",
        )


def test_batches_commit_quota_skip_blocked_friends_and_release_the_rest(
    account, crowd, monkeypatch
):
    # given a broadcast to 120 friends, planned 50 at a time, two of whom
    # block the account before the send
    monkeypatch.setattr(fanout, "BATCH_SIZE", 50)
    job = services.broadcast_accept(
        account=account, messages=[text("Hello")], request_id="b-1"
    )
    assert BroadcastBatch.objects.filter(broadcast=job).count() == 3
    customer_block(friend=crowd[0])
    customer_block(friend=crowd[119])
    assert quota.usage_get(account=account).reserved == 120
    # when the workers run its batches
    _send(job)
    # then 118 got it, the two blocked are skipped rows, quota is settled
    job.refresh_from_db()
    assert (job.status, job.sent_count, job.blocked_count) == ("sent", 118, 2)
    assert Message.objects.filter(source=Message.Source.API_BROADCAST).count() == 118
    assert set(
        Delivery.objects.filter(broadcast=job, status="blocked").values_list(
            "friend_id", flat=True
        )
    ) == {crowd[0].pk, crowd[119].pk}
    usage = quota.usage_get(account=account)
    assert (usage.used, usage.reserved) == (118, 0)
    # and running the batches again sends nothing more
    _send(job)
    assert Message.objects.filter(source=Message.Source.API_BROADCAST).count() == 118


def test_an_interrupted_send_resumes_with_each_friend_once(account, crowd, monkeypatch):
    monkeypatch.setattr(fanout, "BATCH_SIZE", 50)
    job = services.broadcast_accept(
        account=account, messages=[text("Hello")], request_id="b-2"
    )
    # given the first batch went out before the worker died
    first = BroadcastBatch.objects.filter(broadcast=job).order_by("seq").first()
    assert broadcast_batch_send(batch_id=first.pk).sent == 50
    # when every batch is run (again)
    _send(job)
    # then each friend got the message exactly once
    sent = Message.objects.filter(source=Message.Source.API_BROADCAST)
    assert sent.count() == 120
    assert sent.values("friend").distinct().count() == 120
    assert Delivery.objects.filter(broadcast=job).count() == 120


def test_narrowcast_through_the_api_runs_after_commit(
    api, account, friend, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api.call("POST", NARROWCAST, {"messages": [text("Hi")]})
    assert response.status_code == 202
    job = Broadcast.objects.get()
    assert job.request_id == response["X-Line-Request-Id"]
    assert Delivery.objects.filter(broadcast=job, friend=friend).count() == 1
    progress = api.call(
        "GET", f"/v2/bot/message/progress/narrowcast?requestId={job.request_id}"
    ).json()
    assert progress["phase"] == "succeeded"
    assert progress["successCount"] == 1
    assert progress["acceptedTime"].endswith("Z")


def test_progress_while_waiting_has_no_counts(api, account, friend):
    # on_commit callbacks do not run here, so no batch has run yet
    response = api.call("POST", NARROWCAST, {"messages": [text("Hi")]})
    request_id = response["X-Line-Request-Id"]
    progress = api.call(
        "GET", f"/v2/bot/message/progress/narrowcast?requestId={request_id}"
    ).json()
    assert set(progress) == {"phase", "acceptedTime"}
    assert progress["phase"] == "waiting"


def test_progress_needs_a_request_id(api):
    response = api.call("GET", "/v2/bot/message/progress/narrowcast")
    assert response.status_code == 400
    assert response.json() == {
        "message": "The value for the 'requestId' parameter is invalid"
    }


def test_failed_progress_reports_the_error(api, account, crowd):
    body = {
        "messages": [text()],
        "filter": {"demographic": {"type": "age", "gte": "age_55"}},
    }
    request_id = api.call("POST", NARROWCAST, body)["X-Line-Request-Id"]
    progress = api.call(
        "GET", f"/v2/bot/message/progress/narrowcast?requestId={request_id}"
    ).json()
    assert progress["phase"] == "failed"
    assert progress["errorCode"] == 2
    assert progress["failedDescription"] == "not enough recipients"
    assert progress["targetCount"] == len([f for f in crowd if f.line_user.age >= 55])
    assert "completedTime" in progress
