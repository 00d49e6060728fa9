"""Narrowcast targeting (spec 1.5) and the job that sends it."""

import datetime as dt

import pytest
from django.utils import timezone

from accounts import quota
from accounts.services import account_quota_override_set
from chat.inbound import customer_block
from messaging.api import services
from messaging.api.models import ApiSendJob
from messaging.api.services import Audience, api_send_job_run, narrowcast_accept
from messaging.friends.models import Friend
from messaging.store.models import Message
from tests.api.conftest import Snapshot
from tests.api.factories import customer, text

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


def _accept(account, audience, **kwargs) -> ApiSendJob:
    return narrowcast_accept(
        account=account,
        messages=[text("Members' sale")],
        audience=audience,
        request_id=str(
            kwargs.pop("request_id", "r-" + str(timezone.now().timestamp()))
        ),
        **kwargs,
    )


def _targets(job: ApiSendJob) -> set[int]:
    return set(job.target_ids)


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
    assert (job.phase, job.error_code) == ("failed", 2)
    assert quota.usage_get(account=account).reserved == 0


def test_limit_max_samples_recipients(account, crowd):
    job = _accept(account, Audience(limit_max=10))
    assert len(job.target_ids) == 10
    assert _targets(job) <= {f.pk for f in crowd}
    assert quota.usage_get(account=account).reserved == 10


def test_up_to_remaining_quota(account, crowd):
    account_quota_override_set(account=account, actor=None, limit=50)
    job = _accept(account, Audience(up_to_remaining_quota=True))
    assert len(job.target_ids) == 50
    usage = quota.usage_get(account=account)
    assert (usage.reserved, usage.remaining) == (50, 0)


def test_forbid_partial_delivery_fails_with_error_code_5(account, crowd):
    account_quota_override_set(account=account, actor=None, limit=50)
    job = _accept(
        account,
        Audience(up_to_remaining_quota=True, forbid_partial_delivery=True),
    )
    assert (job.phase, job.error_code) == ("failed", 5)
    assert quota.usage_get(account=account).reserved == 0


def test_without_up_to_remaining_quota_a_short_quota_is_429(api, account, crowd):
    account_quota_override_set(account=account, actor=None, limit=50)
    before = Snapshot.take()
    response = api.call("POST", NARROWCAST, {"messages": [text()]})
    assert response.status_code == 429
    assert response.json() == {"message": "You have reached your monthly limit."}
    assert not ApiSendJob.objects.exists()
    assert Snapshot.take() == before


def test_redelivery_targets_the_earlier_narrowcast(account, crowd):
    first = _accept(account, Audience(limit_max=5), request_id="first")
    api_send_job_run(job_id=first.pk)
    second = _accept(
        account,
        Audience(recipient={"type": "redelivery", "requestId": "first"}),
        request_id="second",
    )
    assert second.target_ids == first.target_ids


def test_redelivery_of_a_narrowcast_older_than_14_days_is_invalid(account, crowd):
    first = _accept(account, Audience(limit_max=5), request_id="first")
    api_send_job_run(job_id=first.pk)
    ApiSendJob.objects.filter(pk=first.pk).update(
        accepted_at=timezone.now() - dt.timedelta(days=15)
    )
    with pytest.raises(services.RecipientInvalid):
        _accept(
            account,
            Audience(recipient={"type": "redelivery", "requestId": "first"}),
            request_id="second",
        )


def test_job_sends_in_batches_commits_quota_and_releases_the_rest(
    account, crowd, monkeypatch
):
    # given a broadcast to 120 friends, sent 50 at a time, two of whom block
    # the account before the send
    monkeypatch.setattr(services, "SEND_BATCH_SIZE", 50)
    job = services.broadcast_accept(
        account=account, messages=[text("Hello")], request_id="b-1"
    )
    customer_block(friend=crowd[0])
    customer_block(friend=crowd[119])
    assert quota.usage_get(account=account).reserved == 120
    # when the task runs
    api_send_job_run(job_id=job.pk)
    # then 118 got it, the two blocked count as failures, quota is settled
    job.refresh_from_db()
    assert (job.phase, job.cursor) == ("succeeded", 120)
    assert (job.success_count, job.failure_count) == (118, 2)
    assert Message.objects.filter(source=Message.Source.API_BROADCAST).count() == 118
    usage = quota.usage_get(account=account)
    assert (usage.used, usage.reserved) == (118, 0)
    # and running the task again sends nothing more
    api_send_job_run(job_id=job.pk)
    assert Message.objects.filter(source=Message.Source.API_BROADCAST).count() == 118


def test_an_interrupted_job_resumes_at_its_cursor(account, crowd, monkeypatch):
    monkeypatch.setattr(services, "SEND_BATCH_SIZE", 50)
    job = services.broadcast_accept(
        account=account, messages=[text("Hello")], request_id="b-2"
    )
    # given the first batch went out before the worker died
    assert services._api_send_job_batch(job.pk) is True
    job.refresh_from_db()
    assert (job.phase, job.cursor, job.reserved) == ("sending", 50, 70)
    # when the task is run again
    api_send_job_run(job_id=job.pk)
    # then each friend got the message exactly once
    assert Message.objects.filter(source=Message.Source.API_BROADCAST).count() == 120
    assert (
        Message.objects.filter(source=Message.Source.API_BROADCAST)
        .values("friend")
        .distinct()
        .count()
        == 120
    )


def test_narrowcast_through_the_api_runs_after_commit(
    api, account, friend, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api.call("POST", NARROWCAST, {"messages": [text("Hi")]})
    assert response.status_code == 202
    job = ApiSendJob.objects.get()
    assert job.request_id == response["X-Line-Request-Id"]
    progress = api.call(
        "GET", f"/v2/bot/message/progress/narrowcast?requestId={job.request_id}"
    ).json()
    assert progress["phase"] == "succeeded"
    assert progress["successCount"] == 1
    assert progress["acceptedTime"].endswith("Z")


def test_progress_while_waiting_has_no_counts(api, account, friend):
    # on_commit callbacks do not run here, so the job stays waiting
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
