"""Reads and settings through the real SDK: quota, statistics, profile,
followers, bot info, webhook settings, content, loading, mark as read."""

import datetime as dt
import json
import uuid

import pytest
import requests
from django.core.files.base import ContentFile
from django.utils import timezone
from freezegun import freeze_time
from linebot.v3.messaging import (
    ApiException,
    MarkMessagesAsReadByTokenRequest,
    PushMessageRequest,
    SetWebhookEndpointRequest,
    ShowLoadingAnimationRequest,
    TextMessage,
)
from linebot.v3.messaging import (
    TestWebhookEndpointRequest as WebhookTestRequest,
)

from accounts import quota
from accounts.models import OfficialAccount
from chat.inbound import customer_block, customer_message_send
from core.events import line_user_group
from messaging.store.models import Message
from messaging.webhooks.models import WebhookDelivery
from tests.messaging.api.factories import customer, sdk_apis, sdk_client
from tests.talk.factories import mp4_bytes
from tests.unchanged import assert_unchanged

pytestmark = pytest.mark.django_db(transaction=True)

JST = dt.timezone(dt.timedelta(hours=9))
PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 64


def _body(exc: ApiException) -> dict:
    return json.loads(exc.body)


@pytest.fixture
def verified(account):
    # The badge is set by operators in Django admin; there is no service.
    OfficialAccount.objects.filter(pk=account.pk).update(
        badge=OfficialAccount.Badge.VERIFIED
    )
    account.badge = OfficialAccount.Badge.VERIFIED
    return account


@pytest.fixture
def other_line(live_server, other_token):
    with sdk_client(live_server.url, other_token) as client:
        yield sdk_apis(client)


def test_quota_and_consumption(line, account, friend):
    quota.quota_consume(account=account, count=3)
    limit = line.get_message_quota_with_http_info()
    assert limit.data.type == "limited"
    assert limit.data.value == 5000  # the Light plan
    uuid.UUID(limit.headers["x-line-request-id"])
    assert line.get_message_quota_consumption().total_usage == 3


def test_delivery_counts_are_ready_the_next_day(line, account, friend):
    today = timezone.now().astimezone(JST).date()
    line.push_message(
        PushMessageRequest(
            to=friend.line_user.user_id,
            messages=[TextMessage(text="a"), TextMessage(text="b")],
        )
    )
    day = today.strftime("%Y%m%d")
    assert line.get_number_of_sent_push_messages(day).status == "unready"
    tomorrow = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(9), tzinfo=JST)
    with freeze_time(tomorrow):
        push = line.get_number_of_sent_push_messages(day)
        reply = line.get_number_of_sent_reply_messages(day)
        multicast = line.get_number_of_sent_multicast_messages(day)
        broadcast = line.get_number_of_sent_broadcast_messages(day)
    assert (push.status, push.success) == ("ready", 2)
    assert (reply.status, reply.success) == ("ready", 0)
    assert multicast.success == 0 and broadcast.success == 0
    assert line.get_number_of_sent_push_messages("20180101").status == "out_of_service"


def test_delivery_count_with_a_bad_date_is_400(line):
    with pytest.raises(ApiException) as excinfo:
        line.get_number_of_sent_push_messages("2026-01-01")
    assert excinfo.value.status == 400
    assert _body(excinfo.value) == {
        "message": "The value for the 'date' parameter is invalid"
    }


def test_profile_of_a_following_friend(line, friend):
    response = line.get_profile_with_http_info(friend.line_user.user_id)
    assert response.data.display_name == "Hanako"
    assert response.data.user_id == friend.line_user.user_id
    assert response.data.language == "ja"
    uuid.UUID(response.headers["x-line-request-id"])


@pytest.mark.parametrize("case", ["blocked", "unknown", "other account"])
def test_profile_is_404_unless_a_following_friend(line, account, other_account, case):
    if case == "blocked":
        target = customer(account)
        customer_block(friend=target)
        user_id = target.line_user.user_id
    elif case == "other account":
        user_id = customer(other_account).line_user.user_id
    else:
        user_id = "U" + "9" * 32
    with pytest.raises(ApiException) as excinfo:
        line.get_profile(user_id)
    assert excinfo.value.status == 404
    assert _body(excinfo.value) == {"message": "Not found"}


