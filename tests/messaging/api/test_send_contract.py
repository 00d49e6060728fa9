"""Sending through the real line-bot-sdk v3 client against a live server."""

import json
import uuid

import pytest
from django.utils import timezone
from freezegun import freeze_time
from linebot.v3.messaging import (
    ApiException,
    BroadcastRequest,
    ButtonsTemplate,
    FlexBox,
    FlexBubble,
    FlexMessage,
    FlexText,
    MessageAction,
    MulticastRequest,
    NarrowcastRequest,
    PostbackAction,
    PushMessageRequest,
    QuickReply,
    QuickReplyItem,
    ReplyMessageRequest,
    StickerMessage,
    TemplateMessage,
    TextMessage,
    ValidateMessageRequest,
)

from accounts import quota
from accounts.models import MonthlyUsage, OfficialAccount
from accounts.services import account_quota_override_set, account_suspend
from chat.inbound import customer_block
from messaging.api.models import RetryKey
from messaging.broadcasts.models import Broadcast, Delivery
from messaging.friends.models import Friend
from messaging.store.models import Message
from messaging.webhooks.models import ReplyToken
from tests.messaging.api.factories import customer
from tests.unchanged import assert_unchanged

pytestmark = pytest.mark.django_db(transaction=True)


def _usage(account: OfficialAccount) -> MonthlyUsage:
    return quota.usage_get(account=account)


def _body(exc: ApiException) -> dict:
    return json.loads(exc.body)


def _sent(friend: Friend, source: str) -> list[Message]:
    return list(Message.objects.filter(friend=friend, source=source).order_by("id"))


def test_push_reaches_the_talk_room_and_counts_one_message(line, account, friend):
    # when a bot pushes two bubbles
    response = line.push_message_with_http_info(
        PushMessageRequest(
            to=friend.line_user.user_id,
            messages=[
                TextMessage(text="Your table is ready"),
                StickerMessage(package_id="446", sticker_id="1988"),
            ],
        )
    )
    # then both are in the talk room, in order, with the IDs the SDK got
    assert response.status_code == 200
    uuid.UUID(response.headers["x-line-request-id"])
    rows = _sent(friend, Message.Source.API_PUSH)
    assert [m.id for m in response.data.sent_messages] == [r.public_id for r in rows]
    assert [r.payload for r in rows] == [
        {"type": "text", "text": "Your table is ready"},
        {"type": "sticker", "packageId": "446", "stickerId": "1988"},
    ]
    assert [r.text for r in rows] == ["Your table is ready", "[Sticker]"]
    # and one message of quota is used (LINE counts per recipient)
    assert _usage(account).used == 1


def test_push_with_template_flex_and_quick_reply_is_stored_as_sent(line, friend):
    template = TemplateMessage(
        alt_text="Confirm",
        template=ButtonsTemplate(
            text="Book a table?",
            actions=[
                PostbackAction(label="Yes", data="book=yes", display_text="Yes"),
                MessageAction(label="No", text="no"),
            ],
        ),
        quick_reply=QuickReply(
            items=[QuickReplyItem(action=MessageAction(label="Menu", text="menu"))]
        ),
    )
    flex = FlexMessage(
        alt_text="Menu",
        contents=FlexBubble(
            body=FlexBox(layout="vertical", contents=[FlexText(text="Coffee ¥400")])
        ),
    )
    line.push_message(
        PushMessageRequest(to=friend.line_user.user_id, messages=[template, flex])
    )
    rows = _sent(friend, Message.Source.API_PUSH)
    assert [(r.type, r.text) for r in rows] == [
        ("template", "Confirm"),
        ("flex", "Menu"),
    ]
    assert rows[0].payload["quickReply"]["items"][0]["action"]["text"] == "menu"
    assert rows[1].payload["contents"]["body"]["contents"][0]["text"] == "Coffee ¥400"


