"""LINE's exact answers to small bad inputs (issue 18), through the real SDK.

Raw HTTP only where the SDK refuses to send the bad input itself. Every
refusal asserts that no message was stored and no quota was used.
"""

import json

import pytest
import requests
from linebot.v3.messaging import (
    ApiException,
    ButtonsTemplate,
    FlexBubble,
    FlexImage,
    FlexMessage,
    ImageMessage,
    MentionSubstitutionObject,
    MessageAction,
    MulticastRequest,
    PushMessageRequest,
    TemplateMessage,
    TextMessage,
    TextMessageV2,
    UserMentionTarget,
    ValidateMessageRequest,
)

from messaging.store.models import Message

pytestmark = pytest.mark.django_db(transaction=True)

SENDS = ["push", "reply", "multicast", "narrowcast", "broadcast"]


def _body(exc: ApiException) -> dict:
    return json.loads(exc.body)


def _refused(call) -> ApiException:
    with pytest.raises(ApiException) as excinfo:
        call()
    return excinfo.value


def _raw(live_server, token, method, path, data, content_type="application/json"):
    return requests.request(
        method,
        live_server.url + path,
        data=data,
        headers={"Authorization": f"Bearer {token}", "Content-Type": content_type},
        timeout=10,
    )


# --- 1. errors inside a message: LINE's per-message form ------------------------------


def test_flex_contents_error_is_answered_per_message(line, friend, unchanged):
    # given a bubble whose hero image URL is no URL
    message = FlexMessage(
        alt_text="x",
        contents=FlexBubble(hero=FlexImage(url="not a url")),
    )
    request = PushMessageRequest(to=friend.line_user.user_id, messages=[message])
    # when the bot pushes it
    exc = _refused(lambda: line.push_message(request))
    # then LINE's per-message answer names the property inside the bubble
    assert exc.status == 400
    assert _body(exc) == {
        "message": "A message (messages[0]) in the request body is invalid",
        "details": [{"message": "invalid uri scheme", "property": "/hero/url"}],
    }
    unchanged()


def test_per_message_form_names_the_first_invalid_message(line, unchanged):
    good = TextMessage(text="fine")
    bad = FlexMessage(alt_text="x", contents=FlexBubble(hero=FlexImage(url="ftp://x")))
    exc = _refused(
        lambda: line.validate_push(ValidateMessageRequest(messages=[good, bad]))
    )
    assert exc.status == 400
    assert _body(exc) == {
        "message": "A message (messages[1]) in the request body is invalid",
        "details": [{"message": "invalid uri scheme", "property": "/hero/url"}],
    }
    unchanged()


def test_template_error_is_relative_to_the_template(line, friend, unchanged):
    message = TemplateMessage(
        alt_text="menu",
        template=ButtonsTemplate(
            thumbnail_image_url="http://example.com/a.png",
            text="pick",
            actions=[MessageAction(label="a", text="a")],
        ),
    )
    request = PushMessageRequest(to=friend.line_user.user_id, messages=[message])
    exc = _refused(lambda: line.push_message(request))
    assert exc.status == 400
    assert _body(exc) == {
        "message": "A message (messages[0]) in the request body is invalid",
        "details": [
            {"message": "invalid uri scheme", "property": "/thumbnailImageUrl"}
        ],
    }
    unchanged()


def test_text_v2_substitution_error_is_answered_per_message(line, friend, unchanged):
    message = TextMessageV2(
        text="hi {who}",
        substitution={
            "who": MentionSubstitutionObject(
                mentionee=UserMentionTarget(user_id="not-a-user")
            )
        },
    )
    request = PushMessageRequest(to=friend.line_user.user_id, messages=[message])
    exc = _refused(lambda: line.push_message(request))
    assert exc.status == 400
    assert _body(exc) == {
        "message": "A message (messages[0]) in the request body is invalid",
        "details": [
            {
                "message": "Invalid format",
                "property": "/substitution/who/mentionee/userId",
            }
        ],
    }
    unchanged()


def test_request_errors_come_before_a_message_s_contents(live_server, token, unchanged):
    # a missing ``to`` is the request's error; the bad bubble waits behind it
    body = {
        "messages": [
            {
                "type": "flex",
                "altText": "x",
                "contents": {"type": "bubble", "hero": {"type": "image", "url": "x"}},
            }
        ]
    }
    response = _raw(
        live_server, token, "POST", "/v2/bot/message/push", json.dumps(body)
    )
    assert response.status_code == 400
    assert response.json() == {
        "message": "The request body has 1 error(s)",
        "details": [{"message": "must be specified", "property": "to"}],
    }
    unchanged()


# --- 2. recipient IDs are checked for their form first --------------------------------


@pytest.mark.parametrize("to", ["09012345678", "u" + "0" * 32, "U" + "0" * 31])
def test_push_to_something_that_is_no_id(line, unchanged, to):
    request = PushMessageRequest(to=to, messages=[TextMessage(text="x")])
    exc = _refused(lambda: line.push_message(request))
    assert exc.status == 400
    assert _body(exc) == {
        "message": "The property, 'to', in the request body is invalid "
        "(line: -, column: -)"
    }
    unchanged()


