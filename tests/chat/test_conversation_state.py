"""Status, snooze (and the beat task that wakes it), assignee, read, notes."""

import datetime as dt

import pytest
from freezegun import freeze_time

from accounts.models import AuditLog
from chat.models import Conversation
from chat.services import (
    chat_message_send,
    conversation_assign,
    conversation_mark_read,
    conversation_note_add,
    conversation_set_status,
    conversation_snooze,
    conversation_tag_add,
    conversation_tag_remove,
)
from chat.tasks import wake_snoozed_conversations_task
from core.exceptions import ApplicationError, NotFound
from messaging.friends.models import FriendNote, Tag
from messaging.store.models import Message
from tests.chat.factories import conversation_of, customer_says, talk
from tests.unchanged import assert_unchanged

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)


def _status(account, actor, conversation, status):
    return conversation_set_status(
        account=account, actor=actor, conversation_id=conversation.pk, status=status
    )


def _snooze(account, actor, conversation, until):
    return conversation_snooze(
        account=account, actor=actor, conversation_id=conversation.pk, until=until
    )


# --- Status -----------------------------------------------------------------


def test_done_ends_waiting_without_a_response_time(account, alice):
    # given a waiting conversation
    with freeze_time(T0):
        conversation = talk(account)
    # when alice marks it done
    _status(account, alice, conversation, "done")
    # then it is done and nobody is waiting any more
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.DONE
    assert conversation.waiting_since is None
    assert conversation.first_response_at is None
    assert conversation.response_times.count() == 0


def test_done_conversation_can_be_reopened_by_staff(account, alice):
    conversation = talk(account)
    _status(account, alice, conversation, "done")
    _status(account, alice, conversation, "needs_action")
    assert conversation_of(conversation.friend).status == "needs_action"


def test_status_change_clears_a_snooze(account, alice):
    conversation = talk(account)
    _snooze(account, alice, conversation, None)
    _status(account, alice, conversation, "needs_action")
    conversation.refresh_from_db()
    assert (conversation.status, conversation.snoozed_until) == ("needs_action", None)


@pytest.mark.parametrize("status", ["snoozed", "resolved", "", "DONE"])
def test_unknown_status_is_refused(account, alice, status):
    conversation = talk(account)
    with assert_unchanged(), pytest.raises(ApplicationError) as exc:
        _status(account, alice, conversation, status)
    assert exc.value.message == "Choose a valid status."
    assert conversation_of(conversation.friend).status == "needs_action"


def test_status_change_publishes_once(
    account, alice, events, django_capture_on_commit_callbacks
):
    """Setting the status it already has publishes nothing."""
    conversation = talk(account)
    with django_capture_on_commit_callbacks(execute=True):
        _status(account, alice, conversation, "done")
        _status(account, alice, conversation, "done")
    published = events(f"account.{account.pk}")
    assert [(e["change"], e["conversation"]["status"]) for e in published] == [
        ("status", "done")
    ]


# --- Snooze -----------------------------------------------------------------


def test_snooze_until_a_time(account, alice):
    with freeze_time(T0):
        conversation = talk(account)
        _snooze(account, alice, conversation, T0 + dt.timedelta(hours=3))
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.SNOOZED
    assert conversation.snoozed_until == T0 + dt.timedelta(hours=3)


@pytest.mark.parametrize(
    "until", [T0, T0 - dt.timedelta(seconds=1), T0 - dt.timedelta(days=2)]
)
def test_snooze_in_the_past_is_refused(account, alice, until):
    # given a conversation needing action
    with freeze_time(T0):
        conversation = talk(account)
        # when alice snoozes it until now or earlier
        with assert_unchanged(), pytest.raises(ApplicationError) as exc:
            _snooze(account, alice, conversation, until)
    # then it is refused and nothing changed
    assert exc.value.message == "Choose a time in the future."
    conversation.refresh_from_db()
    assert (conversation.status, conversation.snoozed_until) == ("needs_action", None)