def test_followers_page_through_following_friends(line, verified):
    friends = [customer(verified) for _i in range(5)]
    customer_block(friend=friends[2])
    first = line.get_followers(limit=2)
    assert first.user_ids == [f.line_user.user_id for f in friends[:2]]
    second = line.get_followers(start=first.next, limit=2)
    assert second.user_ids == [
        friends[3].line_user.user_id,
        friends[4].line_user.user_id,
    ]
    assert second.next is None
    assert line.get_followers().user_ids == [
        f.line_user.user_id for f in friends if f is not friends[2]
    ]


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("limit=1001", "limit"),
        ("limit=0", "limit"),
        ("limit=x", "limit"),
        ("start=%25%25", "start"),
    ],
)
def test_followers_bad_paging_is_400(live_server, token, verified, query, name):
    # The SDK refuses such limits itself; other clients reach the server.
    response = requests.get(
        f"{live_server.url}/v2/bot/followers/ids?{query}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )
    assert response.status_code == 400
    assert response.json() == {
        "message": f"The value for the '{name}' parameter is invalid"
    }


def test_followers_need_a_verified_account(line, account, friend):
    with pytest.raises(ApiException) as excinfo:
        line.get_followers()
    assert excinfo.value.status == 403
    assert _body(excinfo.value) == {
        "message": "Access to this API is not available for your account"
    }


def test_followers_of_another_account_are_not_listed(line, verified, other_account):
    customer(other_account)
    assert line.get_followers().user_ids == []


def test_bot_info(line, account):
    info = line.get_bot_info()
    assert info.user_id == account.bot_user_id
    assert info.basic_id == account.basic_id
    assert info.display_name == "Demo Café"
    assert (info.chat_mode, info.mark_as_read_mode) == ("chat", "manual")
    assert info.premium_id is None


def test_webhook_endpoint_set_get_and_test(line, account, bot):
    assert line.get_webhook_endpoint().endpoint == ""
    line.set_webhook_endpoint(SetWebhookEndpointRequest(endpoint=bot.url))
    endpoint = line.get_webhook_endpoint()
    assert (endpoint.endpoint, endpoint.active) == (bot.url, True)
    # when the bot's URL is tested
    result = line.test_webhook_endpoint(WebhookTestRequest())
    # then the bot received the empty-events check, signed
    received = bot.get()
    assert json.loads(received.body) == {
        "destination": account.bot_user_id,
        "events": [],
    }
    assert received.headers["x-line-signature"]
    assert (result.success, result.status_code, result.reason) == (True, 200, "OK")
    assert abs(result.timestamp - timezone.now()) < dt.timedelta(seconds=10)
    # and the check shows in the delivery log
    log = WebhookDelivery.objects.get(account=account)
    assert (log.is_test, log.status, log.last_status_code) == (True, "succeeded", 200)


def test_webhook_test_of_a_failing_bot(line, bot):
    bot.script.append((503, 0))
    result = line.test_webhook_endpoint(WebhookTestRequest(endpoint=bot.url))
    assert (result.success, result.status_code) == (False, 503)
    assert result.reason == "ERROR_STATUS_CODE"
    assert result.detail == "503 Service Unavailable"


def test_webhook_test_of_an_unreachable_url(line, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    result = line.test_webhook_endpoint(
        WebhookTestRequest(endpoint="http://127.0.0.1:9/nothing")
    )
    assert (result.success, result.status_code) == (False, 0)
    assert (result.reason, result.detail) == ("COULD_NOT_CONNECT", "Could not connect")


def test_webhook_test_without_a_url_is_400(line):
    with assert_unchanged(), pytest.raises(ApiException) as excinfo:
        line.test_webhook_endpoint(WebhookTestRequest())
    assert excinfo.value.status == 400
    assert _body(excinfo.value) == {"message": "The webhook endpoint URL is not set"}


@pytest.mark.parametrize("url", ["ftp://example.com/hook", "not a url"])
def test_set_webhook_endpoint_refuses_bad_urls(line, url):
    with assert_unchanged(), pytest.raises(ApiException) as excinfo:
        line.set_webhook_endpoint(SetWebhookEndpointRequest(endpoint=url))
    assert excinfo.value.status == 400
    assert _body(excinfo.value) == {
        "message": "The request body has 1 error(s)",
        "details": [{"message": "Invalid URL", "property": "endpoint"}],
    }
    assert line.get_webhook_endpoint().endpoint == ""


def _customer_photo(friend) -> Message:
    return customer_message_send(
        friend=friend,
        message={"type": "image", "contentProvider": {"type": "line"}},
        content=ContentFile(PNG, name="photo.png"),
        preview=ContentFile(PNG[:20], name="photo-preview.png"),
    )


def test_message_content_and_preview(line_blob, friend):
    photo = _customer_photo(friend)
    response = line_blob.get_message_content_with_http_info(photo.public_id)
    assert response.data == PNG
    assert response.headers["content-type"] == "image/png"
    uuid.UUID(response.headers["x-line-request-id"])
    assert line_blob.get_message_content_preview(photo.public_id) == PNG[:20]


@pytest.mark.parametrize(
    ("kind", "name", "content_type"),
    [("video", "clip.mp4", "video/mp4"), ("audio", "voice.m4a", "audio/mp4")],
)
def test_video_and_audio_content_with_their_type_and_transcoding(
    line_blob, friend, kind, name, content_type
):
    # given a customer sent a video or an audio file
    data = mp4_bytes(brand=b"M4A " if kind == "audio" else b"mp42")
    message = customer_message_send(
        friend=friend,
        message={"type": kind, "contentProvider": {"type": "line"}},
        content=ContentFile(data, name=name),
    )
    # then the bot can check it is ready and download it with its type
    status = line_blob.get_message_content_transcoding_by_message_id(message.public_id)
    assert status.status == "succeeded"
    response = line_blob.get_message_content_with_http_info(message.public_id)
    assert response.data == data
    assert response.headers["content-type"] == content_type


def test_transcoding_of_a_photo_is_404(line_blob, friend):
    photo = _customer_photo(friend)
    with pytest.raises(ApiException) as excinfo:
        line_blob.get_message_content_transcoding_by_message_id(photo.public_id)
    assert excinfo.value.status == 404


@pytest.mark.parametrize(
    "case", ["text message", "unknown", "other account", "internal key"]
)
def test_message_content_is_404_otherwise(line_blob, friend, other_line, case):
    photo = _customer_photo(friend)
    api, message_id = line_blob, photo.public_id
    if case == "text message":
        message_id = customer_message_send(
            friend=friend, message={"type": "text", "text": "hi"}
        ).public_id
    elif case == "unknown":
        message_id = "999999999"
    elif case == "internal key":  # only the public 18-digit ID names it
        message_id = str(photo.pk)
    else:
        api = other_line[1]
    with pytest.raises(ApiException) as excinfo:
        api.get_message_content(message_id)
    assert excinfo.value.status == 404
    assert json.loads(excinfo.value.body) == {"message": "Not found"}


def test_show_loading_animation(line, friend, events):
    """The bot's "…" goes to the customer's open talk room (talk.js draws
    it; tests/browser/test_talk.py watches it appear and go)."""
    response = line.show_loading_animation_with_http_info(
        ShowLoadingAnimationRequest(
            chat_id=friend.line_user.user_id, loading_seconds=10
        )
    )
    assert response.status_code == 202
    assert response.data == {}
    assert events(line_user_group(friend.line_user_id)) == [
        {"type": "loading.start", "friend_id": friend.pk, "seconds": 10}
    ]


@pytest.mark.parametrize(
    ("seconds", "chat", "expected"),
    [
        (
            7,
            "friend",
            {
                "message": "The request body has 1 error(s)",
                "details": [
                    {"message": "Must be a multiple of 5", "property": "loadingSeconds"}
                ],
            },
        ),
        (5, "unknown", {"message": "The chat was not found"}),
        (5, "other", {"message": "The chat was not found"}),
    ],
)
def test_show_loading_animation_refusals(
    line, friend, other_account, events, seconds, chat, expected
):
    stranger = customer(other_account)
    chat_id = {
        "friend": friend.line_user.user_id,
        "unknown": "U" + "7" * 32,
        "other": stranger.line_user.user_id,
    }[chat]
    with assert_unchanged(), pytest.raises(ApiException) as excinfo:
        line.show_loading_animation(
            ShowLoadingAnimationRequest(chat_id=chat_id, loading_seconds=seconds)
        )
    assert excinfo.value.status == 400
    assert _body(excinfo.value) == expected
    # and no talk room was told to show anything
    for line_user_id in (friend.line_user_id, stranger.line_user_id):
        assert events(line_user_group(line_user_id)) == []


def test_mark_as_read_by_token_from_the_webhook(line, friend, webhook_on, bot):
    # given two customer messages delivered to the bot
    first = customer_message_send(friend=friend, message={"type": "text", "text": "a"})
    bot.get()
    second = customer_message_send(friend=friend, message={"type": "text", "text": "b"})
    token = json.loads(bot.get().body)["events"][0]["message"]["markAsReadToken"]
    third = customer_message_send(friend=friend, message={"type": "text", "text": "c"})
    # when the bot marks the second one read
    response = line.mark_messages_as_read_by_token_with_http_info(
        MarkMessagesAsReadByTokenRequest(mark_as_read_token=token)
    )
    # then it and earlier ones show 既読, later ones do not
    assert response.status_code == 200
    read = dict(
        Message.objects.filter(pk__in=[first.pk, second.pk, third.pk]).values_list(
            "pk", "read_at"
        )
    )
    assert read[first.pk] is not None and read[second.pk] is not None
    assert read[third.pk] is None


def test_mark_as_read_with_a_forged_or_foreign_token(
    line, friend, other_line, webhook_on, bot
):
    customer_message_send(friend=friend, message={"type": "text", "text": "a"})
    token = json.loads(bot.get().body)["events"][0]["message"]["markAsReadToken"]
    for api, value in ((line, token + "x"), (other_line[0], token)):
        with assert_unchanged(), pytest.raises(ApiException) as excinfo:
            api.mark_messages_as_read_by_token(
                MarkMessagesAsReadByTokenRequest(mark_as_read_token=value)
            )
        assert excinfo.value.status == 400
        assert _body(excinfo.value) == {"message": "Invalid markAsReadToken"}
    assert Message.objects.get().read_at is None


def test_narrowcast_progress_of_another_account_is_404(line, other_line, friend):
    from linebot.v3.messaging import NarrowcastRequest

    response = line.narrowcast_with_http_info(
        NarrowcastRequest(messages=[TextMessage(text="x")])
    )
    with pytest.raises(ApiException) as excinfo:
        other_line[0].get_narrowcast_progress(response.headers["x-line-request-id"])
    assert excinfo.value.status == 404
