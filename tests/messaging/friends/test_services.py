import datetime as dt
import re
from decimal import Decimal

import pytest

from accounts.models import AuditLog
from chat.inbound import customer_follow
from core.exceptions import ApplicationError
from messaging.automation.models import Greeting
from messaging.automation.services import greeting_update
from messaging.friends.filters import FriendFilters
from messaging.friends.models import (
    CustomField,
    Friend,
    FriendFieldValue,
    FriendNote,
    FriendSource,
    Tag,
)
from messaging.friends.services import (
    custom_field_create,
    custom_field_delete,
    friend_fields_set,
    friend_note_add,
    friend_note_delete,
    friend_source_create,
    friend_tag_add,
    friend_tag_remove,
    friends_tag_bulk,
    tag_create,
    tag_delete,
)
from messaging.store.checks import MessagesInvalid
from messaging.store.models import Message
from tests.factories import LineUserFactory
from tests.messaging.factories import (
    CustomFieldFactory,
    FriendNoteFactory,
    TagFactory,
    make_friend,
)
from tests.unchanged import assert_unchanged


def audit(account) -> list[tuple]:
    return list(
        AuditLog.objects.filter(account=account)
        .exclude(action="account.create")
        .order_by("id")
        .values_list("actor__username", "action", "target", "data")
    )


def tag_names(friend) -> list[str]:
    return sorted(friend.tags.values_list("name", flat=True))


# --- Sources ---------------------------------------------------------------


def test_friend_source_create_gives_a_random_code_and_audits(account, alice):
    source = friend_source_create(account=account, actor=alice, name="  flyer ")
    assert source.name == "flyer"
    assert re.fullmatch(r"[a-z0-9]{10}", source.code)
    assert audit(account) == [
        ("alice", "friend_source.create", "flyer", {"code": source.code})
    ]


def test_friend_source_names_are_unique_per_account_only(
    account, other_account, alice, charlie
):
    friend_source_create(account=account, actor=alice, name="flyer")
    with assert_unchanged(), pytest.raises(ApplicationError) as exc:
        friend_source_create(account=account, actor=alice, name="flyer")
    assert exc.value.details == {"name": "A source with this name already exists."}
    friend_source_create(account=other_account, actor=charlie, name="flyer")
    assert FriendSource.objects.filter(name="flyer").count() == 2
    assert len(audit(account)) == 1


@pytest.mark.parametrize(
    ("name", "error"),
    [("   ", "Enter a name."), ("x" * 51, "Use at most 50 characters.")],
)
def test_friend_source_bad_name_creates_nothing(account, alice, name, error):
    with assert_unchanged(), pytest.raises(ApplicationError) as exc:
        friend_source_create(account=account, actor=alice, name=name)
    assert exc.value.details == {"name": error}
    assert FriendSource.objects.count() == 0
    assert audit(account) == []


# --- Greeting --------------------------------------------------------------


def test_greeting_update_creates_then_updates_and_audits(account, alice):
    hello = [{"type": "text", "text": "Hi {Nickname}, welcome to {AccountName}!"}]
    greeting_update(
        account=account,
        actor=alice,
        enabled=True,
        send_on_unblock=True,
        messages=hello,
    )
    greeting_update(
        account=account,
        actor=alice,
        enabled=True,
        send_on_unblock=False,
        messages=[*hello, {"type": "text", "text": "Coupon inside."}],
    )
    greeting = Greeting.objects.get(account=account)
    assert (greeting.enabled, greeting.send_on_unblock) == (True, False)
    assert greeting.messages == [*hello, {"type": "text", "text": "Coupon inside."}]
    assert [row[1:] for row in audit(account)] == [
        (
            "greeting.update",
            account.basic_id,
            {"enabled": True, "send_on_unblock": True, "bubbles": 1},
        ),
        (
            "greeting.update",
            account.basic_id,
            {"enabled": True, "send_on_unblock": False, "bubbles": 2},
        ),
    ]


def test_saved_greeting_reaches_a_new_friend_with_placeholders_filled(account, alice):
    greeting_update(
        account=account,
        actor=alice,
        enabled=True,
        send_on_unblock=True,
        messages=[{"type": "text", "text": "Hi {Nickname}, this is {AccountName}."}],
    )
    result = customer_follow(
        account=account, line_user=LineUserFactory(display_name="Mika")
    )
    assert list(
        Message.objects.filter(friend=result.friend).values_list("source", "text")
    ) == [("greeting", "Hi Mika, this is Demo Café.")]