def test_push_to_an_unknown_user_fails_and_costs_nothing(line, account, unchanged):
    with assert_unchanged(), pytest.raises(ApiException) as excinfo:
        line.push_message(
            PushMessageRequest(to="U" + "0" * 32, messages=[TextMessage(text="hi")])
        )
    assert excinfo.value.status == 400
    assert _body(excinfo.value) == {"message": "Failed to send messages"}
    unchanged()


def test_push_to_a_blocked_friend_succeeds_but_delivers_nothing(line, account, friend):
    customer_block(friend=friend)
    response = line.push_message(
        PushMessageRequest(
            to=friend.line_user.user_id, messages=[TextMessage(text="x")]
        )
    )
    assert len(response.sent_messages) == 1
    assert _sent(friend, Message.Source.API_PUSH) == []
    assert _usage(account).used == 0


def test_push_past_the_monthly_limit_is_429(line, account, friend):
    # given the month's limit is already used up
    account_quota_override_set(account=account, actor=None, limit=1)
    quota.quota_consume(account=account, count=1)
    unchanged_now = _usage(account).used
    # when
    with assert_unchanged(), pytest.raises(ApiException) as excinfo:
        line.push_message(
            PushMessageRequest(
                to=friend.line_user.user_id, messages=[TextMessage(text="x")]
            )
        )
    # then
    assert excinfo.value.status == 429
    assert _body(excinfo.value) == {"message": "You have reached your monthly limit."}
    assert _sent(friend, Message.Source.API_PUSH) == []
    assert _usage(account).used == unchanged_now


def test_push_of_a_suspended_account_is_403(line, account, friend):
    account_suspend(account=account, actor=None, reason="abuse")
    with assert_unchanged(), pytest.raises(ApiException) as excinfo:
        line.push_message(
            PushMessageRequest(
                to=friend.line_user.user_id, messages=[TextMessage(text="x")]
            )
        )
    assert excinfo.value.status == 403
    assert _body(excinfo.value) == {
        "message": "Access to this API is not available for your account"
    }
    assert _sent(friend, Message.Source.API_PUSH) == []


def test_push_retry_key_repeat_is_409_with_original_ids(line, account, friend):
    # given a push accepted with a retry key
    key = str(uuid.uuid4())
    request = PushMessageRequest(
        to=friend.line_user.user_id, messages=[TextMessage(text="once")]
    )
    first = line.push_message_with_http_info(request, x_line_retry_key=key)
    # when the bot retries with the same key
    with assert_unchanged(), pytest.raises(ApiException) as excinfo:
        line.push_message_with_http_info(request, x_line_retry_key=key)
    # then it gets 409 naming the accepted request, and the same message IDs
    exc = excinfo.value
    assert exc.status == 409
    assert (
        exc.headers["x-line-accepted-request-id"] == first.headers["x-line-request-id"]
    )
    assert exc.headers["x-line-request-id"] != first.headers["x-line-request-id"]
    assert _body(exc) == {
        "message": "The retry key is already accepted",
        "sentMessages": [
            {
                "id": first.data.sent_messages[0].id,
                "quoteToken": first.data.sent_messages[0].quote_token,
            }
        ],
    }
    # and the customer got the message once, counted once
    assert len(_sent(friend, Message.Source.API_PUSH)) == 1
    assert _usage(account).used == 1


def test_retry_key_is_valid_for_24_hours(line, account, friend):
    key = str(uuid.uuid4())
    request = PushMessageRequest(
        to=friend.line_user.user_id, messages=[TextMessage(text="x")]
    )
    line.push_message(request, x_line_retry_key=key)
    RetryKey.objects.update(created_at=timezone.now() - timezone.timedelta(hours=25))
    line.push_message(request, x_line_retry_key=key)
    assert len(_sent(friend, Message.Source.API_PUSH)) == 2


