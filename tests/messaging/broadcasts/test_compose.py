"""Composing: bubbles, images and drafts; bad input changes nothing."""

import datetime as dt
import html
import json
import re

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.utils import timezone

from core.exceptions import ApplicationError
from messaging.broadcasts.compose import broadcast_copy, broadcast_delete
from messaging.broadcasts.control import (
    broadcast_cancel,
    broadcast_schedule,
    broadcast_send_now,
)
from messaging.broadcasts.models import Broadcast
from messaging.broadcasts.segments import segment_delete, segment_save
from messaging.store.assets import asset_upload
from messaging.store.models import BroadcastAsset
from tests.messaging.broadcasts.helpers import draft, png, text
from tests.unchanged import assert_unchanged


def test_draft_keeps_bubbles_audience_and_cap(account, alice, crowd):
    # when
    broadcast = draft(
        account,
        alice,
        messages=[
            text("Hi {Nickname} 🎉"),
            {"type": "sticker", "packageId": "446", "stickerId": "1990"},
        ],
        audience={"match": "all", "conditions": [{"type": "os", "values": ["ios"]}]},
        max_recipients=2,
    )
    # then
    broadcast.refresh_from_db()
    assert broadcast.status == Broadcast.Status.DRAFT
    assert broadcast.messages[0] == {"type": "text", "text": "Hi {Nickname} 🎉"}
    assert broadcast.audience == {
        "match": "all",
        "conditions": [{"type": "os", "values": ["ios"]}],
    }
    assert broadcast.max_recipients == 2


@pytest.mark.parametrize(
    ("messages", "error"),
    [
        ([], "Add at least one message bubble."),
        ([text("   ")], "Bubble 1: write some text."),
        ([text("a")] * 4, "A broadcast can have at most 3 bubbles."),
        (
            [text("a"), text("x" * 5001)],
            "Bubble 2: the text is 5,001 characters long; the limit is 5,000.",
        ),
        ([{"type": "location"}], "Bubble 1: choose a message type."),
        (
            [
                {
                    "type": "image",
                    "originalContentUrl": "https://evil.example/a.png",
                    "previewImageUrl": "https://evil.example/a.png",
                }
            ],
            "Upload the images again: an image is missing or not valid.",
        ),
        (
            [{"type": "sticker", "packageId": "446"}],
            "The bubbles are not valid: Bubble 1 · stickerId: fill this in",
        ),
        (
            [
                {
                    "type": "template",
                    "altText": "Menu",
                    "template": {
                        "type": "carousel",
                        "columns": [
                            {
                                "text": "Tart",
                                "actions": [
                                    {"type": "uri", "label": "", "uri": "https://"}
                                ],
                            }
                        ],
                    },
                }
            ],
            "The bubbles are not valid: Bubble 1 · card 1 · button 1 · label: "
            "fill this in; Bubble 1 · card 1 · button 1 · link: enter a link "
            "starting with https://",
        ),
    ],
)
def test_bad_bubbles_are_refused_and_nothing_is_saved(account, alice, messages, error):
    with assert_unchanged(), pytest.raises(ApplicationError) as excinfo:
        draft(account, alice, messages=messages)
    assert excinfo.value.message == error
    assert not Broadcast.objects.exists()


def test_emoji_count_as_two_characters_like_line(account, alice):
    """LINE counts UTF-16 units: 2,500 emoji fill the 5,000 limit."""
    draft(account, alice, messages=[text("😀" * 2500)])
    with assert_unchanged(), pytest.raises(ApplicationError):
        draft(account, alice, messages=[text("😀" * 2500 + "a")])