@pytest.mark.parametrize(
    ("enabled", "messages", "error"),
    [
        (True, [], {"message": "May not be empty", "property": "messages"}),
        (
            True,
            [{"type": "text", "text": str(i)} for i in range(4)],
            {"message": "Size must be between 1 and 3", "property": "messages"},
        ),
        (
            True,
            [{"type": "text", "text": "x" * 5001}],
            {
                "message": "Length must be between 0 and 5000",
                "property": "messages[0].text",
            },
        ),
        (
            False,
            [{"type": "text", "text": "  "}],
            {"message": "May not be empty", "property": "messages[0].text"},
        ),
    ],
)
def test_greeting_update_rejects_bad_messages_and_writes_nothing(
    account, alice, enabled, messages, error
):
    with assert_unchanged(), pytest.raises(MessagesInvalid) as exc:
        greeting_update(
            account=account,
            actor=alice,
            enabled=enabled,
            send_on_unblock=True,
            messages=messages,
        )
    assert exc.value.errors == [error]
    assert not Greeting.objects.filter(account=account).exists()
    assert audit(account) == []


def test_a_disabled_greeting_may_be_empty(account, alice):
    greeting_update(
        account=account, actor=alice, enabled=False, send_on_unblock=True, messages=[]
    )
    greeting = Greeting.objects.get(account=account)
    assert (greeting.enabled, greeting.messages) == (False, [])


def test_greeting_text_of_exactly_5000_characters_is_accepted(account, alice):
    greeting_update(
        account=account,
        actor=alice,
        enabled=True,
        send_on_unblock=True,
        messages=[{"type": "text", "text": "あ" * 5000}],
    )
    assert len(Greeting.objects.get(account=account).messages[0]["text"]) == 5000


# --- Tags ----------------------------------------------------------------


def test_tag_create_refuses_duplicates_and_blank_names(account, alice):
    tag_create(account=account, actor=alice, name="vip")
    with assert_unchanged(), pytest.raises(ApplicationError) as exc:
        tag_create(account=account, actor=alice, name=" vip ")
    assert exc.value.details == {"name": "A tag with this name already exists."}
    with assert_unchanged(), pytest.raises(ApplicationError):
        tag_create(account=account, actor=alice, name="x" * 31)
    assert list(Tag.objects.values_list("name", flat=True)) == ["vip"]
    assert audit(account) == [("alice", "tag.create", "vip", {})]


def test_friend_tag_add_creates_a_new_tag_once_and_is_idempotent(account, bob):
    friend = make_friend(account, display_name="Ann")
    friend_tag_add(account=account, actor=bob, friend=friend, name="vip")
    friend_tag_add(account=account, actor=bob, friend=friend, name="vip")
    assert tag_names(friend) == ["vip"]
    assert Tag.objects.filter(account=account).count() == 1
    user_id = friend.line_user.user_id
    assert audit(account) == [
        ("bob", "tag.create", "vip", {}),
        ("bob", "friend.tag_add", user_id, {"tag": "vip"}),
        ("bob", "friend.tag_add", user_id, {"tag": "vip"}),
    ]


def test_friend_tag_remove_and_tenancy(account, other_account, alice):
    vip = TagFactory(account=account, name="vip")
    friend = make_friend(account, tags=[vip])
    foreign_tag = TagFactory(account=other_account, name="vip")
    with assert_unchanged(), pytest.raises(ApplicationError):
        friend_tag_remove(account=account, actor=alice, friend=friend, tag=foreign_tag)
    friend_tag_remove(account=account, actor=alice, friend=friend, tag=vip)
    assert tag_names(friend) == []
    assert audit(account)[-1][1:] == (
        "friend.tag_remove",
        friend.line_user.user_id,
        {"tag": "vip"},
    )


def test_friend_of_another_account_cannot_be_tagged(account, other_account, alice):
    stranger = make_friend(other_account)
    with assert_unchanged(), pytest.raises(ApplicationError):
        friend_tag_add(account=account, actor=alice, friend=stranger, name="vip")
    assert Tag.objects.count() == 0


def test_tag_delete_untags_everyone(account, alice):
    vip = TagFactory(account=account, name="vip")
    ann, ben = make_friend(account, tags=[vip]), make_friend(account, tags=[vip])
    tag_delete(account=account, actor=alice, tag=vip)
    assert (tag_names(ann), tag_names(ben)) == ([], [])
    assert audit(account) == [("alice", "tag.delete", "vip", {})]


# --- Bulk tagging ------------------------------------------------------------