def test_beat_task_wakes_due_snoozes_only(account, alice):
    """The task returns due snoozes to needs action; others stay snoozed."""
    # given three snoozed conversations: due, not yet due, until next message
    with freeze_time(T0):
        due = talk(account, "Ann")
        later = talk(account, "Ben")
        next_message = talk(account, "Cai")
        _snooze(account, alice, due, T0 + dt.timedelta(hours=1))
        _snooze(account, alice, later, T0 + dt.timedelta(hours=3))
        _snooze(account, alice, next_message, None)
    # when the beat task runs two hours later
    with freeze_time(T0 + dt.timedelta(hours=2)):
        woken = wake_snoozed_conversations_task()
    # then only the due one woke
    assert woken == 1
    states = {
        c.friend.line_user.display_name: (c.status, c.snoozed_until)
        for c in Conversation.objects.select_related("friend__line_user")
    }
    assert states == {
        "Ann": ("needs_action", None),
        "Ben": ("snoozed", T0 + dt.timedelta(hours=3)),
        "Cai": ("snoozed", None),
    }


def test_beat_task_is_idempotent(
    account, alice, events, django_capture_on_commit_callbacks
):
    """Running twice wakes and announces each conversation once."""
    with freeze_time(T0):
        conversation = talk(account)
        _snooze(account, alice, conversation, T0 + dt.timedelta(minutes=10))
    with (
        freeze_time(T0 + dt.timedelta(minutes=11)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        first = wake_snoozed_conversations_task()
        second = wake_snoozed_conversations_task()
    assert (first, second) == (1, 0)
    woke = [e for e in events(f"account.{account.pk}") if e["change"] == "woke"]
    assert len(woke) == 1
    assert woke[0]["conversation"]["id"] == conversation.pk
    assert woke[0]["conversation"]["status"] == "needs_action"


def test_beat_task_wakes_every_batch(account, alice, monkeypatch):
    """More due snoozes than one batch: all wake in one run."""
    monkeypatch.setattr("chat.services.WAKE_BATCH_SIZE", 2)
    with freeze_time(T0):
        conversations = [talk(account, f"C{i}") for i in range(5)]
        for c in conversations:
            _snooze(account, alice, c, T0 + dt.timedelta(minutes=1))
    with freeze_time(T0 + dt.timedelta(minutes=2)):
        assert wake_snoozed_conversations_task() == 5
    assert set(Conversation.objects.values_list("status", flat=True)) == {
        "needs_action"
    }


# --- Assignment -------------------------------------------------------------


def test_assign_to_a_member_and_back_to_nobody(account, alice, bob):
    # given a conversation
    conversation = talk(account)
    # when alice assigns it to bob, then unassigns it
    conversation_assign(
        account=account,
        actor=alice,
        conversation_id=conversation.pk,
        assignee_id=bob.pk,
    )
    assert conversation_of(conversation.friend).assignee == bob
    conversation_assign(
        account=account, actor=alice, conversation_id=conversation.pk, assignee_id=None
    )
    # then it has no assignee and both changes are audited
    assert conversation_of(conversation.friend).assignee is None
    assert list(
        AuditLog.objects.filter(action="conversation.assign")
        .order_by("id")
        .values_list("actor__username", "data")
    ) == [("alice", {"assignee": "bob"}), ("alice", {"assignee": None})]


def test_assign_to_a_non_member_is_refused(account, alice, charlie, other_account):
    """charlie is staff of another account only: not assignable here."""
    # given a conversation assigned to nobody
    conversation = talk(account)
    # when alice tries to assign it to charlie
    with assert_unchanged(), pytest.raises(ApplicationError) as exc:
        conversation_assign(
            account=account,
            actor=alice,
            conversation_id=conversation.pk,
            assignee_id=charlie.pk,
        )
    # then it is refused, nothing changes, nothing is audited
    assert exc.value.details == {"assignee": "Choose a staff member of this account."}
    assert conversation_of(conversation.friend).assignee is None
    assert not AuditLog.objects.filter(action="conversation.assign").exists()


def test_assign_in_another_account_is_not_found(account, charlie, other_account):
    conversation = talk(account)
    with assert_unchanged(), pytest.raises(NotFound):
        conversation_assign(
            account=other_account,
            actor=charlie,
            conversation_id=conversation.pk,
            assignee_id=charlie.pk,
        )
    assert conversation_of(conversation.friend).assignee is None


# --- Read marks -------------------------------------------------------------


def test_mark_read_reads_customer_messages_and_clears_unread(
    account, alice, events, django_capture_on_commit_callbacks
):
    """Opening a conversation shows 既読 to the customer."""
    # given three unread customer messages and a staff reply
    with freeze_time(T0):
        conversation = talk(account, text="One")
        customer_says(conversation.friend, "Two")
        chat_message_send(
            account=account,
            actor=alice,
            conversation_id=conversation.pk,
            message={"type": "text", "text": "Hi"},
        )
        customer_says(conversation.friend, "Three")
    # when alice opens the conversation
    with (
        freeze_time(T0 + dt.timedelta(minutes=1)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        count = conversation_mark_read(account=account, conversation_id=conversation.pk)
    # then the three customer messages are read, the reply untouched
    assert count == 3
    assert set(
        Message.objects.filter(direction="in").values_list("read_at", flat=True)
    ) == {T0 + dt.timedelta(minutes=1)}
    assert Message.objects.get(direction="out").read_at is None
    assert conversation_of(conversation.friend).unread_count == 0
    # and the customer's talk app was told
    [read] = events(f"lineuser.{conversation.friend.line_user_id}")
    assert read["type"] == "message.read"
    assert read["friend_id"] == conversation.friend_id


def test_mark_read_twice_publishes_once(
    account, events, django_capture_on_commit_callbacks
):
    conversation = talk(account)
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            conversation_mark_read(account=account, conversation_id=conversation.pk)
            == 1
        )
        assert (
            conversation_mark_read(account=account, conversation_id=conversation.pk)
            == 0
        )
    changes = [e.get("change") for e in events(f"account.{account.pk}")]
    assert changes.count("read") == 1


def test_mark_read_of_another_account_is_not_found(account, other_account):
    conversation = talk(account)
    with assert_unchanged(), pytest.raises(NotFound):
        conversation_mark_read(account=other_account, conversation_id=conversation.pk)
    assert Message.objects.get().read_at is None


# --- Notes and tags -----------------------------------------------------------


def test_internal_note_is_kept_on_the_friend_and_never_sent(account, alice):
    # given a conversation
    conversation = talk(account)
    # when alice adds a note
    note = conversation_note_add(
        account=account,
        actor=alice,
        conversation_id=conversation.pk,
        body="  Allergic to nuts  ",
    )
    # then it is a friend note by alice, and no message went out
    assert FriendNote.objects.get() == note
    assert (note.friend, note.author, note.body) == (
        conversation.friend,
        alice,
        "Allergic to nuts",
    )
    assert Message.objects.filter(direction="out").count() == 0


@pytest.mark.parametrize("body", ["", "   ", "x" * 2001])
def test_bad_note_is_refused(account, alice, body):
    conversation = talk(account)
    with assert_unchanged(), pytest.raises(ApplicationError):
        conversation_note_add(
            account=account, actor=alice, conversation_id=conversation.pk, body=body
        )
    assert FriendNote.objects.count() == 0


def test_tags_are_the_friends_tags(account, alice):
    conversation = talk(account)
    tag = conversation_tag_add(
        account=account, actor=alice, conversation_id=conversation.pk, name="vip"
    )
    assert list(conversation.friend.tags.values_list("name", flat=True)) == ["vip"]
    conversation_tag_remove(
        account=account, actor=alice, conversation_id=conversation.pk, tag=tag
    )
    assert conversation.friend.tags.count() == 0
    assert Tag.objects.filter(account=account, name="vip").exists()
