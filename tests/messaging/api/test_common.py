"""Behaviour every endpoint shares (spec 1.1): auth, errors, headers, limits."""

import json
import uuid

import pytest

from accounts.services import channel_token_issue, channel_token_revoke
from core.api.throttling import RATE_LIMITS
from messaging.store.models import Message
from tests.messaging.api.conftest import ApiClient
from tests.messaging.api.factories import text
from tests.unchanged import assert_unchanged

PUSH = "/v2/bot/message/push"
AUTH_INVALID = (
    "Authentication failed due to the following reason: invalid token. "
    "Confirm that the access token in the authorization header is valid."
)


def _request_id(response) -> str:
    value = response.headers["X-Line-Request-Id"]
    uuid.UUID(value)
    return value


def test_missing_token_is_401_with_line_body_and_request_id(db, account):
    # when
    response = ApiClient(None).call("GET", "/v2/bot/info")
    # then
    assert response.status_code == 401
    assert response.json() == {
        "message": "Authentication failed due to the following reason: no token. "
        "Set 'Authorization: Bearer <ACCESS TOKEN>' in the request header."
    }
    _request_id(response)


@pytest.mark.parametrize("header", ["Bearer nope", "Basic abc", "Bearer"])
def test_wrong_token_is_401(db, account, header):
    response = ApiClient(None).call("GET", "/v2/bot/info", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json()["message"].startswith(
        "Authentication failed due to the following reason: "
    )


def test_revoked_token_is_refused(account, friend):
    # given a token that was revoked
    record, token = channel_token_issue(account=account, actor=None)
    channel_token_revoke(account=account, actor=None, token_id=record.pk)
    # when it is used to push
    with assert_unchanged():
        response = ApiClient(token).call(
            "POST", PUSH, {"to": friend.line_user.user_id, "messages": [text()]}
        )
    # then nothing is sent
    assert response.status_code == 401
    assert response.json() == {"message": AUTH_INVALID}


def test_unknown_path_is_line_404(api):
    response = api.call("GET", "/v2/bot/nothing/here")
    assert response.status_code == 404
    assert response.json() == {"message": "Not found"}
    _request_id(response)


def test_every_response_has_its_own_request_id(api):
    first = _request_id(api.call("GET", "/v2/bot/info"))
    second = _request_id(api.call("GET", "/v2/bot/info"))
    assert first != second


@pytest.mark.parametrize(
    ("raw", "line", "column"),
    [
        ('{"to": "U1",', 1, 13),
        ('{\n  "to": "x",\n  "messages": [}\n', 3, 16),
        ("not json", 1, 1),
    ],
)
def test_malformed_json_names_line_and_column(
    api, friend, unchanged, raw, line, column
):
    response = api.call("POST", PUSH, raw=raw)
    assert response.status_code == 400
    assert response.json() == {
        "message": "The request body could not be parsed as JSON "
        f"(line: {line}, column: {column})"
    }
    unchanged()


@pytest.mark.parametrize("raw", ["[]", '"text"', "42"])
def test_json_that_is_not_an_object_is_a_parse_error(api, unchanged, raw):
    response = api.call("POST", PUSH, raw=raw)
    assert response.status_code == 400
    assert response.json() == {
        "message": "The request body could not be parsed as JSON (line: 1, column: 1)"
    }
    unchanged()


def test_unsupported_content_type_is_415(api, friend, unchanged):
    response = api.call(
        "POST", PUSH, raw="to=U1", content_type="text/plain; charset=utf-8"
    )
    assert response.status_code == 415
    assert response.json() == {
        "message": "The content type, 'text/plain', is not supported"
    }
    unchanged()


def test_body_over_2_mb_is_413(api, friend, unchanged):
    # given a push whose text alone is larger than 2 MB
    body = {"to": friend.line_user.user_id, "messages": [text("x" * (2 * 1024 * 1024))]}
    # when
    response = api.call("POST", PUSH, body)
    # then
    assert response.status_code == 413
    assert response.json() == {"message": "The request body is too large"}
    _request_id(response)
    unchanged()


def test_bodiless_post_is_read_as_an_empty_object(api, unchanged):
    # given a POST with neither body nor Content-Type (as the SDK sends them)
    response = api.generic(
        "POST",
        "/v2/bot/chat/markAsRead",
        HTTP_AUTHORIZATION=f"Bearer {api.token}",
    )
    # then it is validated like {} rather than refused as unparsable
    assert response.status_code == 400
    assert response.json() == {
        "message": "The request body has 1 error(s)",
        "details": [{"message": "must be specified", "property": "markAsReadToken"}],
    }
    unchanged()


def test_retry_key_on_an_endpoint_without_retry_support_is_400(api, unchanged):
    response = api.call(
        "POST",
        "/v2/bot/message/validate/push",
        {"messages": [text()]},
        HTTP_X_LINE_RETRY_KEY=str(uuid.uuid4()),
    )
    assert response.status_code == 400
    assert response.json() == {"message": "The retry key is not supported by this API"}
    unchanged()


def test_retry_key_that_is_not_a_uuid_is_400(api, friend, unchanged):
    response = api.call(
        "POST",
        PUSH,
        {"to": friend.line_user.user_id, "messages": [text()]},
        HTTP_X_LINE_RETRY_KEY="not-a-uuid",
    )
    assert response.status_code == 400
    assert response.json() == {
        "message": "The retry key must be a UUID in hexadecimal format"
    }
    unchanged()


def test_rate_limit_per_endpoint_and_method_is_429(api, settings, friend):
    # given push is limited to 2 requests an hour
    settings.LINE_API_RATE_LIMITS = {"default": (2, 3600)}
    body = {"to": friend.line_user.user_id, "messages": [text()]}
    # when three pushes are made
    statuses = [api.call("POST", PUSH, body).status_code for _i in range(3)]
    # then the third is refused with LINE's message, and sent nothing
    assert statuses == [200, 200, 429]
    assert Message.objects.filter(source="api_push").count() == 2
    refused = api.call("POST", PUSH, body)
    assert Message.objects.filter(source="api_push").count() == 2
    assert refused.json() == {
        "message": "The API rate limit has been exceeded. Try again later."
    }
    _request_id(refused)
    # and another endpoint keeps its own budget
    assert api.call("GET", "/v2/bot/info").status_code == 200


def test_rate_limits_are_per_channel(api, other_token, settings, friend):
    settings.LINE_API_RATE_LIMITS = {"default": (1, 3600)}
    assert api.call("GET", "/v2/bot/info").status_code == 200
    assert api.call("GET", "/v2/bot/info").status_code == 429
    assert ApiClient(other_token).call("GET", "/v2/bot/info").status_code == 200


def test_limits_table_matches_line():
    assert RATE_LIMITS["default"] == (2000, 1)
    assert RATE_LIMITS["multicast"] == (200, 1)
    assert RATE_LIMITS["narrowcast"] == (60, 3600)
    assert RATE_LIMITS["broadcast"] == (60, 3600)
    assert RATE_LIMITS["webhook_endpoint"] == (1000, 60)
    assert RATE_LIMITS["webhook_test"] == (60, 3600)
    assert RATE_LIMITS["loading"] == (100, 1)


def test_bodies_are_camel_case_json(api, account):
    response = api.call("GET", "/v2/bot/info")
    assert response["Content-Type"] == "application/json"
    assert set(json.loads(response.content)) == {
        "userId",
        "basicId",
        "displayName",
        "chatMode",
        "markAsReadMode",
    }
