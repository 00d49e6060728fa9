"""Inbox list filters and search, counts, paging, pinned query counts."""

import datetime as dt

import pytest
from django.db import connection
from freezegun import freeze_time

from chat import selectors
from chat.inbound import customer_block, customer_message_send
from chat.services import (
    chat_message_send,
    conversation_assign,
    conversation_mark_read,
    conversation_set_status,
    conversation_snooze,
)
from core.exceptions import NotFound
from messaging.friends.models import Friend, LineUser
from messaging.store.models import Message
from messaging.store.services import messages_send
from tests.chat.factories import customer_says, make_friend, talk
from tests.messaging.factories import TagFactory

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)


def _names(conversations) -> list[str]:
    return [c.friend.line_user.display_name for c in conversations]


def _inbox(account, user, **filters) -> list[str]:
    return _names(
        selectors.inbox_list(account=account, user=user, **filters).select_related(
            "friend__line_user"
        )
    )


@pytest.fixture
def inbox(account, other_account, alice, bob):
    """Five conversations of Demo Café in a known state, newest first:

    eve (blocked), dan (done), cai (snoozed, bob), ben (read, alice),
    ann (unread, tagged vip). Plus a look-alike "Ann" at Charlie's Bakery.
    """
    vip = TagFactory(account=account, name="vip")
    people = {}
    for minute, name in enumerate(["ann", "ben", "cai", "dan", "eve"]):
        with freeze_time(T0 + dt.timedelta(minutes=minute)):
            people[name] = talk(account, name.title(), f"Message from {name}")
    people["ann"].friend.tags.add(vip)
    conversation_mark_read(account=account, conversation_id=people["ben"].pk)
    conversation_assign(
        account=account,
        actor=alice,
        conversation_id=people["ben"].pk,
        assignee_id=alice.pk,
    )
    conversation_assign(
        account=account,
        actor=alice,
        conversation_id=people["cai"].pk,
        assignee_id=bob.pk,
    )
    conversation_snooze(
        account=account, actor=alice, conversation_id=people["cai"].pk, until=None
    )
    conversation_set_status(
        account=account, actor=alice, conversation_id=people["dan"].pk, status="done"
    )
    customer_block(friend=people["eve"].friend)
    with freeze_time(T0):
        talk(other_account, "Ann", "Message from ann")
    return {**people, "vip": vip}


def test_default_inbox_is_needs_action_of_friends(inbox, account, alice):
    assert _inbox(account, alice) == ["Ben", "Ann"]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"status": "any"}, ["Dan", "Cai", "Ben", "Ann"]),
        ({"status": "done"}, ["Dan"]),
        ({"status": "snoozed"}, ["Cai"]),
        (
            {"status": "any", "include_blocked": True},
            ["Eve", "Dan", "Cai", "Ben", "Ann"],
        ),
        ({"view": "mine"}, ["Ben"]),
        ({"view": "mine", "status": "any"}, ["Ben"]),
        ({"view": "unassigned"}, ["Ann"]),
        ({"view": "unassigned", "status": "any"}, ["Dan", "Ann"]),
        ({"unread": True}, ["Ann"]),
        ({"unread": True, "status": "any"}, ["Dan", "Cai", "Ann"]),
    ],
)
def test_inbox_filters(inbox, account, alice, filters, expected):
    assert _inbox(account, alice, **filters) == expected


def test_mine_is_per_user(inbox, account, bob):
    assert _inbox(account, bob, view="mine", status="snoozed") == ["Cai"]


def test_tag_filter_uses_the_accounts_tag_only(inbox, account, alice, other_account):
    assert _inbox(account, alice, tag_id=inbox["vip"].pk) == ["Ann"]
    foreign = TagFactory(account=other_account, name="vip")
    assert _inbox(account, alice, tag_id=foreign.pk) == []


def test_recent_activity_comes_first(inbox, account, alice):
    """A new customer message moves the conversation to the top."""
    with freeze_time(T0 + dt.timedelta(hours=1)):
        customer_says(inbox["ann"].friend, "Hello again")
    assert _inbox(account, alice) == ["Ann", "Ben"]