def test_a_failed_request_does_not_use_up_its_retry_key(line, account, friend):
    key = str(uuid.uuid4())
    account_suspend(account=account, actor=None, reason="abuse")
    request = PushMessageRequest(
        to=friend.line_user.user_id, messages=[TextMessage(text="x")]
    )
    with assert_unchanged(), pytest.raises(ApiException):
        line.push_message(request, x_line_retry_key=key)
    assert not RetryKey.objects.exists()


def test_reply_with_the_token_of_a_webhook_event(
    line, account, friend, webhook_on, bot
):
    # given the customer wrote and the bot got a reply token
    from chat.inbound import customer_message_send

    customer_message_send(friend=friend, message={"type": "text", "text": "menu?"})
    event = json.loads(bot.get().body)["events"][0]
    # when the bot replies with it
    response = line.reply_message_with_http_info(
        ReplyMessageRequest(
            reply_token=event["replyToken"], messages=[TextMessage(text="Here")]
        )
    )
    # then the reply is in the talk room, free of quota
    rows = _sent(friend, Message.Source.API_REPLY)
    assert [m.id for m in response.data.sent_messages] == [r.public_id for r in rows]
    assert rows[0].payload == {"type": "text", "text": "Here"}
    assert _usage(account).used == 0
    # and the token cannot be used twice
    with assert_unchanged(), pytest.raises(ApiException) as excinfo:
        line.reply_message(
            ReplyMessageRequest(
                reply_token=event["replyToken"], messages=[TextMessage(text="Again")]
            )
        )
    assert excinfo.value.status == 400
    assert _body(excinfo.value) == {"message": "Invalid reply token"}
    assert len(_sent(friend, Message.Source.API_REPLY)) == 1


def test_reply_token_expires_after_a_minute(line, friend, webhook_on, bot):
    from chat.inbound import customer_message_send

    with freeze_time(timezone.now()) as frozen:
        customer_message_send(friend=friend, message={"type": "text", "text": "hi"})
        token = json.loads(bot.get().body)["events"][0]["replyToken"]
        frozen.tick(61)
        with assert_unchanged(), pytest.raises(ApiException) as excinfo:
            line.reply_message(
                ReplyMessageRequest(reply_token=token, messages=[TextMessage(text="x")])
            )
    assert excinfo.value.status == 400
    assert _body(excinfo.value) == {"message": "Invalid reply token"}
    assert ReplyToken.objects.get(token=token).used_at is None
    assert _sent(friend, Message.Source.API_REPLY) == []


def test_reply_token_of_another_account_is_invalid(
    live_server, other_token, friend, webhook_on, bot
):
    from chat.inbound import customer_message_send
    from tests.messaging.api.factories import sdk_apis, sdk_client

    customer_message_send(friend=friend, message={"type": "text", "text": "hi"})
    token = json.loads(bot.get().body)["events"][0]["replyToken"]
    with sdk_client(live_server.url, other_token) as client:
        other = sdk_apis(client)[0]
        with assert_unchanged(), pytest.raises(ApiException) as excinfo:
            other.reply_message(
                ReplyMessageRequest(reply_token=token, messages=[TextMessage(text="x")])
            )
    assert excinfo.value.status == 400
    assert _sent(friend, Message.Source.API_REPLY) == []


def test_multicast_reaches_friends_only_and_counts_them(line, account, friend):
    # given two friends, one who blocked the account, and an unknown user
    other = customer(account, display_name="Taro")
    blocked = customer(account, display_name="Jiro")
    customer_block(friend=blocked)
    to = [friend.line_user.user_id, other.line_user.user_id, blocked.line_user.user_id]
    to.append("U" + "f" * 32)
    # when
    response = line.multicast_with_http_info(
        MulticastRequest(to=to, messages=[TextMessage(text="Sale today")])
    )
    # then
    assert response.status_code == 200
    assert response.data == {}
    assert [
        len(_sent(f, Message.Source.API_MULTICAST)) for f in (friend, other, blocked)
    ] == [1, 1, 0]
    assert _usage(account).used == 2


