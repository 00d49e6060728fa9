"""Chat pages: rendering, actions (form and fetch), tenancy, roles, queries."""

import datetime as dt
import re

import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse
from freezegun import freeze_time

from chat.inbound import customer_block
from chat.models import BusinessHours, CannedReply, ChatSettings, Conversation
from chat.services import chat_message_send, conversation_assign
from messaging.friends.models import FriendNote
from messaging.store.models import Message
from tests.chat.factories import (
    CannedReplyFactory,
    customer_says,
    image_bytes,
    image_upload,
    media_files,
    talk,
)
from tests.conftest import _client_for
from tests.messaging.factories import TagFactory
from tests.unchanged import assert_unchanged

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)
FETCH = {"HTTP_X_REQUESTED_WITH": "fetch"}


def url(account, name, *args):
    return reverse(f"chat:{name}", args=[account.slug, *args])


def _outbound() -> int:
    return Message.objects.filter(direction=Message.Direction.OUTBOUND).count()


# --- Inbox --------------------------------------------------------------------


def test_inbox_lists_conversations_with_unread_counts(alice_client, account):
    # given two customers, one with two unread messages
    with freeze_time(T0):
        ann = talk(account, "Ann", "Hello")
    with freeze_time(T0 + dt.timedelta(minutes=1)):
        talk(account, "Ben", "Hi")
    with freeze_time(T0 + dt.timedelta(minutes=2)):
        customer_says(ann.friend, "Are you there?")
    # when alice opens the inbox
    response = alice_client.get(url(account, "inbox"))
    # then both are listed, latest activity first, with their unread counts
    assert response.status_code == 200
    rows = response.context["page"].conversations
    assert [(c.friend.line_user.display_name, c.unread_count) for c in rows] == [
        ("Ann", 2),
        ("Ben", 1),
    ]
    html = response.content.decode()
    assert 'data-testid="unread-count"' in html
    assert "Are you there?" in html
    assert response.context["counts"] == {
        "all": 2,
        "mine": 0,
        "unassigned": 2,
        "unread": 2,
        "needs_action": 2,
        "snoozed": 0,
        "done": 0,
        "any": 2,
    }


def test_inbox_filters_and_search_from_the_query_string(alice_client, account, alice):
    ann = talk(account, "Ann", "Do you sell oat milk?")
    talk(account, "Ben", "Hello")
    conversation_assign(
        account=account, actor=alice, conversation_id=ann.pk, assignee_id=alice.pk
    )
    for query, expected in [
        ("?q=oat", ["Ann"]),
        ("?view=mine", ["Ann"]),
        ("?view=unassigned", ["Ben"]),
        ("?status=done", []),
        ("?q=nobody", []),
    ]:
        response = alice_client.get(url(account, "inbox") + query)
        names = [
            c.friend.line_user.display_name
            for c in response.context["page"].conversations
        ]
        assert (query, names) == (query, expected)


def test_inbox_query_count_is_pinned(alice_client, account, django_assert_num_queries):
    """The inbox costs the same number of queries for 3 or 30 conversations."""
    tag = TagFactory(account=account, name="vip")

    def grow(n):
        for _i in range(n):
            conversation = talk(account, f"C{Conversation.objects.count()}", "Hi")
            conversation.friend.tags.add(tag)

    grow(3)
    # session, user, membership; chat on?; tags (filter form); inbox rows +
    # their tags; counts; the account switcher and quota banner (base.html)
    with django_assert_num_queries(10):
        assert alice_client.get(url(account, "inbox")).status_code == 200
    grow(27)
    with django_assert_num_queries(10):
        response = alice_client.get(url(account, "inbox"))
    assert len(response.context["page"].conversations) == 30