def test_broadcasts_do_not_reorder_the_inbox(inbox, account, alice):
    with freeze_time(T0 + dt.timedelta(hours=1)):
        messages_send(
            account=account,
            friends=[inbox["ben"].friend],
            messages=[{"type": "text", "text": "Sale today"}],
            source="broadcast",
        )
    assert _inbox(account, alice, status="any") == ["Dan", "Cai", "Ben", "Ann"]


# --- Search -----------------------------------------------------------------


@pytest.fixture
def searchable(account, other_account, alice):
    vip = TagFactory(account=account, name="常連VIP")
    people = {}
    with freeze_time(T0):
        people["hanako"] = talk(account, "山田花子", "明日の予約をお願いします")
    with freeze_time(T0 + dt.timedelta(minutes=1)):
        people["taro"] = talk(account, "Taro", "Do you sell OAT milk?")
    with freeze_time(T0 + dt.timedelta(minutes=2)):
        people["ken"] = talk(account, "Ken", "100% cotton?")
    people["ken"].friend.tags.add(vip)
    customer_message_send(
        friend=people["taro"].friend,
        message={"type": "sticker", "packageId": "446", "stickerId": "1988"},
    )
    chat_message_send(
        account=account,
        actor=alice,
        conversation_id=people["hanako"].pk,
        message={"type": "text", "text": "ご予約を承りました"},
    )
    with freeze_time(T0):
        talk(other_account, "山田花子", "予約 oat milk")
    return people


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("予約", ["山田花子"]),  # customer message text, Japanese, 2 chars
        ("承りました", ["山田花子"]),  # staff reply text
        ("oat milk", ["Taro"]),  # case-insensitive
        ("OAT MILK", ["Taro"]),
        ("山田", ["山田花子"]),  # customer name
        ("taro", ["Taro"]),
        ("常連", ["Ken"]),  # tag name
        ("vip", ["Ken"]),
        ("100%", ["Ken"]),  # % is literal, not a wildcard
        ("10_%", []),
        ("sticker", []),  # placeholder text of stickers is not content
        ("nothing like this", []),
        ("  oat  ", ["Taro"]),  # surrounding spaces ignored
    ],
)
def test_search_by_name_tag_or_message_text(searchable, account, alice, q, expected):
    assert _inbox(account, alice, q=q, status="any") == expected


def test_search_combines_with_filters(searchable, account, alice):
    conversation_set_status(
        account=account,
        actor=alice,
        conversation_id=searchable["taro"].pk,
        status="done",
    )
    assert _inbox(account, alice, q="oat") == []
    assert _inbox(account, alice, q="oat", status="done") == ["Taro"]


@pytest.fixture(params=["sparse", "dense"])
def search_path(request, monkeypatch):
    """Run a search test both ways: matches listed as ids, and the walk.

    With ``SEARCH_SPARSE_MATCHES`` at 0 every source with a match counts as
    dense, so the per-conversation tests (SQL and chunked walk) run.
    """
    if request.param == "dense":
        monkeypatch.setattr(selectors, "SEARCH_SPARSE_MATCHES", 0)
        monkeypatch.setattr(selectors, "SEARCH_WALK_CHUNK", 2)
    return request.param


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("予約", ["山田花子"]),
        ("oat milk", ["Taro"]),
        ("山田", ["山田花子"]),
        ("vip", ["Ken"]),
        ("100%", ["Ken"]),
        ("sticker", []),
        ("nothing like this", []),
    ],
)
def test_search_page_and_list_agree_on_both_paths(
    searchable, account, alice, search_path, q, expected
):
    page = selectors.inbox_page(account=account, user=alice, q=q, status="any")
    assert _names(page.conversations) == expected
    assert _inbox(account, alice, q=q, status="any") == expected