def test_multicast_retry_key_repeat_is_409(line, account, friend):
    key = str(uuid.uuid4())
    request = MulticastRequest(
        to=[friend.line_user.user_id], messages=[TextMessage(text="x")]
    )
    first = line.multicast_with_http_info(request, x_line_retry_key=key)
    with assert_unchanged(), pytest.raises(ApiException) as excinfo:
        line.multicast(request, x_line_retry_key=key)
    assert excinfo.value.status == 409
    assert _body(excinfo.value) == {"message": "The retry key is already accepted"}
    assert (
        excinfo.value.headers["x-line-accepted-request-id"]
        == first.headers["x-line-request-id"]
    )
    assert _usage(account).used == 1


def test_broadcast_reaches_every_following_friend(line, account, friend):
    other = customer(account, display_name="Taro")
    blocked = customer(account, display_name="Jiro")
    customer_block(friend=blocked)
    response = line.broadcast_with_http_info(
        BroadcastRequest(messages=[TextMessage(text="Open today")])
    )
    assert response.status_code == 200
    assert response.data == {}
    assert [
        len(_sent(f, Message.Source.API_BROADCAST)) for f in (friend, other, blocked)
    ] == [1, 1, 0]
    usage = _usage(account)
    assert (usage.used, usage.reserved) == (2, 0)
    sent = Broadcast.objects.get(account=account)
    assert (sent.origin, sent.status, sent.sent_count) == ("api_broadcast", "sent", 2)
    assert sent.request_id == response.headers["x-line-request-id"]
    # the one engine's ledger: a row per recipient, the blocked one skipped
    assert set(
        Delivery.objects.filter(broadcast=sent).values_list("friend_id", "status")
    ) == {(friend.pk, "sent"), (other.pk, "sent"), (blocked.pk, "blocked")}


def test_narrowcast_is_202_and_its_progress_reports_the_counts(line, account, friend):
    other = customer(account, display_name="Taro")
    response = line.narrowcast_with_http_info(
        NarrowcastRequest(messages=[TextMessage(text="Members only")])
    )
    assert response.status_code == 202
    request_id = response.headers["x-line-request-id"]
    progress = line.get_narrowcast_progress(request_id)
    assert progress.phase == "succeeded"
    assert (progress.success_count, progress.failure_count, progress.target_count) == (
        2,
        0,
        2,
    )
    assert progress.accepted_time <= progress.completed_time
    assert progress.error_code is None
    assert [len(_sent(f, Message.Source.API_NARROWCAST)) for f in (friend, other)] == [
        1,
        1,
    ]
    assert _usage(account).used == 2


def test_narrowcast_progress_of_an_unknown_request_is_404(line):
    with assert_unchanged(), pytest.raises(ApiException) as excinfo:
        line.get_narrowcast_progress(str(uuid.uuid4()))
    assert excinfo.value.status == 404
    assert _body(excinfo.value) == {"message": "Not found"}


@pytest.mark.parametrize(
    "method",
    [
        "validate_reply",
        "validate_push",
        "validate_multicast",
        "validate_narrowcast",
        "validate_broadcast",
    ],
)
def test_validate_endpoints_accept_good_and_refuse_bad_messages(
    line, method, unchanged
):
    call = getattr(line, f"{method}_with_http_info")
    ok = call(ValidateMessageRequest(messages=[TextMessage(text="fine")]))
    assert ok.status_code == 200
    with assert_unchanged(), pytest.raises(ApiException) as excinfo:
        call(ValidateMessageRequest(messages=[TextMessage(text="x" * 5001)]))
    assert excinfo.value.status == 400
    assert _body(excinfo.value) == {
        "message": "The request body has 1 error(s)",
        "details": [
            {
                "message": "Length must be between 0 and 5000",
                "property": "messages[0].text",
            }
        ],
    }
    unchanged()
