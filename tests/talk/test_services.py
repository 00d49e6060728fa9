import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from chat.inbound import customer_block, customer_follow
from core.exceptions import ApplicationError
from messaging.friends.models import Friend, LineUser
from messaging.store.models import Message
from talk import services
from talk.avatars import AVATAR_SIDE, PALETTE, avatar_colour, avatar_generate
from tests.talk.factories import (
    befriend,
    image_bytes,
    make_persona,
    media_files,
    set_greeting,
    upload,
)
from tests.unchanged import assert_unchanged

pytestmark = pytest.mark.django_db


# Personas -----------------------------------------------------------------


def test_persona_create_stores_profile_and_generated_picture(settings):
    # when a persona is created without a picture
    persona = services.persona_create(
        display_name="  Ken ",
        status_message="Coffee lover",
        language="en",
        gender="male",
        age=41,
        region="jp_27",
        os="android",
    )
    # then the profile is stored as given, with a LINE-style user ID
    persona.refresh_from_db()
    assert re.fullmatch(r"U[0-9a-f]{32}", persona.user_id)
    assert (
        persona.display_name,
        persona.status_message,
        persona.language,
        persona.gender,
        persona.age,
        persona.region,
        persona.os,
    ) == ("Ken", "Coffee lover", "en", "male", 41, "jp_27", "android")
    # and a square PNG with the initial was generated
    assert media_files(settings) == [persona.picture.name]
    assert persona.picture.name.startswith("lineusers/")
    with Image.open(persona.picture.path) as img:
        assert (img.format, img.size) == ("PNG", (AVATAR_SIDE, AVATAR_SIDE))


def test_persona_create_with_uploaded_picture_crops_to_square(settings):
    persona = services.persona_create(
        display_name="Aoi", picture_upload=upload(image_bytes(size=(900, 500)))
    )
    with Image.open(persona.picture.path) as img:
        assert (img.format, img.size) == ("JPEG", (AVATAR_SIDE, AVATAR_SIDE))
    assert media_files(settings) == [persona.picture.name]


@pytest.mark.parametrize(
    "data",
    [b"%PDF-1.4 not a picture", image_bytes("GIF")],
    ids=["not-an-image", "gif"],
)
def test_persona_create_rejects_bad_picture_and_stores_nothing(settings, data):
    with assert_unchanged(), pytest.raises(ApplicationError, match="JPEG/PNG"):
        services.persona_create(
            display_name="Aoi", picture_upload=upload(data, "x.bin", "image/gif")
        )
    assert LineUser.objects.count() == 0
    assert media_files(settings) == []


def test_persona_create_requires_a_name(settings):
    with assert_unchanged(), pytest.raises(ApplicationError, match="display name"):
        services.persona_create(display_name="   ")
    assert LineUser.objects.count() == 0
    assert media_files(settings) == []


def test_generated_avatar_colour_is_stable_and_from_palette():
    assert avatar_colour("abc") == avatar_colour("abc")
    assert avatar_colour("abc") in PALETTE
    # a CJK initial without a CJK font still gives a picture (a silhouette);
    # the test names no CJK font, whatever the machine has installed
    picture = avatar_generate(name="佐藤", seed="abc", cjk_fonts=())
    with Image.open(picture) as img:
        assert img.size == (AVATAR_SIDE, AVATAR_SIDE)
        assert img.getpixel((AVATAR_SIDE // 2, AVATAR_SIDE // 3)) == (255, 255, 255)


# Sending --------------------------------------------------------------------


@pytest.fixture
def friend(account):
    return befriend(account, make_persona())


def test_text_send_stores_the_customer_message(friend):
    message = services.text_send(friend=friend, text="Is it open today?\nThanks")
    message.refresh_from_db()
    assert message.account_id == friend.account_id
    assert message.friend_id == friend.pk
    assert (message.direction, message.source, message.type) == (
        Message.Direction.INBOUND,
        Message.Source.CUSTOMER,
        "text",
    )
    assert message.payload == {"type": "text", "text": "Is it open today?\nThanks"}
    assert message.text == "Is it open today?\nThanks"
    assert message.read_at is None
    friend.refresh_from_db()
    assert friend.last_message_at == message.created_at


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", "Type a message"),
        ("  \n ", "Type a message"),
        ("a" * 5001, "at most 5000"),
        # LINE counts UTF-16 code units: an emoji is two.
        ("😀" * 2501, "at most 5000"),
    ],
    ids=["empty", "blank", "5001-chars", "emoji-over"],
)
def test_text_send_rejects_empty_and_too_long(friend, text, error):
    with assert_unchanged(), pytest.raises(ApplicationError, match=error):
        services.text_send(friend=friend, text=text)
    assert Message.objects.filter(direction=Message.Direction.INBOUND).count() == 0