def test_dense_search_walk_pages_by_keyset(account, alice, monkeypatch):
    """A dense search still pages through every match exactly once."""
    monkeypatch.setattr(selectors, "SEARCH_SPARSE_MATCHES", 1)
    monkeypatch.setattr(selectors, "SEARCH_WALK_CHUNK", 3)
    for minute in range(9):
        with freeze_time(T0 + dt.timedelta(minutes=minute)):
            text = "予約したい" if minute % 3 else "こんにちは"
            talk(account, f"C{minute}", text)
    seen, cursor = [], None
    for _page in range(4):
        page = selectors.inbox_page(
            account=account, user=alice, q="予約", cursor=cursor, size=2
        )
        seen.append(_names(page.conversations))
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == [["C8", "C7"], ["C5", "C4"], ["C2", "C1"]]


@pytest.mark.parametrize(
    ("model", "field", "q", "index"),
    [
        (Message, "text", "予約", "chat_message_text_bigrams"),
        (LineUser, "display_name", "花子", "chat_lineuser_name_bigrams"),
    ],
)
def test_search_sql_can_use_the_bigram_indexes(model, field, q, index):
    """The SQL the selector generates is served by the migration's index."""
    qs = selectors._contains(model.objects.all(), field, q).values("pk")
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        # Tiny test tables: take plain scans away so that the planner shows
        # whether the bigram index can serve the condition at all.
        for scan in ("seqscan", "indexscan", "indexonlyscan"):
            cursor.execute(f"SET LOCAL enable_{scan} = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert index in plan


def test_chat_bigrams_function():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT chat_bigrams('予約予約'), chat_bigrams('Oat'), chat_bigrams('x')"
        )
        assert cursor.fetchone() == (["予約", "約予"], ["AT", "OA"], [])


# --- Counts -----------------------------------------------------------------


def test_inbox_counts(inbox, account, alice, bob):
    # needs action: ann (unassigned), ben (alice); cai snoozed (bob); dan done
    assert selectors.inbox_counts(account=account, user=alice) == {
        "all": 2,
        "mine": 1,
        "unassigned": 1,
        "unread": 3,
        "needs_action": 2,
        "snoozed": 1,
        "done": 1,
        "any": 4,
    }
    assert selectors.inbox_counts(account=account, user=bob)["mine"] == 0


def test_counts_follow_the_selected_view_and_status(inbox, account, alice, bob):
    """After "Mark done" the Done tab counts it; no "All 0" over done chats."""
    done = selectors.inbox_counts(account=account, user=alice, status="done")
    assert (done["all"], done["mine"], done["unassigned"]) == (1, 0, 1)
    bobs = selectors.inbox_counts(account=account, user=bob, view="mine")
    assert (bobs["needs_action"], bobs["snoozed"], bobs["done"], bobs["any"]) == (
        0,
        1,
        0,
        1,
    )


def test_unread_conversation_count_leaves_out_blocked(inbox, account):
    # ann, cai and dan are unread; eve is unread but blocked
    assert selectors.unread_conversation_count(account=account) == 3


# --- Paging and query counts -----------------------------------------------------


def test_inbox_pages_by_keyset(account, alice):
    # given five conversations, two of them at the same instant
    for minute, name in [(0, "A"), (1, "B"), (1, "C"), (2, "D"), (3, "E")]:
        with freeze_time(T0 + dt.timedelta(minutes=minute)):
            talk(account, name)
    # when paging two at a time
    seen, cursor = [], None
    for _page in range(3):
        page = selectors.inbox_page(account=account, user=alice, cursor=cursor, size=2)
        seen.append(_names(page.conversations))
        cursor = page.next_cursor
    # then every conversation appears once, newest first
    assert seen == [["E", "D"], ["C", "B"], ["A"]]
    assert cursor is None


def test_bad_cursor_is_not_found(account, alice):
    with pytest.raises(NotFound):
        selectors.inbox_page(account=account, user=alice, cursor="x.y")


