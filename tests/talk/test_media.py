"""The customer sends a video or an audio file from the talk room."""

import pytest

from messaging.store.models import Message
from messaging.webhooks.models import WebhookDelivery
from talk import services
from tests.htmlquery import parse
from tests.talk.factories import (
    MP3,
    mp4_bytes,
    talk_client,
    upload,
)
from tests.unchanged import assert_unchanged

pytestmark = pytest.mark.django_db

FETCH = {"HTTP_X_REQUESTED_WITH": "fetch"}


def _send(client, friend, data: bytes, name: str, content_type: str):
    return client.post(
        f"/talk/rooms/{friend.pk}/send",
        {"kind": "image", "image": upload(data, name, content_type)},
        **FETCH,
    )


@pytest.mark.parametrize(
    ("data", "name", "kind", "ext", "duration"),
    [
        (mp4_bytes(12_345), "clip.mp4", "video", "mp4", 12_345),
        (mp4_bytes(61_000, brand=b"M4A "), "voice.m4a", "audio", "m4a", 61_000),
        (MP3, "song.mp3", "audio", "mp3", None),
    ],
)
def test_video_and_audio_reach_room_inbox_and_webhook(
    webhook_friend, data, name, kind, ext, duration
):
    # when Hanako picks a video or audio file in the room
    response = _send(
        talk_client(webhook_friend.line_user),
        webhook_friend,
        data,
        name,
        "application/octet-stream",
    )
    # then it is stored as LINE's message with its file as the content
    assert response.status_code == 200
    message = Message.objects.get(pk=response.json()["id"])
    assert message.type == kind
    expected = {"type": kind, "contentProvider": {"type": "line"}}
    if duration is not None:
        expected["duration"] = duration
    assert message.payload == expected
    assert message.content.name.endswith("." + ext)
    # and the bot gets LINE's event shape
    [event] = WebhookDelivery.objects.get().payload["events"]
    content = event["message"]
    assert content["type"] == kind
    assert content["contentProvider"] == {"type": "line"}
    assert content.get("duration") == duration
    # and the room plays it from the stored file
    client = talk_client(webhook_friend.line_user)
    room = parse(client.get(f"/talk/rooms/{webhook_friend.pk}/").content.decode())
    [player] = room.cssselect(f".msg.mine {kind}")
    assert player.get("src").startswith(message.content.url + "?s=")
    # the signed URL serves the file; the bare path does not
    assert client.get(player.get("src")).status_code == 200
    assert client.get(message.content.url).status_code == 404


def test_oversized_media_is_refused_and_nothing_is_written(webhook_friend, monkeypatch):
    # given the 200 MB limit (lowered for the test's small file)
    monkeypatch.setattr(services, "MEDIA_MAX_BYTES", 100)
    client = talk_client(webhook_friend.line_user)
    # when Hanako sends a larger video
    with assert_unchanged():
        response = _send(client, webhook_friend, mp4_bytes(), "big.mp4", "video/mp4")
    # then she is told and nothing is stored or sent
    assert response.status_code == 400
    assert response.json() == {"error": "A video or audio file can be at most 200 MB."}
    assert not Message.objects.filter(direction="in").exists()
    assert not WebhookDelivery.objects.exists()


def test_a_file_that_is_neither_photo_nor_media_is_refused(webhook_friend):
    client = talk_client(webhook_friend.line_user)
    with assert_unchanged():
        response = _send(
            client, webhook_friend, b"%PDF-1.4 hello", "doc.pdf", "video/mp4"
        )
    assert response.status_code == 400
