"""Stickers through the SDK (issue 16 #5): LINE's 400 outside the sendable
list, our own drawing for those inside it."""

import json

import pytest
from linebot.v3.messaging import PushMessageRequest, StickerMessage
from linebot.v3.messaging.exceptions import ApiException

from messaging.store.stickers import STICKERS, sticker_svg
from messaging.store.validators import STICKER_INVALID
from tests.unchanged import Snapshot


@pytest.mark.django_db
def test_push_of_an_unsendable_sticker_answers_lines_400(line, friend):
    before = Snapshot.take()
    with pytest.raises(ApiException) as raised:
        line.push_message(
            PushMessageRequest(
                to=friend.line_user.user_id,
                messages=[StickerMessage(package_id="446", sticker_id="2028")],
            )
        )
    assert raised.value.status == 400
    assert json.loads(raised.value.body) == {
        "message": "The request body has 1 error(s)",
        "details": [{"message": STICKER_INVALID, "property": "messages[0]"}],
    }
    before.assert_same()


@pytest.mark.django_db
def test_push_of_a_sendable_sticker_is_drawn_with_our_artwork(line, friend, client):
    line.push_message(
        PushMessageRequest(
            to=friend.line_user.user_id,
            messages=[StickerMessage(package_id="11537", sticker_id="52002734")],
        )
    )
    response = client.get("/stickers/11537/52002734.svg")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response["Cache-Control"] == "public, max-age=86400"
    body = response.content.decode()
    assert body == sticker_svg(STICKERS["52002734"])
    assert body.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    assert "<image" not in body and "href" not in body  # drawn, nothing fetched


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/stickers/446/2028.svg",
        "/stickers/446/10855.svg",
        "/stickers/lineoa-1/1.svg",
        "/stickers/x/y.svg",
    ],
)
def test_no_drawing_outside_lines_list(client, path):
    assert client.get(path).status_code == 404