def test_bulk_add_tags_only_the_filtered_untagged_friends_in_one_statement(
    account, alice, crowd, django_assert_num_queries
):
    # female friends: Ann (already vip), Cai (already vip), Eve
    # savepoint, one INSERT … SELECT, the audit row, release
    with django_assert_num_queries(4):
        count = friends_tag_bulk(
            account=account,
            actor=alice,
            filters=FriendFilters(genders=("female",)),
            tag=crowd["vip"],
        )
    assert count == 1
    tagged = set(crowd["vip"].friends.values_list("line_user__display_name", flat=True))
    assert tagged == {"Ann", "Cai", "Eve"}
    assert crowd["other_tag"].friends.count() == 1
    assert audit(account)[-1] == (
        "alice",
        "friends.tag_bulk_add",
        "vip",
        {"count": 1, "filters": {"genders": ["female"]}},
    )


def test_bulk_remove_untags_only_the_filtered_friends_in_one_statement(
    account, alice, crowd, django_assert_num_queries
):
    # savepoint, one DELETE … WHERE friend_id IN (SELECT …), audit, release
    with django_assert_num_queries(4):
        count = friends_tag_bulk(
            account=account,
            actor=alice,
            filters=FriendFilters(status=Friend.Status.BLOCKED),
            tag=crowd["vip"],
            remove=True,
        )
    assert count == 1
    assert set(
        crowd["vip"].friends.values_list("line_user__display_name", flat=True)
    ) == {"Ann"}
    assert audit(account)[-1][1:] == (
        "friends.tag_bulk_remove",
        "vip",
        {"count": 1, "filters": {"status": "blocked"}},
    )


def test_bulk_tag_with_no_filters_covers_the_whole_account_only(account, alice, crowd):
    count = friends_tag_bulk(
        account=account, actor=alice, filters=FriendFilters(), tag=crowd["regular"]
    )
    assert count == 4  # six friends, Cai and Dan were tagged already
    assert crowd["regular"].friends.count() == 6
    assert crowd["other_tag"].friends.count() == 1


def test_bulk_tag_refuses_a_tag_of_another_account(account, alice, crowd):
    with assert_unchanged(), pytest.raises(ApplicationError):
        friends_tag_bulk(
            account=account,
            actor=alice,
            filters=FriendFilters(),
            tag=crowd["other_tag"],
        )
    assert crowd["other_tag"].friends.count() == 1
    assert not AuditLog.objects.filter(action__startswith="friends.").exists()


# --- Custom fields -------------------------------------------------------------


def test_custom_field_create_cleans_choices(account, alice):
    field = custom_field_create(
        account=account,
        actor=alice,
        name="Plan",
        kind="choice",
        choices=[" Gold ", "Silver", "", "Gold"],
    )
    assert (field.kind, field.choices) == ("choice", ["Gold", "Silver"])
    text = custom_field_create(
        account=account, actor=alice, name="Memo", kind="text", choices=["ignored"]
    )
    assert text.choices == []
    assert audit(account) == [
        (
            "alice",
            "custom_field.create",
            "Plan",
            {"kind": "choice", "choices": ["Gold", "Silver"]},
        ),
        ("alice", "custom_field.create", "Memo", {"kind": "text", "choices": []}),
    ]


@pytest.mark.parametrize(
    ("kwargs", "details"),
    [
        ({"name": "", "kind": "text"}, {"name": "Enter a name."}),
        ({"name": "Plan", "kind": "colour"}, {"kind": "Choose a valid type."}),
        (
            {"name": "Plan", "kind": "choice", "choices": [" "]},
            {"choices": "Give at least one choice."},
        ),
        (
            {"name": "Birthday", "kind": "date"},
            {"name": "A field with this name already exists."},
        ),
    ],
)
def test_custom_field_create_rejects_bad_definitions(account, alice, kwargs, details):
    CustomFieldFactory(account=account, name="Birthday", kind="date")
    with assert_unchanged(), pytest.raises(ApplicationError) as exc:
        custom_field_create(account=account, actor=alice, **kwargs)
    assert exc.value.details == details
    assert CustomField.objects.filter(account=account).count() == 1


@pytest.fixture
def fields(account):
    return {
        "memo": CustomFieldFactory(account=account, name="Memo", kind="text"),
        "visits": CustomFieldFactory(account=account, name="Visits", kind="number"),
        "birthday": CustomFieldFactory(account=account, name="Birthday", kind="date"),
        "plan": CustomFieldFactory(
            account=account, name="Plan", kind="choice", choices=["Gold", "Silver"]
        ),
    }


def stored(friend) -> dict:
    return {
        v.field.name: (v.value_text, v.value_number, v.value_date)
        for v in FriendFieldValue.objects.filter(friend=friend).select_related("field")
    }


