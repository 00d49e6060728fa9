"""Video and audio bubbles in the composer: uploads, checks, delivery."""

import io

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse

from core.exceptions import ApplicationError
from messaging.broadcasts.models import Broadcast
from messaging.store.bubbles import bubbles_clean
from messaging.store.models import BroadcastAsset, Message
from tests.messaging.broadcasts.helpers import png
from tests.talk.factories import MP3, mp4_bytes
from tests.unchanged import assert_unchanged

pytestmark = pytest.mark.django_db


def _file(data: bytes, name: str):
    out = io.BytesIO(data)
    out.name = name
    return out


def _upload(client, account, data, name, kind):
    return client.post(
        reverse("broadcasts:image-upload", args=[account.slug]),
        {"image": _file(data, name), "kind": kind},
    )


def test_video_poster_and_audio_uploads(alice_client, account):
    # when staff upload a video, its poster and an audio file
    video = _upload(alice_client, account, mp4_bytes(9_000), "clip.mp4", "video")
    poster = alice_client.post(
        reverse("broadcasts:image-upload", args=[account.slug]),
        {"image": png(640, 360), "kind": "image"},
    )
    audio = _upload(
        alice_client, account, mp4_bytes(61_000, brand=b"M4A "), "v.m4a", "audio"
    )
    # then each is stored for this account, with the audio's duration
    assert video.status_code == poster.status_code == audio.status_code == 200
    assert video.json()["originalContentUrl"].endswith("/original.mp4")
    assert video.json()["duration"] == 9_000
    assert audio.json()["originalContentUrl"].endswith("/original.m4a")
    assert audio.json()["duration"] == 61_000
    assert set(BroadcastAsset.objects.values_list("kind", flat=True)) == {
        "video",
        "image",
        "audio",
    }
    name = video.json()["originalContentUrl"].removeprefix("/media/")
    assert default_storage.exists(name)
    # and the bubbles made of them pass the composer's checks
    bubbles = [
        {
            "type": "video",
            "originalContentUrl": video.json()["originalContentUrl"],
            "previewImageUrl": poster.json()["previewImageUrl"],
        },
        {
            "type": "audio",
            "originalContentUrl": audio.json()["originalContentUrl"],
            "duration": 61_000,
        },
    ]
    assert bubbles_clean(account=account, messages=bubbles) == bubbles


@pytest.mark.parametrize(
    ("data", "name", "kind", "error"),
    [
        (MP3, "song.mp3", "video", "Choose an MP4 video."),
        (mp4_bytes(), "clip.mp4", "audio", "Choose an M4A or MP3 audio file."),
        (b"%PDF-1.4", "doc.pdf", "video", "Choose an MP4 video."),
    ],
)
def test_wrong_files_are_refused_and_nothing_is_stored(
    alice_client, account, data, name, kind, error
):
    response = _upload(alice_client, account, data, name, kind)
    assert response.status_code == 400
    assert response.json() == {"error": error}
    assert not BroadcastAsset.objects.exists()


def test_media_bubbles_must_use_the_accounts_own_uploads(account):
    with (
        assert_unchanged(),
        pytest.raises(ApplicationError, match="Upload the images again"),
    ):
        bubbles_clean(
            account=account,
            messages=[
                {
                    "type": "audio",
                    "originalContentUrl": "https://elsewhere.example/a.m4a",
                    "duration": 1000,
                }
            ],
        )


def test_a_video_bubble_previews_as_a_player_with_its_poster(alice_client, account):
    # given a broadcast with a video bubble
    video = _upload(alice_client, account, mp4_bytes(), "clip.mp4", "video").json()
    poster = alice_client.post(
        reverse("broadcasts:image-upload", args=[account.slug]),
        {"image": png(640, 360), "kind": "image"},
    ).json()
    bubble = {
        "type": "video",
        "originalContentUrl": video["originalContentUrl"],
        "previewImageUrl": poster["previewImageUrl"],
    }
    # when its preview is drawn
    preview = alice_client.post(
        reverse("broadcasts:bubbles-preview", args=[account.slug]),
        {"messages": [bubble]},
        content_type="application/json",
    ).json()["html"]
    # then it is a player with the poster
    assert f'src="{video["originalContentUrl"]}"' in preview
    assert f'poster="{poster["previewImageUrl"]}"' in preview
    assert not Message.objects.exists()
    assert not Broadcast.objects.exists()
