"""Channel access tokens over OAuth v2, through the SDK's oauth module."""

import json

import pytest
from linebot.v3 import oauth
from linebot.v3.messaging import ApiException as MessagingApiException

from accounts.models import ChannelAccessToken
from tests.messaging.api.factories import sdk_apis, sdk_client
from tests.unchanged import assert_unchanged

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def tokens(live_server):
    config = oauth.Configuration(host=live_server.url)
    with oauth.ApiClient(config) as c:
        yield oauth.ChannelAccessToken(c)


def test_client_credentials_token_works_then_is_revoked(tokens, live_server, account):
    # when a bot issues a short-lived token with its channel ID and secret
    issued = tokens.issue_channel_token_with_http_info(
        "client_credentials", account.channel_id, account.channel_secret
    )
    # then it gets a 30-day Bearer token
    assert issued.data.token_type == "Bearer"
    assert issued.data.expires_in == 30 * 24 * 3600
    record = ChannelAccessToken.objects.get(kind="short_lived")
    assert record.account_id == account.pk
    # and the token opens the Messaging API
    with sdk_client(live_server.url, issued.data.access_token) as client:
        line = sdk_apis(client)[0]
        assert line.get_bot_info().user_id == account.bot_user_id
        # and verify reports its channel and remaining lifetime
        verified = tokens.verify_channel_token(issued.data.access_token)
        assert verified.client_id == account.channel_id
        assert 30 * 24 * 3600 - 60 < verified.expires_in <= 30 * 24 * 3600
        # when it is revoked
        tokens.revoke_channel_token(issued.data.access_token)
        # then it no longer works
        with assert_unchanged(), pytest.raises(MessagingApiException) as excinfo:
            line.get_bot_info()
    assert excinfo.value.status == 401
    record.refresh_from_db()
    assert record.revoked_at is not None


def test_long_lived_token_verifies_without_expiry(tokens, token, account):
    verified = tokens.verify_channel_token(token)
    assert (verified.client_id, verified.expires_in) == (account.channel_id, 2**31 - 1)


@pytest.mark.parametrize(
    ("grant", "client_id", "secret", "expected"),
    [
        (
            "password",
            None,
            None,
            {
                "error": "unsupported_grant_type",
                "error_description": "unsupported grant_type",
            },
        ),
        (
            "client_credentials",
            "1234567890",
            None,
            {"error": "invalid_client", "error_description": "invalid client_id"},
        ),
        (
            "client_credentials",
            None,
            "0" * 32,
            {"error": "invalid_client", "error_description": "invalid client_secret"},
        ),
    ],
)
def test_issue_refusals(tokens, account, grant, client_id, secret, expected):
    with assert_unchanged(), pytest.raises(oauth.ApiException) as excinfo:
        tokens.issue_channel_token(
            grant, client_id or account.channel_id, secret or account.channel_secret
        )
    assert excinfo.value.status == 400
    assert json.loads(excinfo.value.body) == expected
    assert not ChannelAccessToken.objects.filter(kind="short_lived").exists()


def test_verify_and_revoke_of_an_unknown_token(tokens):
    with assert_unchanged(), pytest.raises(oauth.ApiException) as excinfo:
        tokens.verify_channel_token("nope")
    assert json.loads(excinfo.value.body) == {
        "error": "invalid_request",
        "error_description": "access token expired",
    }
    with assert_unchanged(), pytest.raises(oauth.ApiException) as excinfo:
        tokens.revoke_channel_token("nope")
    assert excinfo.value.status == 400
    assert json.loads(excinfo.value.body)["error"] == "invalid_request"


def test_missing_form_fields(api):
    with assert_unchanged():
        response = api.call(
            "POST",
            "/v2/oauth/accessToken",
            raw="grant_type=client_credentials",
            content_type="application/x-www-form-urlencoded",
        )
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "'client_id' must be specified",
    }
    assert response.headers["X-Line-Request-Id"]