def test_status_tabs_count_done_conversations(alice_client, account):
    """After "Mark done" the Done tab shows it (no "All 0" over done chats)."""
    conversation = talk(account, "Ann", "Hello")
    talk(account, "Ben", "Hi")
    alice_client.post(url(account, "status", conversation.pk), {"status": "done"})
    page = alice_client.get(url(account, "inbox")).content.decode()
    assert '<b class="count" data-count="needs_action">1</b>' in page
    assert '<b class="count" data-count="done">1</b>' in page
    assert '<b class="count" data-count="any">2</b>' in page
    done = alice_client.get(url(account, "inbox-json"), {"status": "done"}).json()
    assert (done["counts"]["all"], done["counts"]["done"]) == (1, 1)
    assert done["html"].count('data-testid="conversation-row"') == 1


def test_inbox_json_and_unread_json(alice_client, account):
    talk(account, "Ann", "Hello")
    talk(account, "Ben", "Hi")
    data = alice_client.get(url(account, "inbox-json")).json()
    assert data["counts"] == {
        "all": 2,
        "mine": 0,
        "unassigned": 2,
        "unread": 2,
        "needs_action": 2,
        "snoozed": 0,
        "done": 0,
        "any": 2,
    }
    assert data["html"].count('data-testid="conversation-row"') == 2
    assert alice_client.get(url(account, "unread-json")).json() == {"unread": 2}


def test_nav_has_the_chat_link_with_its_badge(alice_client, account):
    response = alice_client.get(reverse("analytics:home", args=[account.slug]))
    html = response.content.decode()
    assert f'href="{url(account, "inbox")}"' in html
    assert f'data-chat-unread-url="{url(account, "unread-json")}"' in html


# --- Conversation page ------------------------------------------------------------


def test_conversation_page_shows_history_and_writes_nothing(
    alice_client, account, alice
):
    # given a conversation with a greeting-like account message and two
    # customer messages
    conversation = talk(account, "Ann", "Hello")
    chat_message_send(
        account=account,
        actor=alice,
        conversation_id=conversation.pk,
        message={"type": "text", "text": "Welcome!"},
    )
    customer_says(conversation.friend, "Table for two?")
    before = Conversation.objects.values().get()
    # when alice opens it
    response = alice_client.get(url(account, "conversation", conversation.pk))
    # then the history is shown oldest first
    assert response.status_code == 200
    assert [m.text for m in response.context["rows"]] == [
        "Hello",
        "Welcome!",
        "Table for two?",
    ]
    html = response.content.decode()
    assert 'data-testid="reply-text"' in html
    assert "Table for two?" in html
    # and nothing is read yet: inbox.js posts the read mark once it is shown
    assert Message.objects.filter(read_at__isnull=False).count() == 0
    assert Conversation.objects.values().get() == before
    last = Message.objects.latest("id").pk
    assert f'data-last-id="{last}"' in html
    assert f'data-read-url="{url(account, "read", conversation.pk)}"' in html


def test_conversation_page_query_count_is_pinned(
    alice_client, account, alice, django_assert_num_queries
):
    """Same number of queries with 3 or 40 messages, tags, notes, replies."""
    conversation = talk(account, "Ann", "Hello")
    tag = TagFactory(account=account, name="vip")
    conversation.friend.tags.add(tag)
    CannedReplyFactory(account=account)

    def grow(n):
        for i in range(n):
            customer_says(conversation.friend, f"Question {i}")
            chat_message_send(
                account=account,
                actor=alice,
                conversation_id=conversation.pk,
                message={"type": "text", "text": f"Answer {i}"},
            )
            FriendNote.objects.create(
                friend=conversation.friend, author=alice, body="n"
            )

    grow(1)
    page = url(account, "conversation", conversation.pk)
    # session, user, membership; conversation; messages; tags (filter form);
    # canned replies; inbox rows + tags; counts; friend tags; account
    # switcher; staff; all tags; notes; running coupons (the coupon
    # picker). Reads only: a GET never writes.
    with django_assert_num_queries(17) as captured:
        assert alice_client.get(page).status_code == 200
    assert all(q["sql"].startswith("SELECT") for q in captured.captured_queries)
    grow(20)
    with django_assert_num_queries(17):
        response = alice_client.get(page)
    assert len(response.context["rows"]) == 30


