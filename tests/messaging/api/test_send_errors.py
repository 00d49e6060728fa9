"""Bad input to the send endpoints: LINE's status and body, nothing sent.

Each case asserts that nothing was written (tests/unchanged.py): no message
stored, no quota used, no row of any other table, nothing queued.
"""

import json
import uuid

import pytest

from accounts.services import account_suspend
from messaging.api.models import RetryKey
from messaging.broadcasts.models import Broadcast
from tests.messaging.api.factories import customer, text
from tests.unchanged import Snapshot, assert_unchanged

PUSH = "/v2/bot/message/push"
REPLY = "/v2/bot/message/reply"
MULTICAST = "/v2/bot/message/multicast"
NARROWCAST = "/v2/bot/message/narrowcast"
BROADCAST = "/v2/bot/message/broadcast"
ONE_ERROR = "The request body has 1 error(s)"


def _invalid(prop: str, body: dict | None = None, value: str = "") -> dict:
    """LINE's answer for ``prop``: with ``body``, a value of the wrong type
    found where ``value`` (its JSON text) starts; else an ID of the wrong
    form (``-``)."""
    column = json.dumps(body).index(value) + 1 if body is not None else "-"
    line = 1 if body is not None else "-"
    return {
        "message": f"The property, '{prop}', in the request body is invalid "
        f"(line: {line}, column: {column})"
    }


def _errors(*details: tuple[str, str]) -> dict:
    return {
        "message": f"The request body has {len(details)} error(s)",
        "details": [{"message": m, "property": p} for p, m in details],
    }


@pytest.fixture
def user_id(friend) -> str:
    return friend.line_user.user_id


# --- every send endpoint ------------------------------------------------------------


def _body_for(path: str, user_id: str, messages) -> dict:
    body: dict = {"messages": messages}
    if path == PUSH:
        body["to"] = user_id
    elif path == MULTICAST:
        body["to"] = [user_id]
    elif path == REPLY:
        body["replyToken"] = "0" * 32
    return body


SENDS = [PUSH, REPLY, MULTICAST, NARROWCAST, BROADCAST]


@pytest.mark.parametrize("path", SENDS)
def test_more_than_five_messages(api, user_id, unchanged, path):
    response = api.call("POST", path, _body_for(path, user_id, [text()] * 6))
    assert response.status_code == 400
    assert response.json() == _errors(("messages", "Size must be between 1 and 5"))
    unchanged()


@pytest.mark.parametrize("path", SENDS)
def test_no_messages(api, user_id, unchanged, path):
    response = api.call("POST", path, _body_for(path, user_id, []))
    assert response.status_code == 400
    assert response.json() == _errors(("messages", "May not be empty"))
    unchanged()


@pytest.mark.parametrize("path", SENDS)
def test_unknown_message_type(api, user_id, unchanged, path):
    response = api.call("POST", path, _body_for(path, user_id, [{"type": "file"}]))
    assert response.status_code == 400
    assert response.json() == _errors(
        (
            "messages[0].type",
            "Must be one of the following values: [text, textV2, sticker, image, "
            "video, audio, location, imagemap, template, flex, coupon]",
        )
    )
    unchanged()


@pytest.mark.parametrize("path", SENDS)
def test_messages_of_the_wrong_json_type(api, user_id, unchanged, path):
    body = _body_for(path, user_id, "hello")
    response = api.call("POST", path, body)
    assert response.status_code == 400
    assert response.json() == _invalid("messages", body, '"hello"')
    unchanged()


@pytest.mark.parametrize("path", SENDS)
def test_a_message_property_of_the_wrong_json_type(api, user_id, unchanged, path):
    body = _body_for(path, user_id, [text(), {"type": "text", "text": 42}])
    response = api.call("POST", path, body)
    assert response.status_code == 400
    assert response.json() == _invalid("messages[1].text", body, "42")
    unchanged()


@pytest.mark.parametrize("path", SENDS)
def test_several_errors_are_reported_together(api, user_id, unchanged, path):
    messages = [
        {"type": "text", "text": ""},
        {"type": "image", "originalContentUrl": "x"},
    ]
    response = api.call("POST", path, _body_for(path, user_id, messages))
    assert response.status_code == 400
    assert response.json() == _errors(
        ("messages[0].text", "May not be empty"),
        ("messages[1].originalContentUrl", "Must be a valid URL"),
        ("messages[1].previewImageUrl", "May not be empty"),
    )
    unchanged()


@pytest.mark.parametrize("path", SENDS)
def test_notification_disabled_must_be_a_boolean(api, user_id, unchanged, path):
    body = {**_body_for(path, user_id, [text()]), "notificationDisabled": "yes"}
    response = api.call("POST", path, body)
    assert response.status_code == 400
    assert response.json() == _invalid("notificationDisabled", body, '"yes"')
    unchanged()


