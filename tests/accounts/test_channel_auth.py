"""The per-process cache of channel tokens (accounts.channel_auth)."""

import datetime as dt

import pytest
from django.utils import timezone
from freezegun import freeze_time

from accounts import services
from accounts.channel_auth import _cache, _epoch_key
from accounts.models import ChannelAccessToken
from accounts.selectors import channel_token_authenticate
from core.redis import redis_client


@pytest.fixture(autouse=True)
def _empty_cache():
    _cache.clear()
    yield
    _cache.clear()


@pytest.fixture
def issued(account):
    _record, token = services.channel_token_issue(account=account, actor=None)
    return token


def test_a_second_request_reads_nothing_from_the_database(
    issued, account, django_assert_num_queries
):
    with django_assert_num_queries(1):
        first = channel_token_authenticate(token=issued)
    with django_assert_num_queries(0):
        second = channel_token_authenticate(token=issued)
    assert first.account.pk == second.account.pk == account.pk
    assert second.account.plan.code == account.plan.code


def test_each_caller_gets_its_own_instances(issued, account):
    first = channel_token_authenticate(token=issued)
    first.account.display_name = "Changed in one request"
    second = channel_token_authenticate(token=issued)
    assert second.account is not first.account
    assert second.account.display_name == account.display_name


def test_a_revoked_token_is_refused_at_once(issued, account):
    record = channel_token_authenticate(token=issued)
    services.channel_token_revoke(account=account, actor=None, token_id=record.pk)
    assert channel_token_authenticate(token=issued) is None


def test_another_process_moving_the_epoch_empties_this_cache(
    issued, account, django_assert_num_queries
):
    channel_token_authenticate(token=issued)
    # What a revoke in another process does: the epoch moves in Redis, and
    # this process's dict is not touched.
    ChannelAccessToken.objects.filter(account=account).update(revoked_at=timezone.now())
    assert len(_cache) == 1
    redis_client().incr(_epoch_key())
    with django_assert_num_queries(1):
        assert channel_token_authenticate(token=issued) is None


def test_a_suspended_account_is_seen_at_once(issued, account):
    assert channel_token_authenticate(token=issued).account.is_suspended is False
    services.account_suspend(account=account, actor=None, reason="test")
    assert channel_token_authenticate(token=issued).account.is_suspended is True
    services.account_resume(account=account, actor=None)
    assert channel_token_authenticate(token=issued).account.is_suspended is False


def test_any_saved_account_change_is_seen_at_once(issued, account):
    channel_token_authenticate(token=issued)
    account.display_name = "Renamed"
    account.save(update_fields=["display_name"])
    assert channel_token_authenticate(token=issued).account.display_name == "Renamed"


def test_older_short_lived_tokens_revoked_by_a_new_issue_are_refused(account):
    tokens = [
        services.channel_token_issue(
            account=account,
            actor=None,
            kind=ChannelAccessToken.Kind.SHORT_LIVED,
            ttl=dt.timedelta(days=30),
        )[1]
        for _i in range(services.SHORT_LIVED_TOKENS_MAX)
    ]
    oldest = tokens[0]
    assert channel_token_authenticate(token=oldest) is not None
    services.channel_token_issue(
        account=account,
        actor=None,
        kind=ChannelAccessToken.Kind.SHORT_LIVED,
        ttl=dt.timedelta(days=30),
    )
    assert channel_token_authenticate(token=oldest) is None
    assert channel_token_authenticate(token=tokens[1]) is not None


def test_a_cached_token_expires_on_time(account):
    _record, token = services.channel_token_issue(
        account=account,
        actor=None,
        kind=ChannelAccessToken.Kind.SHORT_LIVED,
        ttl=dt.timedelta(seconds=30),
    )
    assert channel_token_authenticate(token=token) is not None
    with freeze_time(timezone.now() + dt.timedelta(seconds=31)):
        assert channel_token_authenticate(token=token) is None


def test_entries_are_refetched_after_the_time_limit(
    issued, settings, django_assert_num_queries
):
    settings.CHANNEL_AUTH_CACHE_SECONDS = 5
    channel_token_authenticate(token=issued)
    later = timezone.now() + dt.timedelta(seconds=6)
    with freeze_time(later), django_assert_num_queries(1):
        assert channel_token_authenticate(token=issued) is not None


@pytest.mark.parametrize(
    "redis_url",
    ["", "redis://127.0.0.1:1/0"],
    ids=["no Redis configured", "Redis unreachable"],
)
def test_without_redis_every_request_reads_the_database(
    issued, settings, redis_url, django_assert_num_queries
):
    settings.REDIS_URL = redis_url
    for _i in range(2):
        with django_assert_num_queries(1):
            assert channel_token_authenticate(token=issued) is not None
    assert _cache == {}


def test_unknown_tokens_are_not_stored(account):
    assert channel_token_authenticate(token="not-a-token") is None
    assert _cache == {}