def test_messages_json_returns_new_bubbles_and_writes_nothing(alice_client, account):
    conversation = talk(account, "Ann", "Hello")
    first = Message.objects.get()
    customer_says(conversation.friend, "Second")
    before = Conversation.objects.values().get()
    # (the old "&read=1" of the polling page is ignored: a GET never writes)
    data = alice_client.get(
        url(account, "conversation-messages", conversation.pk)
        + f"?after={first.pk}&read=1"
    ).json()
    assert [m["id"] for m in data["messages"]] == [first.pk + 1]
    assert "Second" in data["messages"][0]["html"]
    assert data["status"] == "needs_action"
    assert data["composer_open"] is True
    assert Message.objects.filter(read_at__isnull=False).count() == 0
    assert Conversation.objects.values().get() == before


# --- Read marks -----------------------------------------------------------------


def _read_texts() -> list[str]:
    return list(
        Message.objects.filter(read_at__isnull=False)
        .order_by("id")
        .values_list("text", flat=True)
    )


def test_read_post_marks_the_customers_messages_and_clears_unread(
    alice_client, account, alice, events, django_capture_on_commit_callbacks
):
    # given Ann wrote twice and alice answered in between
    conversation = talk(account, "Ann", "Hello")
    chat_message_send(
        account=account,
        actor=alice,
        conversation_id=conversation.pk,
        message={"type": "text", "text": "Welcome!"},
    )
    last = customer_says(conversation.friend, "Table for two?")
    # when inbox.js reports the conversation shown up to Ann's last message
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(
            url(account, "read", conversation.pk), {"up_to_id": last.pk}, **FETCH
        )
    # then her messages are read (not alice's reply) and unread clears
    assert response.status_code == 200
    assert response.json() == {"read": 2}
    assert _read_texts() == ["Hello", "Table for two?"]
    conversation.refresh_from_db()
    assert conversation.unread_count == 0
    assert alice_client.get(url(account, "unread-json")).json() == {"unread": 0}
    # and Ann's talk app is told (it shows 既読), as is the inbox
    [read] = events(f"lineuser.{conversation.friend.line_user_id}")
    assert (read["type"], read["friend_id"]) == ("message.read", conversation.friend_id)
    changes = [e.get("change") for e in events(f"account.{account.pk}")]
    assert "read" in changes
    # and a repeated post changes nothing
    again = alice_client.post(
        url(account, "read", conversation.pk), {"up_to_id": last.pk}, **FETCH
    )
    assert again.json() == {"read": 0}


def test_operator_without_delivery_marks_read(account, dora):
    """Reading needs what the conversation page needs: ``Perm.CHAT``."""
    conversation = talk(account)
    response = _client_for(dora).post(
        url(account, "read", conversation.pk),
        {"up_to_id": Message.objects.get().pk},
        **FETCH,
    )
    assert response.status_code == 200
    assert _read_texts() == ["Hello"]


def test_read_post_leaves_messages_after_up_to_id_unread(alice_client, account):
    conversation = talk(account, "Ann", "Hello")
    shown = Message.objects.get()
    customer_says(conversation.friend, "Not shown yet")
    alice_client.post(url(account, "read", conversation.pk), {"up_to_id": shown.pk})
    assert _read_texts() == ["Hello"]
    conversation.refresh_from_db()
    assert conversation.unread_count == 1


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"up_to_id": ""},
        {"up_to_id": "x"},
        {"up_to_id": "1.5"},
        {"up_to_id": "-1"},
        {"up_to_id": str(2**63)},
    ],
    ids=["missing", "empty", "word", "decimal", "negative", "too-big"],
)
def test_read_post_with_a_bad_up_to_id_is_400_and_writes_nothing(
    alice_client, account, data
):
    conversation = talk(account)
    before = Conversation.objects.values().get()
    with assert_unchanged():
        response = alice_client.post(
            url(account, "read", conversation.pk), data, **FETCH
        )
    assert response.status_code == 400
    assert response.json() == {"error": "Give the id of the last message shown."}
    assert _read_texts() == []
    assert Conversation.objects.values().get() == before


