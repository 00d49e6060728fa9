"""Short-lived OAuth tokens: at most 30 per channel, secrets compared safely.

LINE keeps at most 30 short-lived channel access tokens per channel; issuing
another revokes the oldest. The client secret is compared in constant time
(``hmac.compare_digest``), so any string, ASCII or not, is just "invalid".
"""

from urllib.parse import urlencode

import pytest
from django.test import Client

from accounts.models import ChannelAccessToken
from tests.messaging.api.factories import token_for
from tests.unchanged import assert_unchanged

pytestmark = pytest.mark.django_db

ISSUE = "/v2/oauth/accessToken"
BOT_INFO = "/v2/bot/info"


def _issue(client: Client, account, secret=None):
    body = {
        "grant_type": "client_credentials",
        "client_id": account.channel_id,
        "client_secret": account.channel_secret if secret is None else secret,
    }
    return client.post(
        ISSUE, urlencode(body), content_type="application/x-www-form-urlencoded"
    )


def _works(client: Client, token: str) -> bool:
    response = client.get(BOT_INFO, HTTP_AUTHORIZATION=f"Bearer {token}")
    return response.status_code == 200


def test_the_31st_token_revokes_the_oldest(client, account, other_account):
    # given a long-lived token and another channel's short-lived one
    long_lived = token_for(account)
    other = _issue(client, other_account).json()["access_token"]
    # when the channel issues 31 short-lived tokens
    issued = [_issue(client, account).json()["access_token"] for _i in range(31)]
    # then the first is revoked, the newest 30 work
    assert not _works(client, issued[0])
    assert all(_works(client, token) for token in issued[1:])
    active = ChannelAccessToken.objects.filter(
        account=account, kind="short_lived", revoked_at=None
    )
    assert active.count() == 30
    # and tokens of other kinds or channels are untouched
    assert _works(client, long_lived) and _works(client, other)


@pytest.mark.parametrize("secret", ["wrong", "秘密のシークレット", "x" * 200])
def test_a_wrong_secret_is_invalid_client(client, account, secret):
    response = _issue(client, account, secret=secret)
    assert (response.status_code, response.json()) == (
        400,
        {"error": "invalid_client", "error_description": "invalid client_secret"},
    )
    assert not ChannelAccessToken.objects.filter(kind="short_lived").exists()


@pytest.mark.parametrize(
    ("path", "field"),
    [
        (ISSUE, "client_id"),
        (ISSUE, "client_secret"),
        ("/v2/oauth/verify", "access_token"),
        ("/v2/oauth/revoke", "access_token"),
    ],
)
def test_a_nul_in_a_form_field_is_invalid_request_not_a_500(
    client, account, path, field
):
    """Found by the schema fuzzer (tests/messaging/api/test_fuzz.py)."""
    body = {
        "grant_type": "client_credentials",
        "client_id": account.channel_id,
        "client_secret": account.channel_secret,
        "access_token": "x",
        field: "a\x00b",
    }
    before = ChannelAccessToken.objects.count()
    with assert_unchanged():
        response = client.post(
            path, urlencode(body), content_type="application/x-www-form-urlencoded"
        )
    assert (response.status_code, response.json()) == (
        400,
        {"error": "invalid_request", "error_description": f"'{field}' is invalid"},
    )
    assert ChannelAccessToken.objects.count() == before
