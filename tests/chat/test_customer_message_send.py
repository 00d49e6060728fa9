"""customer_message_send: the conversation follows every customer message."""

import datetime as dt

import pytest
from freezegun import freeze_time

from chat.inbound import customer_block, customer_message_send
from chat.models import Conversation
from chat.services import conversation_set_status, conversation_snooze
from core.exceptions import ApplicationError
from messaging.store.models import Message
from tests.chat.factories import conversation_of, customer_says, make_friend
from tests.unchanged import assert_unchanged

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)  # Monday 10:00 in Tokyo


def test_first_message_creates_a_conversation_needing_action(account):
    """The first customer message opens a conversation that waits for staff."""
    # given a friend who never wrote
    friend = make_friend(account)
    # when they write
    with freeze_time(T0):
        message = customer_says(friend, "Are you open today?")
    # then one conversation exists, waiting since that message
    conversation = Conversation.objects.get()
    assert conversation.friend == friend
    assert conversation.account == account
    assert conversation.status == Conversation.Status.NEEDS_ACTION
    assert conversation.waiting_since == T0
    assert conversation.last_message_at == T0
    assert conversation.last_customer_message_at == T0
    assert conversation.unread_count == 1
    assert conversation.assignee is None
    assert conversation.first_response_at is None
    assert message.direction == Message.Direction.INBOUND
    assert message.text == "Are you open today?"


def test_more_messages_count_unread_and_keep_the_first_waiting_time(account):
    """Waiting starts at the first unanswered message, not the latest."""
    # given a conversation with one message
    friend = make_friend(account)
    with freeze_time(T0):
        customer_says(friend, "Hello")
    # when two more messages arrive later
    with freeze_time(T0 + dt.timedelta(minutes=5)):
        customer_says(friend, "Anyone there?")
    with freeze_time(T0 + dt.timedelta(minutes=9)):
        customer_says(friend, "?")
    # then one conversation counts three unread, waiting since the first
    conversation = conversation_of(friend)
    assert Conversation.objects.count() == 1
    assert conversation.unread_count == 3
    assert conversation.waiting_since == T0
    assert conversation.last_message_at == T0 + dt.timedelta(minutes=9)


def test_new_message_reopens_a_done_conversation(account, alice):
    """A conversation marked done needs action again when the customer writes."""
    # given a conversation marked done
    friend = make_friend(account)
    customer_says(friend)
    conversation_set_status(
        account=account,
        actor=alice,
        conversation_id=conversation_of(friend).pk,
        status="done",
    )
    assert conversation_of(friend).status == Conversation.Status.DONE
    # when the customer writes again
    with freeze_time(T0):
        customer_says(friend, "One more question")
    # then it needs action and waits from now
    conversation = conversation_of(friend)
    assert conversation.status == Conversation.Status.NEEDS_ACTION
    assert conversation.waiting_since == T0


@pytest.mark.parametrize("until", [None, T0 + dt.timedelta(days=3)])
def test_new_message_wakes_a_snoozed_conversation(account, alice, until):
    """Snoozed until a time or until the next message: a reply wakes both."""
    # given a snoozed conversation
    friend = make_friend(account)
    with freeze_time(T0 - dt.timedelta(hours=1)):
        customer_says(friend)
        conversation_snooze(
            account=account,
            actor=alice,
            conversation_id=conversation_of(friend).pk,
            until=until,
        )
    assert conversation_of(friend).status == Conversation.Status.SNOOZED
    # when the customer writes
    with freeze_time(T0):
        customer_says(friend, "Hello again")
    # then the conversation is back, snooze cleared
    conversation = conversation_of(friend)
    assert conversation.status == Conversation.Status.NEEDS_ACTION
    assert conversation.snoozed_until is None


def test_blocked_customer_cannot_write_and_nothing_is_written(account):
    """customer_message_send's refusal passes through; no conversation appears."""
    # given a friend who blocked the account
    friend = make_friend(account)
    customer_block(friend=friend)
    # when they try to write
    with assert_unchanged(), pytest.raises(ApplicationError):
        customer_says(friend, "Hi")
    # then nothing is stored
    assert Message.objects.count() == 0
    assert Conversation.objects.count() == 0


def test_suspended_account_receives_nothing(account):
    # given a suspended account
    account.is_suspended = True
    account.save(update_fields=["is_suspended"])
    friend = make_friend(account)
    # when a customer writes
    with assert_unchanged(), pytest.raises(ApplicationError):
        customer_says(friend, "Hi")
    # then nothing is stored
    assert Message.objects.count() == 0
    assert Conversation.objects.count() == 0


def test_images_are_stored_with_their_files(account, settings):
    """The talk app passes image content and preview files through."""
    from django.core.files.base import ContentFile

    # given a friend
    friend = make_friend(account)
    # when they send a photo
    message = customer_message_send(
        friend=friend,
        message={"type": "image", "contentProvider": {"type": "line"}},
        content=ContentFile(b"jpeg-bytes", name="p.jpg"),
        preview=ContentFile(b"preview-bytes", name="p-preview.jpg"),
    )
    # then the message carries both files and the conversation exists
    message.refresh_from_db()
    assert message.type == "image"
    assert message.content.read() == b"jpeg-bytes"
    assert message.preview.read() == b"preview-bytes"
    assert conversation_of(friend).unread_count == 1


def test_customer_message_publishes_the_conversation(
    account, events, django_capture_on_commit_callbacks
):
    """Staff pages get the bubble (messaging) and the inbox change (chat)."""
    # given a friend
    friend = make_friend(account)
    # when they write
    with freeze_time(T0), django_capture_on_commit_callbacks(execute=True):
        customer_says(friend, "Hi")
    # then the account group received both events, in order
    conversation = conversation_of(friend)
    published = events(f"account.{account.pk}")
    assert [e["type"] for e in published] == [
        "message.created",
        "conversation.updated",
    ]
    assert published[1] == {
        "type": "conversation.updated",
        "change": "created",
        "conversation": {
            "id": conversation.pk,
            "friend_id": friend.pk,
            "status": "needs_action",
            "snoozed_until": None,
            "assignee_id": None,
            "unread_count": 1,
            "waiting_since": "2026-03-02T01:00:00+00:00",
            "last_message_at": "2026-03-02T01:00:00+00:00",
            "updated_at": "2026-03-02T01:00:00+00:00",
        },
    }


def test_nothing_is_published_before_commit(account, events):
    """Inside the transaction, no page hears of the message yet."""
    # given a friend
    friend = make_friend(account)
    # when they write but the test transaction never commits
    customer_says(friend, "Hi")
    # then nothing was published
    assert events(f"account.{account.pk}") == []