def test_read_is_post_only_and_csrf_protected(alice, account):
    conversation = talk(account)
    message = Message.objects.get()
    client = _client_for(alice)
    client.handler.enforce_csrf_checks = True
    target = url(account, "read", conversation.pk)
    assert client.get(target).status_code == 405
    # a post from another site (no token) is refused
    with assert_unchanged():
        assert client.post(target, {"up_to_id": message.pk}).status_code == 403
    assert _read_texts() == []
    # the conversation page hands inbox.js its token
    html = client.get(url(account, "conversation", conversation.pk)).content.decode()
    token = re.search(r'id="chat-app"[^>]*data-csrf-token="(\w+)"', html)[1]
    response = client.post(
        target, {"up_to_id": message.pk}, HTTP_X_CSRFTOKEN=token, **FETCH
    )
    assert response.status_code == 200
    assert _read_texts() == ["Hello"]


def test_closed_reply_window_is_explained_in_the_send_box(alice_client, account):
    with freeze_time(T0):
        conversation = talk(account)
    customer_block(friend=conversation.friend)
    with freeze_time(T0 + dt.timedelta(days=8)):
        response = alice_client.get(url(account, "conversation", conversation.pk))
    html = response.content.decode()
    assert response.context["window"].open is False
    assert "only within 7 days of their last message" in html
    assert 'id="composer" hidden' in html


# --- Actions ------------------------------------------------------------------------


def test_send_text_by_form_redirects_back(alice_client, account):
    conversation = talk(account)
    response = alice_client.post(
        url(account, "send", conversation.pk), {"text": "Hello from the shop"}
    )
    assert response.status_code == 302
    assert response["Location"] == url(account, "conversation", conversation.pk)
    row = Message.objects.get(direction="out")
    assert (row.text, row.source, row.sent_by.username) == (
        "Hello from the shop",
        "chat",
        "alice",
    )


def test_send_keeps_the_list_filters_in_the_redirect(alice_client, account):
    conversation = talk(account)
    back = url(account, "conversation", conversation.pk) + "?view=mine&q=x"
    response = alice_client.post(
        url(account, "send", conversation.pk), {"text": "Hi", "next": back}
    )
    assert response["Location"] == back


def test_send_refuses_a_foreign_next_url(alice_client, account):
    conversation = talk(account)
    response = alice_client.post(
        url(account, "send", conversation.pk),
        {"text": "Hi", "next": "https://evil.example/"},
    )
    assert response["Location"] == url(account, "conversation", conversation.pk)


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"text": ""}, "Type a message first."),
        ({"text": "x" * 5001}, "A message can be at most 5000 characters long."),
        ({"sticker_id": "99"}, "There is no such sticker."),
        ({"kind": "image"}, "Choose a photo to send."),
    ],
)
def test_bad_send_by_fetch_answers_400_and_writes_nothing(
    alice_client, account, data, error
):
    conversation = talk(account)
    with assert_unchanged():
        response = alice_client.post(
            url(account, "send", conversation.pk), data, **FETCH
        )
    assert response.status_code == 400
    assert response.json() == {"error": error}
    assert _outbound() == 0


