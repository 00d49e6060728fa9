"""Taps in a talk room: postbacks, pickers, locations, quick replies."""

import pytest

from chat.inbound import customer_block
from messaging.store.models import Message
from messaging.store.services import messages_send
from messaging.webhooks.models import WebhookDelivery
from tests.htmlquery import parse
from tests.talk.factories import befriend, make_persona, talk_client
from tests.unchanged import assert_unchanged

pytestmark = pytest.mark.django_db

FETCH = {"HTTP_X_REQUESTED_WITH": "fetch"}


@pytest.fixture
def client(webhook_friend):
    return talk_client(webhook_friend.line_user)


def _send(client, friend, **data):
    return client.post(f"/talk/rooms/{friend.pk}/send", data, **FETCH)


def _state(friend):
    return (
        list(Message.objects.filter(friend=friend).values_list("id", flat=True)),
        WebhookDelivery.objects.count(),
    )


def test_picker_value_becomes_postback_params(client, webhook_friend):
    response = _send(
        client, webhook_friend, kind="postback", data="pick", mode="time", value="18:30"
    )
    assert response.status_code == 200
    assert response.json() == {"id": None}
    [event] = WebhookDelivery.objects.get().payload["events"]
    assert event["postback"] == {"data": "pick", "params": {"time": "18:30"}}


@pytest.mark.parametrize(
    "data",
    [
        {"kind": "postback", "data": "pick", "mode": "date", "value": "24/12/2026"},
        {"kind": "postback", "data": "pick", "mode": "week", "value": "2026-W52"},
        {"kind": "postback", "data": "x" * 301},
        {"kind": "location", "address": "", "latitude": "35", "longitude": "139"},
        {"kind": "location", "address": "Tokyo", "latitude": "95", "longitude": "1"},
        {"kind": "location", "address": "Tokyo", "latitude": "x", "longitude": "1"},
    ],
)
def test_bad_taps_are_refused_with_a_message_and_change_nothing(
    client, webhook_friend, data
):
    before = _state(webhook_friend)
    with assert_unchanged():
        response = _send(client, webhook_friend, **data)
    assert response.status_code == 400
    assert response.json()["error"]
    assert _state(webhook_friend) == before


def test_postback_in_a_blocked_room_says_why_and_changes_nothing(
    client, webhook_friend
):
    # given Hanako blocked the account, its Flex bubble still on screen
    customer_block(friend=webhook_friend)
    before = _state(webhook_friend)
    # when she taps its postback button
    with assert_unchanged():
        response = _send(
            client,
            webhook_friend,
            kind="postback",
            data="reserve",
            display_text="Reserve",
        )
    # then she is told, and nothing is stored or sent
    assert response.status_code == 400
    assert response.json() == {"error": "Unblock this account to send it messages."}
    assert _state(webhook_friend) == before
    # and without JavaScript the room shows the same message
    response = client.post(
        f"/talk/rooms/{webhook_friend.pk}/send", {"kind": "postback", "data": "x"}
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Unblock this account to send it messages." in page


def test_location_is_sent_as_a_location_message(client, webhook_friend):
    response = _send(
        client,
        webhook_friend,
        kind="location",
        title="",
        address="1-2-3 Shibuya",
        latitude="35.658",
        longitude="139.7016",
    )
    assert response.status_code == 200
    message = Message.objects.get(pk=response.json()["id"])
    assert message.payload == {
        "type": "location",
        "title": "1-2-3 Shibuya",
        "address": "1-2-3 Shibuya",
        "latitude": 35.658,
        "longitude": 139.7016,
    }
    [event] = WebhookDelivery.objects.get().payload["events"]
    assert event["message"]["type"] == "location"
    assert event["message"]["latitude"] == 35.658


def test_quick_reply_chips_show_until_a_newer_message(client, webhook_friend):
    # given the account sent a question with 13 quick replies
    items = [
        {"type": "action", "action": {"type": "message", "label": f"A{i}", "text": "a"}}
        for i in range(13)
    ]
    [question] = messages_send(
        account=webhook_friend.account,
        friends=[webhook_friend],
        messages=[{"type": "text", "text": "Pick", "quickReply": {"items": items}}],
        source=Message.Source.CHAT,
    )
    # then the room shows 13 chips above the input
    page = parse(client.get(f"/talk/rooms/{webhook_friend.pk}/").content.decode())
    assert len(page.cssselect("#talk-quick [data-chip]")) == 13
    live = client.get(
        f"/talk/rooms/{webhook_friend.pk}/messages?after={question.pk - 1}"
    )
    assert live.json()["quick_reply"].count("data-chip") == 13
    # when she answers
    _send(client, webhook_friend, text="A1")
    # then the chips are gone, on the page and in the live update
    page = parse(client.get(f"/talk/rooms/{webhook_friend.pk}/").content.decode())
    assert page.cssselect("#talk-quick [data-chip]") == []
    live = client.get(f"/talk/rooms/{webhook_friend.pk}/messages?after={question.pk}")
    assert live.json()["quick_reply"] == ""
    # and a poll with nothing new leaves them as they are
    last = Message.objects.latest("id").pk
    assert (
        "quick_reply"
        not in client.get(
            f"/talk/rooms/{webhook_friend.pk}/messages?after={last}"
        ).json()
    )


def _video(friend, **extra):
    [row] = messages_send(
        account=friend.account,
        friends=[friend],
        messages=[
            {
                "type": "video",
                "originalContentUrl": "https://cdn.example/v.mp4",
                "previewImageUrl": "https://cdn.example/v.jpg",
                **extra,
            }
        ],
        source=Message.Source.CHAT,
    )
    return row


def test_watching_a_tracked_video_to_the_end_tells_the_bot(client, webhook_friend):
    # given the account sent a video with a trackingId
    video = _video(webhook_friend, trackingId="spring-promo")
    page = parse(client.get(f"/talk/rooms/{webhook_friend.pk}/").content.decode())
    assert page.cssselect("video[data-tracked]")
    # when the talk app played it to the end
    response = client.post(
        f"/talk/rooms/{webhook_friend.pk}/watched", {"message_id": video.pk}, **FETCH
    )
    # then the bot gets videoPlayComplete with the trackingId
    assert response.json() == {"sent": True}
    [event] = WebhookDelivery.objects.get().payload["events"]
    assert event["type"] == "videoPlayComplete"
    assert event["videoPlayComplete"] == {"trackingId": "spring-promo"}
    assert event["replyToken"]


def test_untracked_or_foreign_videos_send_nothing(client, webhook_friend, account):
    untracked = _video(webhook_friend)
    other = befriend(account, make_persona("Ken"))
    theirs = _video(other, trackingId="t1")
    for message_id in (untracked.pk, theirs.pk, "x", 99999999):
        response = client.post(
            f"/talk/rooms/{webhook_friend.pk}/watched",
            {"message_id": message_id},
            **FETCH,
        )
        assert response.json() == {"sent": False}
    assert not WebhookDelivery.objects.filter(event_types="videoPlayComplete").exists()


def test_a_bad_location_names_the_field(client, webhook_friend):
    response = _send(
        client,
        webhook_friend,
        kind="location",
        address="Tokyo",
        latitude="95",
        longitude="1",
    )
    assert response.json() == {
        "error": "Latitude: Ensure this value is less than or equal to 90."
    }
