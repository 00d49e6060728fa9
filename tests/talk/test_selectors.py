import pytest

from chat.inbound import customer_block
from core.exceptions import NotFound
from messaging.friends.services import friend_source_create
from messaging.store.models import Message
from messaging.store.services import (
    messages_mark_opened,
    messages_mark_read,
    messages_send,
)
from talk import selectors, services
from talk.models import PersonaOwner, TalkAccount
from tests.talk.factories import befriend, make_persona

pytestmark = pytest.mark.django_db


def _push(account, friend, *texts):
    return messages_send(
        account=account,
        friends=[friend],
        messages=[{"type": "text", "text": t} for t in texts],
        source=Message.Source.CHAT,
    )


def test_room_list_is_the_personas_rooms_newest_first(account, other_account):
    # given Hanako follows two accounts and blocked nothing, Ken follows one
    hanako, ken = make_persona("Hanako"), make_persona("Ken")
    cafe = befriend(account, hanako)
    bakery = befriend(other_account, hanako)
    befriend(account, ken)
    _push(account, cafe, "Coupon inside", "Open till 8")
    _push(other_account, bakery, "Fresh bread")
    services.text_send(friend=bakery, text="Thanks!")
    # when her rooms are listed
    rooms = selectors.room_list(line_user=hanako)
    # then the bakery (latest activity) comes first, with its last message,
    # and the café shows two unread messages
    assert [(r.account.display_name, r.last_text, r.unread) for r in rooms] == [
        ("Charlie's Bakery", "Thanks!", 1),
        ("Demo Café", "Open till 8", 2),
    ]
    assert {r.last_direction for r in rooms} == {"in", "out"}


def test_room_list_counts_opened_messages_as_read_and_lists_blocked_last(
    account, other_account
):
    persona = make_persona()
    cafe = befriend(account, persona)
    bakery = befriend(other_account, persona)
    rows = _push(account, cafe, "one", "two")
    messages_mark_opened(friend=cafe, up_to_id=rows[0].pk)
    customer_block(friend=bakery)
    rooms = selectors.room_list(line_user=persona)
    assert [(r.account_id, r.status, r.unread) for r in rooms] == [
        (account.pk, "following", 1),
        (other_account.pk, "blocked", None),
    ]


def test_room_list_of_a_new_persona_is_empty(account):
    befriend(account, make_persona("Someone else"))
    assert selectors.room_list(line_user=make_persona("New")) == []


def test_room_get_is_404_for_another_customers_room(account):
    hanako, ken = make_persona("Hanako"), make_persona("Ken")
    hanakos_room = befriend(account, hanako)
    assert selectors.room_get(line_user=hanako, friend_id=hanakos_room.pk).pk == (
        hanakos_room.pk
    )
    with pytest.raises(NotFound):
        selectors.room_get(line_user=ken, friend_id=hanakos_room.pk)
    with pytest.raises(NotFound):
        selectors.room_get(line_user=hanako, friend_id=hanakos_room.pk + 1000)


def test_room_messages_pages_by_id(account):
    friend = befriend(account, make_persona())
    rows = _push(account, friend, *[f"m{i}" for i in range(5)])
    ids = [m.pk for m in rows]

    def texts(**kwargs):
        return [m.text for m in selectors.room_messages(friend=friend, **kwargs)]

    assert texts(limit=3) == ["m2", "m3", "m4"]
    assert texts(limit=3, before=ids[2]) == ["m0", "m1"]
    assert texts(after=ids[1]) == ["m2", "m3", "m4"]
    assert texts(after=ids[1], limit=2) == ["m2", "m3"]
    assert texts(after=ids[4]) == []


def test_room_messages_never_include_other_rooms(account):
    mine = befriend(account, make_persona("A"))
    theirs = befriend(account, make_persona("B"))
    _push(account, theirs, "not yours")
    _push(account, mine, "yours")
    assert [m.text for m in selectors.room_messages(friend=mine)] == ["yours"]


def test_room_read_up_to_is_the_newest_read_customer_message(account):
    friend = befriend(account, make_persona())
    assert selectors.room_read_up_to(friend=friend) is None
    first = services.text_send(friend=friend, text="one")
    second = services.text_send(friend=friend, text="two")
    services.text_send(friend=friend, text="three")
    messages_mark_read(friend=friend, up_to_id=second.pk)
    assert selectors.room_read_up_to(friend=friend) == second.pk
    assert first.pk < second.pk


def test_account_get_public_by_basic_or_premium_id(account):
    account.premium_id = "@demo.cafe"
    account.save(update_fields=["premium_id"])
    assert selectors.account_get_public(basic_id=account.basic_id) == account
    assert selectors.account_get_public(basic_id=account.basic_id[1:].upper()) == (
        account
    )
    assert selectors.account_get_public(basic_id="@demo.cafe") == account
    assert selectors.account_get_public(basic_id="@nosuchid") is None


def test_friend_source_get_is_scoped_to_the_account(account, other_account, charlie):
    theirs = friend_source_create(account=other_account, actor=charlie, name="flyer")
    assert selectors.friend_source_get(account=account, code=theirs.code) is None
    assert selectors.friend_source_get(account=other_account, code=theirs.code) == (
        theirs
    )
    assert selectors.friend_source_get(account=account, code="") is None


def _own(account, *personas):
    for persona in personas:
        PersonaOwner.objects.create(line_user=persona, owner=account)


def test_persona_list_is_the_logins_own_newest_first_and_searchable():
    mine = TalkAccount.objects.create(login="me", password="!")
    theirs = TalkAccount.objects.create(login="them", password="!")
    a, b, c = make_persona("Aoi"), make_persona("Ken"), make_persona("Kenta")
    other = make_persona("Ken Other")
    _own(mine, a, b, c)
    _own(theirs, other)
    assert list(selectors.persona_list(talk_account_id=mine.pk)) == [c, b, a]
    assert list(selectors.persona_list(talk_account_id=mine.pk, query="ken")) == [
        c,
        b,
    ]
    assert list(selectors.persona_list(talk_account_id=mine.pk, query=a.user_id)) == [a]
    assert list(selectors.persona_list(talk_account_id=mine.pk, limit=1)) == [c]
    assert selectors.persona_get(talk_account_id=mine.pk, persona_id=other.pk) is None
    assert selectors.persona_get(talk_account_id=mine.pk, persona_id=a.pk) == a


@pytest.mark.parametrize("value", [None, "", "abc", "1.5"])
def test_persona_get_ignores_garbage(value):
    assert selectors.persona_get(talk_account_id=1, persona_id=value) is None