def test_image_upload_makes_preview_and_imagemap_sizes(account, alice):
    # when
    asset = asset_upload(
        account=account, actor=alice, upload=png(1200, 800), kind="imagemap"
    )
    # then
    folder = f"broadcasts/{asset.key}"
    assert asset.base_url == f"{settings.MEDIA_URL}{folder}"
    assert (asset.width, asset.height) == (1200, 800)
    for name in ("original.png", "preview.png", "240", "300", "460", "700", "1040"):
        assert default_storage.exists(f"{folder}/{name}"), name
    from PIL import Image

    with default_storage.open(f"{folder}/1040") as fh:
        assert Image.open(fh).size == (1040, 693)
    with default_storage.open(f"{folder}/preview.png") as fh:
        assert max(Image.open(fh).size) <= 480


@pytest.mark.parametrize(
    ("upload", "kind", "error"),
    [
        (lambda: _bytes(b"not an image at all"), "image", "not a valid"),
        (lambda: png(100, 100, "GIF"), "image", "Upload a JPEG/PNG image."),
        (lambda: png(1040, 2200), "imagemap", "at most twice as tall"),
        (lambda: png(100, 100), "imagemap", "at least 240 pixels wide"),
    ],
)
def test_bad_images_are_refused_and_nothing_is_stored(
    account, alice, upload, kind, error
):
    with assert_unchanged(), pytest.raises(ApplicationError) as excinfo:
        asset_upload(account=account, actor=alice, upload=upload(), kind=kind)
    assert error in excinfo.value.message
    assert not BroadcastAsset.objects.exists()
    assert not default_storage.exists("broadcasts")


def _bytes(data: bytes):
    import io

    out = io.BytesIO(data)
    out.name = "x.png"
    out.size = len(data)
    return out


def _imagemap(asset, actions):
    return {
        "type": "imagemap",
        "baseUrl": asset.base_url,
        "altText": "Autumn menu",
        "baseSize": {"width": 1040, "height": 1040},
        "actions": actions,
    }


def _area(x, y, w, h):
    return {"x": x, "y": y, "width": w, "height": h}


def test_rich_message_and_cards_are_stored_as_imagemap_and_carousel(account, alice):
    asset = asset_upload(account=account, actor=alice, upload=png(), kind="imagemap")
    card = asset_upload(account=account, actor=alice, upload=png(600, 400), kind="card")
    rich = _imagemap(
        asset,
        [
            {
                "type": "uri",
                "linkUri": "https://example.com/a",
                "area": _area(0, 0, 520, 1040),
            },
            {"type": "message", "text": "menu", "area": _area(520, 0, 520, 1040)},
        ],
    )
    column = {
        "thumbnailImageUrl": card.original_url,
        "title": "Latte",
        "text": "Autumn blend",
        "actions": [{"type": "uri", "label": "Order", "uri": "https://example.com/o"}],
    }
    cards = {
        "type": "template",
        "altText": "Menu",
        "template": {
            "type": "carousel",
            "columns": [column, dict(column, title="Mocha")],
        },
    }
    broadcast = draft(account, alice, messages=[rich, cards])
    assert [m["type"] for m in broadcast.messages] == ["imagemap", "template"]


def test_rich_message_limits(account, alice):
    asset = asset_upload(account=account, actor=alice, upload=png(), kind="imagemap")
    seven = [
        {"type": "message", "text": f"t{i}", "area": _area(i * 100, 0, 100, 100)}
        for i in range(7)
    ]
    with assert_unchanged(), pytest.raises(ApplicationError) as excinfo:
        draft(account, alice, messages=[_imagemap(asset, seven)])
    assert excinfo.value.message == "Bubble 1: a rich message has at most 6 tap areas."
    outside = [{"type": "message", "text": "x", "area": _area(1000, 0, 100, 100)}]
    with assert_unchanged(), pytest.raises(ApplicationError) as excinfo:
        draft(account, alice, messages=[_imagemap(asset, outside)])
    assert excinfo.value.message == "Bubble 1: a tap area lies outside the image."