def test_inbox_page_query_count_is_pinned(account, alice, django_assert_num_queries):
    """Rows with friend, profile, assignee, latest message; then tags. A
    search adds its three probes (names, tags, messages)."""
    tag = TagFactory(account=account, name="vip")

    def grow(n):
        for i in range(n):
            conversation = talk(account, f"C{i}", f"Text {i}")
            conversation.friend.tags.add(tag)
            conversation_assign(
                account=account,
                actor=alice,
                conversation_id=conversation.pk,
                assignee_id=alice.pk,
            )

    grow(3)
    with django_assert_num_queries(2):
        selectors.inbox_page(account=account, user=alice)
    grow(9)
    with django_assert_num_queries(2):
        page = selectors.inbox_page(account=account, user=alice)
    with django_assert_num_queries(5):
        searched = selectors.inbox_page(account=account, user=alice, q="text")
        rows = [
            (
                c.friend.line_user.display_name,
                c.assignee.username,
                c.last_text,
                [t.name for t in c.friend.tags.all()],
            )
            for c in searched.conversations
        ]
    assert len(page.conversations) == 12
    assert len(rows) == 12
    assert rows[0] == ("C8", "alice", "Text 8", ["vip"])


def test_inbox_page_shows_the_rooms_latest_message(account, alice):
    conversation = talk(account, "Ann", "Question?")
    chat_message_send(
        account=account,
        actor=alice,
        conversation_id=conversation.pk,
        message={"type": "sticker", "packageId": "446", "stickerId": "1990"},
    )
    [row] = selectors.inbox_page(account=account, user=alice).conversations
    assert (row.last_text, row.last_type, row.last_direction) == (
        "[Sticker]",
        "sticker",
        "out",
    )


def test_conversation_messages_page_newest_first(
    account, alice, django_assert_num_queries
):
    # given a conversation with 7 messages
    friend = make_friend(account)
    for i in range(7):
        customer_says(friend, f"m{i}")
    conversation = friend.conversation
    # when reading it 3 at a time
    with django_assert_num_queries(1):
        first = selectors.conversation_messages(conversation=conversation, size=3)
    second = selectors.conversation_messages(
        conversation=conversation, before=first.earlier_cursor, size=3
    )
    third = selectors.conversation_messages(
        conversation=conversation, before=second.earlier_cursor, size=3
    )
    # then pages run backwards, each shown oldest first
    texts = [[m.text for m in p.messages] for p in (first, second, third)]
    assert texts == [["m4", "m5", "m6"], ["m1", "m2", "m3"], ["m0"]]
    assert third.earlier_cursor is None


def test_conversation_messages_after(account):
    friend = make_friend(account)
    rows = [customer_says(friend, f"m{i}") for i in range(4)]
    after = selectors.conversation_messages_after(
        conversation=friend.conversation, after=rows[1].pk
    )
    assert [m.text for m in after] == ["m2", "m3"]


def test_conversation_get_of_another_account_is_not_found(account, other_account):
    conversation = talk(account)
    assert (
        selectors.conversation_get(account=account, conversation_id=conversation.pk)
        == conversation
    )
    for bad in (conversation.pk, 999999, "abc", None):
        with pytest.raises(NotFound):
            selectors.conversation_get(account=other_account, conversation_id=bad)


def test_reply_window_for_friends_and_non_friends(account):
    with freeze_time(T0):
        conversation = talk(account)
    friend = Friend.objects.get(pk=conversation.friend_id)
    assert selectors.reply_window(
        account=account,
        conversation=conversation,
        friend=friend,
        now=T0 + dt.timedelta(days=30),
    ).open
    customer_block(friend=friend)
    friend.refresh_from_db()
    window = selectors.reply_window(
        account=account,
        conversation=conversation,
        friend=friend,
        now=T0 + dt.timedelta(days=1),
    )
    assert (window.open, window.closes_at) == (True, T0 + dt.timedelta(days=7))
    closed = selectors.reply_window(
        account=account,
        conversation=conversation,
        friend=friend,
        now=T0 + dt.timedelta(days=7),
    )
    assert closed.open is False
    assert "only within 7 days" in closed.reason