def test_send_sticker_and_photo_by_fetch(alice_client, account, settings):
    conversation = talk(account)
    sticker = alice_client.post(
        url(account, "send", conversation.pk), {"sticker_id": "1991"}, **FETCH
    )
    photo = alice_client.post(
        url(account, "send", conversation.pk),
        {"kind": "image", "image": image_upload(image_bytes("PNG"), name="a.png")},
        **FETCH,
    )
    assert (sticker.status_code, sticker.json()) == (200, {"ok": True})
    assert (photo.status_code, photo.json()) == (200, {"ok": True})
    assert list(
        Message.objects.filter(direction="out")
        .order_by("id")
        .values_list("type", flat=True)
    ) == ["sticker", "image"]
    assert len(media_files(settings)) == 2


def test_bad_photo_answers_400_and_writes_nothing(alice_client, account, settings):
    conversation = talk(account)
    with assert_unchanged():
        response = alice_client.post(
            url(account, "send", conversation.pk),
            {"image": image_upload(image_bytes("GIF"), name="a.gif")},
            **FETCH,
        )
    assert response.status_code == 400
    assert response.json() == {"error": "Upload a JPEG/PNG image."}
    assert media_files(settings) == []
    assert _outbound() == 0


def test_status_assign_note_tag_actions(alice_client, account, bob):
    conversation = talk(account)
    post = alice_client.post
    assert post(
        url(account, "status", conversation.pk), {"status": "done"}, **FETCH
    ).json() == {"ok": True}
    assert (
        post(
            url(account, "assign", conversation.pk), {"assignee": bob.pk}, **FETCH
        ).status_code
        == 200
    )
    assert (
        post(
            url(account, "note-add", conversation.pk), {"body": "VIP guest"}, **FETCH
        ).status_code
        == 200
    )
    assert (
        post(
            url(account, "tag-add", conversation.pk), {"name": "regular"}, **FETCH
        ).status_code
        == 200
    )
    conversation.refresh_from_db()
    assert (conversation.status, conversation.assignee) == ("done", bob)
    assert list(conversation.friend.notes.values_list("body", flat=True)) == [
        "VIP guest"
    ]
    tag = conversation.friend.tags.get()
    assert tag.name == "regular"
    response = post(url(account, "tag-remove", conversation.pk, tag.pk))
    assert response.status_code == 302
    assert conversation.friend.tags.count() == 0


def test_assign_to_a_non_member_answers_400(alice_client, account, charlie):
    conversation = talk(account)
    with assert_unchanged():
        response = alice_client.post(
            url(account, "assign", conversation.pk), {"assignee": charlie.pk}, **FETCH
        )
    assert response.status_code == 400
    assert response.json() == {"error": "Choose a staff member of this account."}
    conversation.refresh_from_db()
    assert conversation.assignee is None


def test_snooze_presets_and_custom_time(alice_client, account):
    """Presets are computed in the account's time zone (Asia/Tokyo)."""
    conversation = talk(account)
    snooze = url(account, "snooze", conversation.pk)
    with freeze_time(T0):  # Monday 10:00 in Tokyo
        alice_client.post(snooze, {"preset": "tomorrow"}, **FETCH)
    conversation.refresh_from_db()
    assert conversation.status == "snoozed"
    assert conversation.snoozed_until == dt.datetime(2026, 3, 3, 0, 0, tzinfo=dt.UTC)
    with freeze_time(T0):
        alice_client.post(
            snooze, {"preset": "custom", "until": "2026-03-05T15:30"}, **FETCH
        )
    conversation.refresh_from_db()
    assert conversation.snoozed_until == dt.datetime(2026, 3, 5, 6, 30, tzinfo=dt.UTC)
    with freeze_time(T0):
        alice_client.post(snooze, {"preset": "next_message"}, **FETCH)
    conversation.refresh_from_db()
    assert (conversation.status, conversation.snoozed_until) == ("snoozed", None)


def test_snooze_in_the_past_answers_400(alice_client, account):
    conversation = talk(account)
    with assert_unchanged(), freeze_time(T0):
        response = alice_client.post(
            url(account, "snooze", conversation.pk),
            {"preset": "custom", "until": "2026-03-02T09:59"},
            **FETCH,
        )
    assert response.status_code == 400
    assert response.json() == {"error": "Choose a time in the future."}
    conversation.refresh_from_db()
    assert conversation.status == "needs_action"