def test_carousel_limits(account, alice):
    column = {"text": "x", "actions": [{"type": "message", "label": "a", "text": "a"}]}
    eleven = {
        "type": "template",
        "altText": "x",
        "template": {"type": "carousel", "columns": [column] * 11},
    }
    with assert_unchanged(), pytest.raises(ApplicationError) as excinfo:
        draft(account, alice, messages=[eleven])
    assert excinfo.value.message == "Bubble 1: add 1 to 10 cards."
    four_buttons = dict(column, actions=column["actions"] * 4)
    too_many = dict(eleven, template={"type": "carousel", "columns": [four_buttons]})
    with assert_unchanged(), pytest.raises(ApplicationError) as excinfo:
        draft(account, alice, messages=[too_many])
    assert excinfo.value.message == "Bubble 1: a card has at most 3 buttons."


def test_an_image_of_another_account_cannot_be_used(
    account, other_account, alice, charlie
):
    theirs = asset_upload(
        account=other_account, actor=charlie, upload=png(), kind="image"
    )
    image = {
        "type": "image",
        "originalContentUrl": theirs.original_url,
        "previewImageUrl": theirs.preview_url,
    }
    with assert_unchanged(), pytest.raises(ApplicationError):
        draft(account, alice, messages=[image])
    assert not Broadcast.objects.filter(account=account).exists()


def test_editing_a_broadcast_that_started_is_refused(account, alice, crowd):
    broadcast = draft(account, alice)
    broadcast_send_now(broadcast=broadcast, actor=alice)
    with assert_unchanged(), pytest.raises(ApplicationError) as excinfo:
        draft(account, alice, broadcast=broadcast, messages=[text("changed")])
    assert "can no longer be edited" in excinfo.value.message
    broadcast.refresh_from_db()
    assert broadcast.messages == [text("Hello {Nickname}")]


def test_drafts_can_be_copied_and_deleted_but_history_cannot(account, alice, crowd):
    broadcast = draft(account, alice)
    copy = broadcast_copy(broadcast=broadcast, actor=alice)
    assert (copy.title, copy.messages, copy.status) == (
        "Copy of Autumn sale",
        broadcast.messages,
        Broadcast.Status.DRAFT,
    )
    broadcast_delete(broadcast=copy, actor=alice)
    broadcast_send_now(broadcast=broadcast, actor=alice)
    with assert_unchanged(), pytest.raises(ApplicationError):
        broadcast_delete(broadcast=broadcast, actor=alice)
    assert list(Broadcast.objects.values_list("pk", flat=True)) == [broadcast.pk]


def test_a_stored_draft_comes_back_to_the_form_unchanged(account, alice, client):
    """Quotes, backslashes and placeholders survive the database and the
    edit page's hidden JSON field (what the composer reads back)."""
    messages = [text('Quotes " and \\ backslashes {Nickname} </script>')]
    broadcast = draft(account, alice, messages=messages)
    assert Broadcast.objects.get(pk=broadcast.pk).messages == messages
    client.force_login(alice)
    page = client.get(
        f"/manager/{account.slug}/broadcasts/{broadcast.pk}/edit/"
    ).content.decode()
    [value] = re.findall(
        r'<textarea name="messages"[^>]*>([^<]*)</textarea>', page
    ) or re.findall(r'name="messages" value="([^"]*)"', page)
    assert json.loads(html.unescape(value)) == messages


def test_deleting_a_saved_segment_keeps_drafts_targeted(account, alice, crowd):
    definition = {"match": "all", "conditions": [{"type": "os", "values": ["android"]}]}
    segment = segment_save(
        account=account, actor=alice, name="Android", definition=definition
    )
    waiting = draft(account, alice, segment=segment)
    scheduled = draft(account, alice, segment=segment, title="later")
    broadcast_schedule(
        broadcast=scheduled,
        actor=alice,
        when=timezone.now() + dt.timedelta(days=1),
    )
    # a scheduled broadcast still needs it
    with assert_unchanged(), pytest.raises(ApplicationError):
        segment_delete(account=account, actor=alice, segment=segment)
    broadcast_cancel(broadcast=scheduled, actor=alice)
    segment_delete(account=account, actor=alice, segment=segment)
    waiting.refresh_from_db()
    assert (waiting.segment, waiting.audience) == (None, definition)