def test_friend_fields_set_stores_each_kind_then_updates_and_clears(
    account, alice, fields
):
    friend = make_friend(account)
    friend_fields_set(
        account=account,
        actor=alice,
        friend=friend,
        values={
            fields["memo"].pk: "likes oat milk",
            fields["visits"].pk: Decimal("12.5"),
            fields["birthday"].pk: dt.date(1990, 4, 1),
            fields["plan"].pk: "Gold",
        },
    )
    assert stored(friend) == {
        "Memo": ("likes oat milk", None, None),
        "Visits": ("", Decimal("12.5000"), None),
        "Birthday": ("", None, dt.date(1990, 4, 1)),
        "Plan": ("Gold", None, None),
    }
    friend_fields_set(
        account=account,
        actor=alice,
        friend=friend,
        values={fields["visits"].pk: "13", fields["memo"].pk: ""},
    )
    assert stored(friend) == {
        "Visits": ("", Decimal("13.0000"), None),
        "Birthday": ("", None, dt.date(1990, 4, 1)),
        "Plan": ("Gold", None, None),
    }
    assert audit(account)[-1][1:] == (
        "friend.fields_update",
        friend.line_user.user_id,
        {"set": ["Visits"], "cleared": ["Memo"]},
    )


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("visits", "twelve", "Enter a number."),
        ("visits", "NaN", "Enter a number."),
        ("visits", "1.23456", "Use at most 4 decimal places."),
        ("visits", "100000000000000", "Enter a number."),
        ("birthday", "1990-02-30", "Enter a valid date."),
        ("plan", "Bronze", "Choose one of the field's choices."),
        ("memo", "x" * 501, "Use at most 500 characters."),
    ],
)
def test_friend_fields_set_validates_by_kind_and_writes_nothing(
    account, alice, fields, field, value, error
):
    friend = make_friend(account)
    with assert_unchanged(), pytest.raises(ApplicationError) as exc:
        friend_fields_set(
            account=account,
            actor=alice,
            friend=friend,
            values={fields["plan"].pk: "Silver", fields[field].pk: value},
        )
    assert exc.value.details == {f"field_{fields[field].pk}": error}
    assert stored(friend) == {}
    assert audit(account) == []


def test_friend_fields_set_refuses_a_field_of_another_account(
    account, other_account, alice
):
    foreign = CustomFieldFactory(account=other_account, name="Memo")
    friend = make_friend(account)
    with assert_unchanged(), pytest.raises(ApplicationError) as exc:
        friend_fields_set(
            account=account, actor=alice, friend=friend, values={foreign.pk: "hi"}
        )
    assert exc.value.details == {f"field_{foreign.pk}": "Unknown field."}
    assert stored(friend) == {}


def test_custom_field_delete_drops_its_values(account, alice, fields):
    friend = make_friend(account)
    friend_fields_set(
        account=account, actor=alice, friend=friend, values={fields["plan"].pk: "Gold"}
    )
    custom_field_delete(account=account, actor=alice, field=fields["plan"])
    assert stored(friend) == {}
    assert audit(account)[-1] == ("alice", "custom_field.delete", "Plan", {})


# --- Notes -------------------------------------------------------------------


def test_friend_note_add_and_delete(account, bob):
    friend = make_friend(account)
    note = friend_note_add(
        account=account, actor=bob, friend=friend, body="  Allergic to nuts.  "
    )
    note_id = note.pk
    assert (note.body, note.author) == ("Allergic to nuts.", bob)
    friend_note_delete(account=account, actor=bob, note=note)
    assert not FriendNote.objects.exists()
    user_id = friend.line_user.user_id
    assert audit(account) == [
        ("bob", "friend.note_add", user_id, {"note_id": note_id}),
        ("bob", "friend.note_delete", user_id, {"note_id": note_id}),
    ]


@pytest.mark.parametrize(
    ("body", "error"),
    [("   ", "Write something."), ("x" * 2001, "Use at most 2000 characters.")],
)
def test_friend_note_add_rejects_blank_or_long_bodies(account, bob, body, error):
    friend = make_friend(account)
    with assert_unchanged(), pytest.raises(ApplicationError) as exc:
        friend_note_add(account=account, actor=bob, friend=friend, body=body)
    assert exc.value.details == {"body": error}
    assert not FriendNote.objects.exists()


def test_friend_note_of_another_account_cannot_be_deleted(
    account, other_account, alice
):
    note = FriendNoteFactory(friend=make_friend(other_account))
    with assert_unchanged(), pytest.raises(ApplicationError):
        friend_note_delete(account=account, actor=alice, note=note)
    assert FriendNote.objects.filter(pk=note.pk).exists()
