"""chat_message_send / chat_image_send: staff replies and their rules."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from freezegun import freeze_time

from accounts import quota
from accounts.models import MonthlyUsage
from chat.inbound import customer_block
from chat.models import Conversation, ResponseTime
from chat.services import (
    ReplyWindowClosed,
    chat_image_send,
    chat_message_send,
    conversation_set_status,
)
from core.exceptions import ApplicationError, NotFound
from messaging.store.models import Message
from tests.chat.factories import (
    conversation_of,
    customer_says,
    image_bytes,
    image_upload,
    media_files,
    talk,
)
from tests.unchanged import assert_unchanged

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)


def _reply(account, actor, conversation, text="Thanks!"):
    return chat_message_send(
        account=account,
        actor=actor,
        conversation_id=conversation.pk,
        message={"type": "text", "text": text},
    )


def test_reply_is_stored_as_a_chat_message_by_the_staff_member(account, alice):
    # given a customer waiting for an answer
    with freeze_time(T0):
        conversation = talk(account, text="Do you have oat milk?")
    # when alice answers 90 seconds later
    with freeze_time(T0 + dt.timedelta(seconds=90)):
        row = _reply(account, alice, conversation, "Yes, we do!")
    # then the reply is in the talk room, from alice, via chat
    assert row.direction == Message.Direction.OUTBOUND
    assert row.source == Message.Source.CHAT
    assert row.sent_by == alice
    assert row.friend_id == conversation.friend_id
    assert row.payload == {"type": "text", "text": "Yes, we do!"}
    # and the waiting period is closed with its response time
    conversation.refresh_from_db()
    assert conversation.waiting_since is None
    assert conversation.first_response_at == T0 + dt.timedelta(seconds=90)
    assert conversation.first_response_seconds == 90
    assert conversation.last_message_at == T0 + dt.timedelta(seconds=90)
    [rt] = ResponseTime.objects.all()
    assert (rt.conversation, rt.seconds, rt.responder) == (conversation, 90, alice)
    assert rt.waiting_since == T0
    # and replying does not close the conversation by itself
    assert conversation.status == Conversation.Status.NEEDS_ACTION


def test_each_waiting_period_gets_one_response_time(account, alice, bob):
    """Only the first reply after customer messages counts as a response."""
    # given a conversation answered once
    with freeze_time(T0):
        conversation = talk(account)
    with freeze_time(T0 + dt.timedelta(seconds=30)):
        _reply(account, alice, conversation)
    # when staff reply again without a new customer message
    with freeze_time(T0 + dt.timedelta(seconds=60)):
        _reply(account, bob, conversation, "Anything else?")
    # and the customer writes and bob answers after 5 minutes
    with freeze_time(T0 + dt.timedelta(hours=1)):
        customer_says(conversation.friend, "Yes, one thing")
    with freeze_time(T0 + dt.timedelta(hours=1, minutes=5)):
        _reply(account, bob, conversation, "Sure")
    # then two waiting periods were measured
    assert list(
        ResponseTime.objects.order_by("id").values_list(
            "seconds", "responder__username"
        )
    ) == [(30, "alice"), (300, "bob")]
    conversation.refresh_from_db()
    assert conversation.first_response_seconds == 300


def test_chat_replies_are_free_of_quota_even_when_the_quota_is_used_up(account, alice):
    """LINE does not count Manager chat replies; a full quota does not block."""
    # given a month whose limit is 0 messages
    account.quota_override = 0
    account.save(update_fields=["quota_override"])
    usage = quota.usage_get(account=account)
    assert (usage.limit, usage.used, usage.reserved) == (0, 0, 0)
    conversation = talk(account)
    # when staff send three replies
    for text in ("One", "Two", "Three"):
        _reply(account, alice, conversation, text)
    # then all three are stored and the usage row is untouched
    assert Message.objects.filter(source=Message.Source.CHAT).count() == 3
    usage.refresh_from_db()
    assert (usage.limit, usage.used, usage.reserved) == (0, 0, 0)
    assert MonthlyUsage.objects.filter(account=account).count() == 1


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", "Type a message first."),
        ("   \n ", "Type a message first."),
        ("x" * 5001, "A message can be at most 5000 characters long."),
        # 2,501 emoji are 5,002 UTF-16 units, as LINE counts.
        ("😀" * 2501, "A message can be at most 5000 characters long."),
        ("nul\x00x", "The message contains a character that cannot be sent."),
        ("sur\ud800x", "The message contains a character that cannot be sent."),
    ],
)
def test_bad_text_is_refused_and_nothing_is_written(account, alice, text, error):
    # given a waiting customer
    with freeze_time(T0):
        conversation = talk(account)
    # when staff send an empty or too long text
    with assert_unchanged(), pytest.raises(ApplicationError) as exc:
        _reply(account, alice, conversation, text)
    # then the error says why and nothing changed
    assert exc.value.message == error
    assert Message.objects.filter(direction=Message.Direction.OUTBOUND).count() == 0
    assert ResponseTime.objects.count() == 0


def test_text_of_exactly_5000_characters_is_sent(account, alice):
    conversation = talk(account)
    row = _reply(account, alice, conversation, "x" * 5000)
    assert len(row.text) == 5000


def test_sticker_reply_uses_the_talk_apps_sticker_set(account, alice):
    # given a conversation
    conversation = talk(account)
    # when alice sends sticker 1989 of LINE's package 446
    row = chat_message_send(
        account=account,
        actor=alice,
        conversation_id=conversation.pk,
        message={"type": "sticker", "packageId": "446", "stickerId": "1989"},
    )
    # then a sticker message is stored
    assert row.type == "sticker"
    assert row.payload == {"type": "sticker", "packageId": "446", "stickerId": "1989"}


@pytest.mark.parametrize(
    "message",
    [
        {"type": "sticker", "packageId": "lineoa-1", "stickerId": "999"},
        {"type": "sticker", "packageId": "446", "stickerId": "10855"},
        {"type": "sticker", "packageId": "lineoa-1", "stickerId": "2"},
        {
            "type": "location",
            "title": "x",
            "address": "y",
            "latitude": 1,
            "longitude": 2,
        },
        {
            "type": "image",
            "originalContentUrl": "ftp://x",
            "previewImageUrl": "ftp://x",
        },
        "just a string",
    ],
)
def test_unknown_stickers_and_other_types_are_refused(account, alice, message):
    conversation = talk(account)
    with assert_unchanged(), pytest.raises(ApplicationError):
        chat_message_send(
            account=account,
            actor=alice,
            conversation_id=conversation.pk,
            message=message,
        )
    assert Message.objects.filter(direction=Message.Direction.OUTBOUND).count() == 0


def test_reply_to_a_customer_who_blocked_within_7_days_is_stored(account, alice):
    """LINE lets staff answer a non-friend for 7 days after their last message."""
    # given a customer who wrote, then blocked the account
    with freeze_time(T0):
        conversation = talk(account)
    customer_block(friend=conversation.friend)
    # when alice answers 6 days and 23 hours later
    with freeze_time(T0 + dt.timedelta(days=6, hours=23)):
        row = _reply(account, alice, conversation, "Sorry for the late answer")
    # then the reply is stored in their talk room
    assert row.source == Message.Source.CHAT
    assert row.friend_id == conversation.friend_id
    assert row.sent_by == alice
    assert row.created_at == T0 + dt.timedelta(days=6, hours=23)
    conversation.refresh_from_db()
    assert conversation.waiting_since is None


@pytest.mark.parametrize(
    "later",
    [dt.timedelta(days=7), dt.timedelta(days=7, seconds=1), dt.timedelta(days=30)],
)
def test_reply_to_a_non_friend_after_7_days_is_refused(account, alice, later):
    # given a customer who wrote, then blocked the account
    with freeze_time(T0):
        conversation = talk(account)
    customer_block(friend=conversation.friend)
    # when alice tries to answer 7 days or more later
    with (
        freeze_time(T0 + later),
        assert_unchanged(),
        pytest.raises(ReplyWindowClosed) as exc,
    ):
        _reply(account, alice, conversation)
    # then the error explains the rule and nothing is written
    assert "only within 7 days" in exc.value.message
    assert Message.objects.filter(direction=Message.Direction.OUTBOUND).count() == 0


def test_friends_can_be_answered_any_time_later(account, alice):
    """The 7-day window applies to non-friends only."""
    with freeze_time(T0):
        conversation = talk(account)
    with freeze_time(T0 + dt.timedelta(days=90)):
        row = _reply(account, alice, conversation, "Still here!")
    assert row.text == "Still here!"


def test_suspended_account_cannot_reply(account, alice):
    # given a conversation of an account the operator then suspends
    conversation = talk(account)
    account.is_suspended = True
    account.save(update_fields=["is_suspended"])
    # when alice replies
    with assert_unchanged(), pytest.raises(ApplicationError) as exc:
        _reply(account, alice, conversation)
    # then it is refused and nothing is written
    assert "suspended" in exc.value.message
    assert Message.objects.filter(direction=Message.Direction.OUTBOUND).count() == 0


def test_conversation_of_another_account_is_not_found(account, other_account, charlie):
    # given a conversation of Demo Café
    conversation = talk(account)
    # when charlie's account is given its id
    with assert_unchanged(), pytest.raises(NotFound):
        _reply(other_account, charlie, conversation)
    # then nothing is written
    assert Message.objects.filter(direction=Message.Direction.OUTBOUND).count() == 0


def test_reply_publishes_bubble_to_customer_and_staff(
    account, alice, events, django_capture_on_commit_callbacks
):
    # given a conversation
    conversation = talk(account)
    friend = conversation.friend
    # when alice replies and the transaction commits
    with django_capture_on_commit_callbacks(execute=True):
        row = _reply(account, alice, conversation, "Hi!")
    # then the customer's talk app and staff pages hear of it
    [to_customer] = events(f"lineuser.{friend.line_user_id}")
    assert to_customer["type"] == "message.created"
    assert to_customer["message"]["id"] == row.pk
    assert to_customer["message"]["text"] == "Hi!"
    staff = events(f"account.{account.pk}")
    assert [e["type"] for e in staff] == ["message.created", "conversation.updated"]
    assert staff[1]["change"] == "reply"
    assert staff[1]["conversation"]["waiting_since"] is None


# --- Images -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "name", "ext"), [("JPEG", "photo.jpg", "jpg"), ("PNG", "shot.png", "png")]
)
def test_image_reply_points_at_served_files(account, alice, settings, fmt, name, ext):
    # given a conversation
    conversation = talk(account)
    # when alice sends a photo
    row = chat_image_send(
        account=account,
        actor=alice,
        conversation_id=conversation.pk,
        upload=image_upload(image_bytes(fmt, size=(1200, 900)), name=name),
    )
    # then an image message points at the original and a preview under /media/
    files = media_files(settings)
    assert len(files) == 2
    original = next(f for f in files if "preview" not in f)
    preview = next(f for f in files if "preview" in f)
    assert original.startswith("chat/") and original.endswith(f".{ext}")
    assert row.type == "image"
    assert row.payload == {
        "type": "image",
        "originalContentUrl": f"/media/{original}",
        "previewImageUrl": f"/media/{preview}",
    }
    from PIL import Image

    with Image.open(settings.MEDIA_ROOT / preview) as img:
        assert img.size == (240, 180)


@pytest.mark.parametrize(
    ("upload", "error"),
    [
        (
            image_upload(image_bytes("GIF"), name="a.gif", content_type="image/gif"),
            "Upload a JPEG/PNG image.",
        ),
        (
            image_upload(b"not an image at all", name="a.jpg"),
            "The file is not a valid JPEG/PNG image or it is damaged.",
        ),
        (
            image_upload(image_bytes("JPEG")[:200], name="cut.jpg"),
            "The file is not a valid JPEG/PNG image or it is damaged.",
        ),
        (
            SimpleUploadedFile(
                "big.jpg", b"\xff" * (10 * 1024 * 1024 + 1), content_type="image/jpeg"
            ),
            "The file is 10.0 MB; the limit is 10 MB.",
        ),
    ],
    ids=["gif", "not-image", "truncated", "over-10mb"],
)
def test_bad_images_are_refused_and_nothing_is_written(
    account, alice, settings, upload, error
):
    # given a conversation
    conversation = talk(account)
    # when alice sends a bad file
    with assert_unchanged(), pytest.raises(ApplicationError) as exc:
        chat_image_send(
            account=account,
            actor=alice,
            conversation_id=conversation.pk,
            upload=upload,
        )
    # then the error says why, and no file or message is written
    assert exc.value.message == error
    assert media_files(settings) == []
    assert Message.objects.filter(direction=Message.Direction.OUTBOUND).count() == 0


def test_image_to_a_closed_window_writes_no_file(account, alice, settings):
    # given a non-friend who wrote 8 days ago
    with freeze_time(T0):
        conversation = talk(account)
    customer_block(friend=conversation.friend)
    # when alice sends a photo
    with (
        freeze_time(T0 + dt.timedelta(days=8)),
        assert_unchanged(),
        pytest.raises(ReplyWindowClosed),
    ):
        chat_image_send(
            account=account,
            actor=alice,
            conversation_id=conversation.pk,
            upload=image_upload(image_bytes()),
        )
    # then no file was stored
    assert media_files(settings) == []


def test_reply_in_a_done_conversation_keeps_it_done(account, alice):
    """Staff may add a last word without reopening the matter."""
    conversation = talk(account)
    conversation_set_status(
        account=account, actor=alice, conversation_id=conversation.pk, status="done"
    )
    _reply(account, alice, conversation, "Bye!")
    assert conversation_of(conversation.friend).status == Conversation.Status.DONE