def test_push_to_a_well_formed_stranger_fails_to_send(line, unchanged):
    request = PushMessageRequest(to="U" + "0" * 32, messages=[TextMessage(text="x")])
    exc = _refused(lambda: line.push_message(request))
    assert exc.status == 400
    assert _body(exc) == {"message": "Failed to send messages"}
    unchanged()


def test_multicast_to_a_phone_number(line, friend, unchanged):
    request = MulticastRequest(
        to=[friend.line_user.user_id, "09012345678"],
        messages=[TextMessage(text="x")],
    )
    exc = _refused(lambda: line.multicast(request))
    assert exc.status == 400
    assert _body(exc) == {
        "message": "The property, 'to[1]', in the request body is invalid "
        "(line: -, column: -)"
    }
    unchanged()


def test_profile_of_something_that_is_no_user_id(line):
    exc = _refused(lambda: line.get_profile("09012345678"))
    assert exc.status == 400
    assert _body(exc) == {"message": "The value for the 'userId' parameter is invalid"}


# --- 3. quoted property names, real JSON positions ------------------------------------


def test_reply_token_of_the_wrong_type_names_line_and_column(
    live_server, token, unchanged
):
    raw = '{"replyToken":123,"messages":[{"type":"text","text":"x"}]}'
    response = _raw(live_server, token, "POST", "/v2/bot/message/reply", raw)
    assert response.status_code == 400
    assert response.json() == {
        "message": "The property, 'replyToken', in the request body is invalid "
        "(line: 1, column: 15)"
    }
    unchanged()


def test_position_counts_lines_of_a_pretty_printed_body(live_server, token, unchanged):
    raw = '{\n  "messages": [\n    {"type": "text", "text": 42}\n  ]\n}'
    response = _raw(live_server, token, "POST", "/v2/bot/message/broadcast", raw)
    assert response.status_code == 400
    assert response.json() == {
        "message": "The property, 'messages[0].text', in the request body is "
        "invalid (line: 3, column: 30)"
    }
    unchanged()


def test_form_body_is_415_with_the_content_type_quoted(live_server, token, unchanged):
    response = _raw(
        live_server,
        token,
        "POST",
        "/v2/bot/message/push",
        "to=U1",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 415
    assert response.json() == {
        "message": "The content type, 'application/x-www-form-urlencoded', "
        "is not supported"
    }
    unchanged()


# --- 4. sentMessages carry quote tokens -----------------------------------------------


def test_push_answers_each_message_with_id_and_quote_token(line, friend):
    response = line.push_message(
        PushMessageRequest(
            to=friend.line_user.user_id,
            messages=[TextMessage(text="one"), TextMessage(text="two")],
        )
    )
    rows = list(Message.objects.filter(friend=friend).order_by("id"))
    assert [(m.id, m.quote_token) for m in response.sent_messages] == [
        (row.public_id, row.quote_token) for row in rows[-2:]
    ]
    assert all(len(row.quote_token) == 22 for row in rows[-2:])
    assert rows[-1].quote_token != rows[-2].quote_token


# --- 5. media URLs are https:// only --------------------------------------------------


@pytest.mark.parametrize(
    "url", ["http://example.com/a.jpg", "/media/a.jpg", "//example.com/a.jpg"]
)
def test_image_urls_must_be_https(line, friend, unchanged, url):
    message = ImageMessage(
        original_content_url=url, preview_image_url="https://example.com/p.jpg"
    )
    request = PushMessageRequest(to=friend.line_user.user_id, messages=[message])
    exc = _refused(lambda: line.push_message(request))
    assert exc.status == 400
    assert _body(exc) == {
        "message": "The request body has 1 error(s)",
        "details": [
            {
                "message": "Must be a valid URL",
                "property": "messages[0].originalContentUrl",
            }
        ],
    }
    unchanged()


# --- 6. no 500s -----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["content", "content/preview", "content/transcoding"])
def test_content_of_a_non_ascii_digit_id_is_400(live_server, token, path):
    response = _raw(live_server, token, "GET", f"/v2/bot/message/%C2%B3/{path}", None)
    assert response.status_code == 400
    assert response.json() == {
        "message": "The value for the 'messageId' parameter is invalid"
    }


@pytest.mark.parametrize("kind", ["{}", "[]", "1"])
@pytest.mark.parametrize(
    "path", [f"/v2/bot/message/{s}" for s in SENDS + [f"validate/{s}" for s in SENDS]]
)
def test_message_type_that_is_no_string(
    live_server, token, friend, unchanged, path, kind
):
    user_id = friend.line_user.user_id
    head = {
        "/v2/bot/message/push": f'"to":"{user_id}",',
        "/v2/bot/message/multicast": f'"to":["{user_id}"],',
        "/v2/bot/message/reply": f'"replyToken":"{"0" * 32}",',
    }.get(path, "")
    raw = "{" + head + '"messages":[{"type":' + kind + ',"text":"x"}]}'
    response = _raw(live_server, token, "POST", path, raw)
    assert response.status_code == 400
    column = raw.index('"type":') + len('"type":') + 1
    assert response.json() == {
        "message": "The property, 'messages[0].type', in the request body is "
        f"invalid (line: 1, column: {column})"
    }
    unchanged()