@pytest.mark.parametrize("path", [PUSH, MULTICAST, NARROWCAST, BROADCAST])
def test_suspended_account_cannot_send(api, account, user_id, path):
    account_suspend(account=account, actor=None, reason="abuse")
    before = Snapshot.take()  # after the suspension's own writes
    response = api.call("POST", path, _body_for(path, user_id, [text()]))
    assert response.status_code == 403
    assert response.json() == {
        "message": "Access to this API is not available for your account"
    }
    before.assert_same()


# --- push -----------------------------------------------------------------------------


def test_push_without_to(api, unchanged):
    response = api.call("POST", PUSH, {"messages": [text()]})
    assert response.status_code == 400
    assert response.json() == _errors(("to", "must be specified"))
    unchanged()


def test_push_missing_to_and_bad_message_report_both(api, unchanged):
    response = api.call("POST", PUSH, {"messages": [{"type": "sticker"}]})
    assert response.json() == _errors(
        ("to", "must be specified"),
        ("messages[0].packageId", "May not be empty"),
        ("messages[0].stickerId", "May not be empty"),
    )
    unchanged()


@pytest.mark.parametrize("to", ["U" + "0" * 32, "C" + "0" * 32, "R" + "0" * 32])
def test_push_to_unknown_users_groups_and_rooms(api, unchanged, to):
    response = api.call("POST", PUSH, {"to": to, "messages": [text()]})
    assert response.status_code == 400
    assert response.json() == {"message": "Failed to send messages"}
    unchanged()


def test_push_to_a_user_of_another_account(api, other_account):
    stranger = customer(other_account)
    with assert_unchanged():
        response = api.call(
            "POST", PUSH, {"to": stranger.line_user.user_id, "messages": [text()]}
        )
    assert response.status_code == 400
    assert response.json() == {"message": "Failed to send messages"}


def test_push_to_of_the_wrong_type(api, unchanged):
    body = {"to": ["U1"], "messages": [text()]}
    response = api.call("POST", PUSH, body)
    assert response.json() == _invalid("to", body, '["U1"]')
    unchanged()


@pytest.mark.parametrize(
    ("units", "expected"),
    [
        (
            ["a", "b"],
            _errors(("customAggregationUnits", "Size must be between 0 and 1")),
        ),
        (
            ["bad unit!"],
            _errors(
                (
                    "customAggregationUnits[0].unit",
                    "Must match the pattern [a-zA-Z0-9_]{1,30}",
                )
            ),
        ),
        ([1], None),
    ],
)
def test_push_custom_aggregation_units(api, user_id, unchanged, units, expected):
    body = {"to": user_id, "messages": [text()], "customAggregationUnits": units}
    response = api.call("POST", PUSH, body)
    assert response.status_code == 400
    assert response.json() == (
        expected or _invalid("customAggregationUnits[0]", body, "1]")
    )
    unchanged()


def test_push_retry_key_of_a_refused_request_stays_usable(api, user_id):
    key = str(uuid.uuid4())
    with assert_unchanged():
        bad = api.call(
            "POST", PUSH, {"to": user_id, "messages": []}, HTTP_X_LINE_RETRY_KEY=key
        )
    assert bad.status_code == 400
    good = api.call(
        "POST", PUSH, {"to": user_id, "messages": [text()]}, HTTP_X_LINE_RETRY_KEY=key
    )
    assert good.status_code == 200
    assert RetryKey.objects.get().request_id == good["X-Line-Request-Id"]


# --- reply ----------------------------------------------------------------------------


def test_reply_with_an_unknown_token(api, unchanged):
    response = api.call("POST", REPLY, {"replyToken": "nope", "messages": [text()]})
    assert response.status_code == 400
    assert response.json() == {"message": "Invalid reply token"}
    unchanged()


def test_reply_without_a_token(api, unchanged):
    response = api.call("POST", REPLY, {"messages": [text()]})
    assert response.json() == _errors(("replyToken", "must be specified"))
    unchanged()


# --- multicast ------------------------------------------------------------------------


def test_multicast_to_more_than_500_users(api, user_id, unchanged):
    to = [f"U{i:032x}" for i in range(501)]
    response = api.call("POST", MULTICAST, {"to": to, "messages": [text()]})
    assert response.status_code == 400
    assert response.json() == _errors(("to", "Size must be between 1 and 500"))
    unchanged()


def test_multicast_to_nobody(api, unchanged):
    response = api.call("POST", MULTICAST, {"to": [], "messages": [text()]})
    assert response.json() == _errors(("to", "Size must be between 1 and 500"))
    unchanged()