def test_failed_action_without_javascript_shows_a_message(alice_client, account):
    conversation = talk(account)
    response = alice_client.post(
        url(account, "send", conversation.pk), {"text": "  "}, follow=True
    )
    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]] == ["Type a message first."]
    assert _outbound() == 0


# --- CSV export ---------------------------------------------------------------------


def test_export_streams_the_date_range_in_the_accounts_days(
    alice_client, account, alice
):
    # given messages on 1, 2 and 3 March (Tokyo days)
    with freeze_time(dt.datetime(2026, 3, 1, 14, 59, tzinfo=dt.UTC)):  # 23:59 JST
        conversation = talk(account, "=Ann", "Before the range")
    with freeze_time(dt.datetime(2026, 3, 1, 15, 0, tzinfo=dt.UTC)):  # 3/2 00:00
        customer_says(conversation.friend, "Hello, 予約できますか")
    with freeze_time(dt.datetime(2026, 3, 2, 3, 0, tzinfo=dt.UTC)):
        chat_message_send(
            account=account,
            actor=alice,
            conversation_id=conversation.pk,
            message={"type": "text", "text": "Yes!"},
        )
    with freeze_time(dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)):  # 3/3 00:00
        customer_says(conversation.friend, "After the range")
    # when alice exports 2 March
    response = alice_client.get(
        url(account, "export") + "?start=2026-03-02&end=2026-03-02"
    )
    # then a streamed CSV holds exactly that day's messages
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Disposition"] == (
        f'attachment; filename="chat-{account.slug}-20260302-20260302.csv"'
    )
    body = b"".join(response.streaming_content).decode()
    user_id = conversation.friend.line_user.user_id
    assert body.splitlines() == [
        "\ufeffTime,User ID,Display name,Direction,Source,Type,Text,Staff,Read at",
        f"2026-03-02 00:00:00,{user_id},'=Ann,From customer,Customer,text,"
        '"Hello, 予約できますか",,',
        f"2026-03-02 12:00:00,{user_id},'=Ann,From account,Chat reply,text,Yes!,alice,",
    ]


def test_export_with_bad_dates_answers_400(alice_client, account):
    response = alice_client.get(
        url(account, "export") + "?start=2026-03-05&end=2026-03-01"
    )
    assert response.status_code == 400
    assert "The end date is before the start date." in response.content.decode()


# --- Canned replies and settings pages ------------------------------------------------


def test_canned_reply_pages(alice_client, account):
    response = alice_client.post(
        url(account, "canned-list"),
        {"title": "Hours", "shortcut": "hours", "text": "Open 10-18"},
    )
    assert response.status_code == 302
    reply = CannedReply.objects.get(account=account)
    assert alice_client.get(url(account, "canned-list")).status_code == 200
    response = alice_client.post(
        url(account, "canned-edit", reply.pk),
        {"title": "Opening hours", "shortcut": "hours", "text": "Open 10-18"},
    )
    assert response.status_code == 302
    reply.refresh_from_db()
    assert reply.title == "Opening hours"
    alice_client.post(url(account, "canned-delete", reply.pk))
    assert CannedReply.objects.count() == 0


def test_canned_reply_with_a_taken_shortcut_answers_400(alice_client, account):
    CannedReplyFactory(account=account, shortcut="hi")
    with assert_unchanged():
        response = alice_client.post(
            url(account, "canned-list"),
            {"title": "Hi", "shortcut": "hi", "text": "Hi!"},
        )
    assert response.status_code == 400
    assert "Another canned reply uses this shortcut." in response.content.decode()
    assert CannedReply.objects.count() == 1