@pytest.mark.parametrize("text", ["a" * 5000, "😀" * 2500, "x"])
def test_text_send_accepts_up_to_5000(friend, text):
    assert services.text_send(friend=friend, text=text).text == text


def test_text_send_to_a_blocked_account_is_refused(friend):
    customer_block(friend=friend)
    friend.refresh_from_db()
    with assert_unchanged(), pytest.raises(ApplicationError, match="Unblock"):
        services.text_send(friend=friend, text="hi")
    assert Message.objects.filter(direction=Message.Direction.INBOUND).count() == 0


def test_sticker_send_stores_our_sticker(friend):
    message = services.sticker_send(friend=friend, sticker_id="1990")
    assert message.type == "sticker"
    assert message.payload == {
        "type": "sticker",
        "packageId": "446",
        "stickerId": "1990",
        "stickerResourceType": "STATIC",
        "keywords": ["ok", "okay", "sure"],
    }
    assert message.text == "[Sticker]"


@pytest.mark.parametrize("sticker_id", ["0", "3", "1987", "2028", "", "1; drop"])
def test_sticker_send_rejects_unknown_sticker(friend, sticker_id):
    with assert_unchanged(), pytest.raises(ApplicationError, match="no such sticker"):
        services.sticker_send(friend=friend, sticker_id=sticker_id)
    assert Message.objects.filter(type="sticker").count() == 0


def test_image_send_keeps_original_and_makes_preview(friend, settings):
    data = image_bytes("JPEG", size=(1200, 900))
    message = services.image_send(friend=friend, upload=upload(data))
    message.refresh_from_db()
    assert message.type == "image"
    assert message.payload == {"type": "image", "contentProvider": {"type": "line"}}
    assert message.text == "[Image]"
    with message.content.open("rb") as f:
        assert f.read() == data
    with Image.open(message.preview.path) as img:
        assert (img.format, img.size) == ("JPEG", (240, 180))
    assert media_files(settings) == sorted(
        [message.content.name, message.preview.name, friend.line_user.picture.name]
    )


def test_image_send_keeps_png_as_png(friend):
    message = services.image_send(
        friend=friend, upload=upload(image_bytes("PNG", (300, 600)), "a.png")
    )
    assert message.content.name.endswith(".png")
    with Image.open(message.preview.path) as img:
        assert (img.format, img.size) == ("PNG", (120, 240))


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"%PDF-1.4 " + b"0" * 2000, "JPEG/PNG"),
        (image_bytes("GIF"), "JPEG/PNG"),
        (image_bytes("JPEG")[:300], "damaged"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * (10 * 1024 * 1024), "limit is 10 MB"),
    ],
    ids=["pdf", "gif", "truncated", "over-10MB"],
)
def test_image_send_rejects_bad_uploads_and_stores_nothing(
    friend, settings, data, error
):
    bad = SimpleUploadedFile("x.png", data, content_type="image/png")
    with assert_unchanged(), pytest.raises(ApplicationError, match=error):
        services.image_send(friend=friend, upload=bad)
    assert Message.objects.filter(type="image").count() == 0
    # the persona's generated avatar is the only file
    assert media_files(settings) == [friend.line_user.picture.name]


def test_image_send_to_suspended_account_leaves_no_file(friend, settings, alice):
    from accounts.services import account_suspend

    account_suspend(account=friend.account, actor=alice, reason="abuse")
    friend.refresh_from_db()
    with assert_unchanged(), pytest.raises(ApplicationError, match="not available"):
        services.image_send(friend=friend, upload=upload(image_bytes()))
    assert media_files(settings) == [friend.line_user.picture.name]


# Friendship from the talk side ------------------------------------------------


def test_follow_twice_is_idempotent_and_greets_once(account, alice):
    set_greeting(account, alice, "Hello {Nickname}, welcome to {AccountName}!")
    persona = make_persona("Yui")
    first = customer_follow(account=account, line_user=persona)
    second = customer_follow(account=account, line_user=persona)
    assert (first.created, second.created, second.unblocked) == (True, False, False)
    assert first.friend.pk == second.friend.pk
    assert Friend.objects.filter(account=account, line_user=persona).count() == 1
    assert list(Message.objects.values_list("text", flat=True)) == [
        "Hello Yui, welcome to Demo Café!"
    ]