@pytest.mark.parametrize("bad", ["C" + "0" * 32, "R" + "0" * 32, "U123", 7])
def test_multicast_to_groups_rooms_or_malformed_ids(api, user_id, unchanged, bad):
    body = {"to": [user_id, bad], "messages": [text()]}
    response = api.call("POST", MULTICAST, body)
    assert response.status_code == 400
    # an ID of the wrong form is refused as such; a number as a wrong type
    located = (body, "7]") if bad == 7 else ()
    assert response.json() == _invalid("to[1]", *located)
    unchanged()


def test_multicast_to_unknown_users_only_sends_nothing(api, unchanged):
    response = api.call(
        "POST", MULTICAST, {"to": ["U" + "a" * 32], "messages": [text()]}
    )
    assert response.status_code == 200
    assert response.json() == {}
    unchanged()


def test_multicast_to_users_of_another_account_sends_nothing(api, other_account):
    stranger = customer(other_account)
    with assert_unchanged():
        response = api.call(
            "POST",
            MULTICAST,
            {"to": [stranger.line_user.user_id], "messages": [text()]},
        )
    assert response.status_code == 200
    assert response.json() == {}


# --- narrowcast -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            {"recipient": {"type": "audience", "audienceGroupId": 5614991017776}},
            {"message": "Invalid audience group id: 5614991017776"},
        ),
        (
            {"recipient": {"type": "redelivery", "requestId": "no-such-request"}},
            {"message": "Invalid request id: no-such-request"},
        ),
        (
            {"limit": {"forbidPartialDelivery": True}},
            {
                "message": "The option forbidPartialDelivery must be used with "
                "upToRemainingQuota."
            },
        ),
        (
            {"recipient": {"type": "club"}},
            _errors(
                (
                    "recipient.type",
                    "Must be one of the following values: "
                    "[audience, redelivery, operator]",
                )
            ),
        ),
        (
            {"recipient": {"type": "operator", "and": [], "not": {"type": "audience"}}},
            _errors(
                ("recipient.type", "Exactly one of and, or and not must be specified")
            ),
        ),
        (
            {"recipient": {"type": "operator", "or": []}},
            _errors(("recipient.or", "Size must be between 1 and ∞")),
        ),
        (
            {
                "filter": {
                    "demographic": {"type": "age", "gte": "age_30", "lt": "age_20"}
                }
            },
            _errors(("filter.demographic.lt", "Must be greater than gte")),
        ),
        (
            {"filter": {"demographic": {"type": "gender", "oneOf": ["other"]}}},
            _errors(
                (
                    "filter.demographic.oneOf[0]",
                    "Must be one of the following values: [male, female]",
                )
            ),
        ),
        (
            {"filter": {"demographic": {"type": "area", "oneOf": "jp_13"}}},
            ("filter.demographic.oneOf", '"jp_13"'),
        ),
        ({"limit": {"max": 0}}, _errors(("limit.max", "Must be between 1 and ∞"))),
        ({"limit": {"max": "10"}}, ("limit.max", '"10"')),
        ({"recipient": "everyone"}, ("recipient", '"everyone"')),
    ],
)
def test_narrowcast_bad_targeting(api, unchanged, extra, expected):
    body = {"messages": [text()], **extra}
    response = api.call("POST", NARROWCAST, body)
    assert response.status_code == 400
    if isinstance(expected, tuple):  # a value of the wrong JSON type
        expected = _invalid(expected[0], body, expected[1])
    assert response.json() == expected
    assert not Broadcast.objects.exists()
    unchanged()


def test_narrowcast_with_attributes_needs_100_friends(api, friend, unchanged):
    body = {
        "messages": [text()],
        "filter": {"demographic": {"type": "gender", "oneOf": ["female"]}},
    }
    response = api.call("POST", NARROWCAST, body)
    assert response.status_code == 403
    assert response.json() == {"message": "Your account does not have enough friends"}
    assert not Broadcast.objects.exists()
    unchanged()


@pytest.mark.parametrize("path", [NARROWCAST, BROADCAST])
def test_broadcast_and_narrowcast_retry_key_repeat_is_409(api, friend, path):
    # given an accepted send with a retry key
    key = str(uuid.uuid4())
    first = api.call("POST", path, {"messages": [text()]}, HTTP_X_LINE_RETRY_KEY=key)
    assert first.status_code == (202 if path == NARROWCAST else 200)
    # when it is repeated
    with assert_unchanged():
        again = api.call(
            "POST", path, {"messages": [text()]}, HTTP_X_LINE_RETRY_KEY=key
        )
    # then the repeat is refused and names the accepted request
    assert again.status_code == 409
    assert again.json() == {"message": "The retry key is already accepted"}
    assert again["X-Line-Accepted-Request-Id"] == first["X-Line-Request-Id"]
    assert again["X-Line-Request-Id"] != first["X-Line-Request-Id"]
    assert Broadcast.objects.count() == 1