def test_conversation_page_offers_the_canned_replies(alice_client, account):
    CannedReplyFactory(account=account, title="Hours", shortcut="hours", text="10-18")
    conversation = talk(account)
    response = alice_client.get(url(account, "conversation", conversation.pk))
    assert response.context["canned"] == [
        {"title": "Hours", "shortcut": "hours", "text": "10-18"}
    ]
    assert 'id="canned-data"' in response.content.decode()


def _settings_post(**extra):
    data = {
        "business_hours_enabled": "on",
        "away_message_enabled": "on",
        "away_message": "Closed now",
        "day_0": "10:00-12:00, 13:00 - 18:00",
        "day_5": "9:00-24:00",
    }
    data.update(extra)
    return data


def test_settings_page_saves_hours(alice_client, account):
    response = alice_client.post(url(account, "settings"), _settings_post())
    assert response.status_code == 302
    assert list(
        BusinessHours.objects.values_list("weekday", "opens_minute", "closes_minute")
    ) == [(0, 600, 720), (0, 780, 1080), (5, 540, 1440)]
    page = alice_client.get(url(account, "settings"))
    assert page.context["form"]["day_0"].value() == "10:00-12:00, 13:00-18:00"


@pytest.mark.parametrize(
    "day",
    ["10-12", "12:00-10:00", "25:00-26:00", "10:00-12:61", "10:00-12:00, 11:00-13:00"],
)
def test_settings_with_bad_hours_answers_400(alice_client, account, day):
    with assert_unchanged():
        response = alice_client.post(
            url(account, "settings"), _settings_post(day_0=day)
        )
    assert response.status_code == 400
    assert BusinessHours.objects.count() == 0
    assert ChatSettings.objects.count() == 0


# --- Roles ---------------------------------------------------------------------


def test_operator_without_delivery_can_chat(account, dora):
    """Chat replies are not deliveries: every role may answer customers."""
    client = _client_for(dora)
    conversation = talk(account)
    response = client.post(
        url(account, "send", conversation.pk), {"text": "Hi"}, **FETCH
    )
    assert response.status_code == 200
    assert Message.objects.get(direction="out").sent_by == dora


def test_operator_without_delivery_cannot_change_the_away_message(account, dora):
    client = _client_for(dora)
    page = client.get(url(account, "settings"))
    assert page.status_code == 200
    assert page.context["can_edit"] is False
    with assert_unchanged():
        response = client.post(url(account, "settings"), _settings_post())
    assert response.status_code == 403
    assert ChatSettings.objects.count() == 0


def test_operator_can_change_the_away_message(bob_client, account):
    response = bob_client.post(url(account, "settings"), _settings_post())
    assert response.status_code == 302
    assert ChatSettings.objects.get(account=account).away_message == "Closed now"


# --- Tenancy -------------------------------------------------------------------

GET_PAGES = [
    ("inbox", False),
    ("inbox-json", False),
    ("unread-json", False),
    ("export", False),
    ("canned-list", False),
    ("settings", False),
    ("conversation", True),
    ("conversation-messages", True),
]
POST_ACTIONS = [
    ("read", {"up_to_id": "1"}),
    ("send", {"text": "Hi"}),
    ("status", {"status": "done"}),
    ("snooze", {"preset": "next_message"}),
    ("assign", {"assignee": ""}),
    ("note-add", {"body": "x"}),
    ("tag-add", {"name": "x"}),
]


@pytest.mark.parametrize(("name", "with_id"), GET_PAGES)
def test_stranger_gets_404_on_every_page(charlie_client, account, name, with_id):
    conversation = talk(account)
    args = [conversation.pk] if with_id else []
    response = charlie_client.get(
        url(account, name, *args) + "?start=2026-01-01&end=2026-01-02"
    )
    assert response.status_code == 404


@pytest.mark.parametrize(("name", "data"), POST_ACTIONS)
def test_stranger_gets_404_on_every_action_and_nothing_changes(
    charlie_client, account, name, data
):
    conversation = talk(account)
    before = Conversation.objects.values().get()
    with assert_unchanged():
        response = charlie_client.post(
            url(account, name, conversation.pk), data, **FETCH
        )
    assert response.status_code == 404
    assert Conversation.objects.values().get() == before
    assert _outbound() == 0
    assert FriendNote.objects.count() == 0
    assert Message.objects.get().read_at is None


def test_stranger_gets_404_on_canned_replies_and_tags(charlie_client, account):
    reply = CannedReplyFactory(account=account, title="Mine")
    conversation = talk(account)
    tag = TagFactory(account=account, name="vip")
    conversation.friend.tags.add(tag)
    with assert_unchanged():
        for method, target in [
            ("get", url(account, "canned-edit", reply.pk)),
            ("post", url(account, "canned-edit", reply.pk)),
            ("post", url(account, "canned-delete", reply.pk)),
            ("post", url(account, "tag-remove", conversation.pk, tag.pk)),
            ("post", url(account, "settings")),
        ]:
            assert getattr(charlie_client, method)(target).status_code == 404, target
    assert CannedReply.objects.get().title == "Mine"
    assert conversation.friend.tags.count() == 1


def test_own_account_urls_with_other_accounts_ids_are_404(
    charlie_client, account, other_account
):
    """charlie, in his own account, cannot reach Demo Café's rows by id."""
    conversation = talk(account)
    reply = CannedReplyFactory(account=account)
    for target in [
        url(other_account, "conversation", conversation.pk),
        url(other_account, "conversation-messages", conversation.pk),
        url(other_account, "canned-edit", reply.pk),
    ]:
        assert charlie_client.get(target).status_code == 404, target
    with assert_unchanged():
        response = charlie_client.post(
            url(other_account, "send", conversation.pk), {"text": "Hi"}, **FETCH
        )
    assert response.status_code == 404
    assert _outbound() == 0
    before = Conversation.objects.values().get()
    with assert_unchanged():
        response = charlie_client.post(
            url(other_account, "read", conversation.pk),
            {"up_to_id": Message.objects.get().pk},
            **FETCH,
        )
    assert response.status_code == 404
    assert Message.objects.get().read_at is None
    assert Conversation.objects.values().get() == before


def test_anonymous_is_sent_to_log_in(client, account):
    response = client.get(url(account, "inbox"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(45, "45 s"), (577, "9 min 37 s"), (7500, "2 h 5 min"), (None, ""), ("x", "")],
)
def test_response_times_read_in_minutes_and_hours(seconds, shown):
    from chat.templatetags.chat_tags import duration

    assert duration(seconds) == shown


def test_inbox_rows_say_who_sent_the_accounts_last_message(alice_client, account):
    """QA #15: a bot's answer is not labelled as the staff member's."""
    from messaging.store.services import messages_send

    conversation = talk(account, "Ann", "Hello")
    messages_send(
        account=account,
        friends=[conversation.friend],
        messages=[{"type": "text", "text": "Bot here"}],
        source=Message.Source.API_PUSH,
    )
    html = alice_client.get(url(account, "inbox")).content.decode()
    assert '<span class="muted">API push:</span> Bot here' in html
    assert "You:</span> Bot here" not in html


@pytest.mark.parametrize(
    ("shared_layer", "keeps_polling"), [(True, False), (False, True)]
)
def test_the_inbox_keeps_polling_without_a_shared_channel_layer(
    alice_client, account, settings, shared_layer, keeps_polling
):
    """Issue 16 #3: with ``make run``'s in-memory layer, events from workers
    and the API process never reach the socket, so the pages poll too."""
    settings.REALTIME_WORKER_EVENTS = shared_layer
    conversation = talk(account)
    for page in (
        url(account, "inbox"),
        url(account, "conversation", conversation.pk),
    ):
        html = alice_client.get(page).content.decode()
        assert ("data-keep-polling" in html) is keeps_polling
