import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from accounts.services import account_suspend
from chat.inbound import customer_block
from messaging.friends.models import Friend, LineUser
from messaging.friends.services import friend_source_create
from messaging.store.models import Message
from messaging.store.services import messages_mark_read, messages_send
from messaging.store.stickers import STICKERS
from talk import services
from talk.models import PersonaOwner, TalkAccount
from talk.selectors import ACCOUNT_KEY, SESSION_KEY
from tests.talk.factories import (
    befriend,
    image_bytes,
    make_persona,
    media_files,
    qr_png,
    set_greeting,
    talk_client,
    upload,
)
from tests.unchanged import assert_unchanged

pytestmark = pytest.mark.django_db

FETCH = {"HTTP_X_REQUESTED_WITH": "fetch"}


def _add_path(account, src=""):
    path = f"/talk/add/@{account.basic_id[1:]}"
    return f"{path}?src={src}" if src else path


@pytest.fixture
def hanako():
    return make_persona("Hanako")


@pytest.fixture
def client(hanako):
    return talk_client(hanako)


# Switch, personas ----------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/talk/", "/talk/personas/", "/talk/scan/", "/talk/add/@abcdefgh"]
)
def test_talk_app_switched_off_is_404(client, settings, path):
    settings.TALK_APP_ENABLED = False
    assert client.get(path).status_code == 404


def test_talk_app_switched_off_refuses_writes(client, settings, account, hanako):
    friend = befriend(account, hanako)
    settings.TALK_APP_ENABLED = False
    with assert_unchanged():
        assert client.post(
            f"/talk/rooms/{friend.pk}/send", {"text": "hi"}
        ).status_code == (404)
        assert client.post(
            "/talk/personas/use/", {"persona_id": hanako.pk}
        ).status_code == (404)
    assert Message.objects.count() == 0
    reply = _push(friend, "Hello")
    with assert_unchanged():
        assert client.post(
            f"/talk/rooms/{friend.pk}/opened", {"up_to_id": reply.pk}
        ).status_code == (404)
    reply.refresh_from_db()
    assert reply.read_at is None


def _logged_in_client() -> Client:
    """A talk-app login with no persona yet."""
    client = Client()
    session = client.session
    session[ACCOUNT_KEY] = TalkAccount.objects.create(login="new", password="!").pk
    session.save()
    return client


def test_a_visitor_without_a_talk_login_is_sent_to_log_in(account):
    add = _add_path(account, "flyer")
    response = Client().get(add)
    assert response.status_code == 302
    assert response.url == "/talk/login/?next=%2Ftalk%2Fadd%2F%40" + (
        account.basic_id[1:] + "%3Fsrc%3Dflyer"
    )


def test_without_persona_the_visitor_picks_one_and_comes_back(account):
    client = _logged_in_client()
    add = _add_path(account, "flyer")
    response = client.get(add)
    assert response.status_code == 302
    assert response.url == "/talk/personas/?next=%2Ftalk%2Fadd%2F%40" + (
        account.basic_id[1:] + "%3Fsrc%3Dflyer"
    )
    # when a persona is created from that page
    response = client.post(
        "/talk/personas/?next=" + add,
        {
            "display_name": "Yui",
            "language": "ja",
            "gender": "female",
            "age": "22",
            "region": "jp_14",
            "os": "android",
            "next": add,
        },
    )
    # then the browser acts as Yui and goes back to the add-friend link
    yui = LineUser.objects.get(display_name="Yui")
    assert (yui.gender, yui.age, yui.region, yui.os) == (
        "female",
        22,
        "jp_14",
        "android",
    )
    assert response.status_code == 302 and response.url == add
    assert client.session[SESSION_KEY] == yui.pk
    assert yui.talk_owner.owner_id == client.session[ACCOUNT_KEY]
    assert Friend.objects.count() == 0


def test_persona_form_errors_are_shown_and_nothing_created(settings):
    client = _logged_in_client()
    with assert_unchanged():
        response = client.post(
            "/talk/personas/",
            {
                "display_name": "Yui",
                "language": "ja",
                "gender": "female",
                "os": "ios",
                "picture": upload(b"not a picture", "x.jpg"),
            },
        )
    assert response.status_code == 400
    assert "not a valid JPEG/PNG image" in response.content.decode()
    assert LineUser.objects.count() == 0
    assert media_files(settings) == []


def test_persona_use_switches_and_ignores_foreign_next(hanako):
    ken = make_persona("Ken")
    client = talk_client(hanako)
    PersonaOwner.objects.create(line_user=ken, owner_id=client.session[ACCOUNT_KEY])
    response = client.post(
        "/talk/personas/use/", {"persona_id": ken.pk, "next": "https://evil.test/"}
    )
    assert response.url == "/talk/"
    assert client.session[SESSION_KEY] == ken.pk
    with assert_unchanged():
        assert client.post("/talk/personas/use/", {"persona_id": 0}).status_code == 404


def test_nobody_can_act_as_a_customer_they_do_not_own(hanako, account):
    """Issue 19 #1: another login's persona is not listed, usable or used."""
    stranger = make_persona("Stranger")
    befriend(account, stranger)
    client = talk_client(hanako)
    page = client.get("/talk/personas/?q=Stranger").content.decode()
    assert f'value="{stranger.pk}"' not in page
    assert "No customers yet." in page
    with assert_unchanged():
        assert (
            client.post("/talk/personas/use/", {"persona_id": stranger.pk}).status_code
            == 404
        )
    assert client.session[SESSION_KEY] == hanako.pk
    # a session naming a persona its login does not own acts as nobody
    session = client.session
    session[SESSION_KEY] = stranger.pk
    session.save()
    assert client.get("/talk/").url.startswith("/talk/personas/")


def test_sign_up_log_in_and_out(account):
    client = Client()
    with assert_unchanged():
        response = client.post(
            "/talk/login/",
            {"action": "signup", "login": "hana@example.com", "password": "pw"},
        )
    assert response.status_code == 400  # too short
    assert not TalkAccount.objects.exists()
    response = client.post(
        "/talk/login/",
        {"action": "signup", "login": "hana@example.com", "password": "long enough"},
    )
    assert response.url == "/talk/personas/"
    with assert_unchanged():
        again = Client().post(
            "/talk/login/",
            {"action": "signup", "login": "hana@example.com", "password": "other one!"},
        )
    assert "This login is taken" in again.content.decode()
    assert TalkAccount.objects.count() == 1
    client.post("/talk/logout/")
    assert client.get("/talk/").url.startswith("/talk/login/")
    with assert_unchanged():
        wrong = client.post(
            "/talk/login/",
            {"action": "login", "login": "hana@example.com", "password": "x"},
        )
    assert "The login or the password is wrong." in wrong.content.decode()


# Add friend ------------------------------------------------------------------


def test_add_link_shows_profile_without_creating_anything(client, account):
    account.status_message = "Coffee and cake"
    account.save(update_fields=["status_message"])
    response = client.get(_add_path(account))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Demo Café" in html and "Coffee and cake" in html
    assert account.basic_id in html
    assert 'data-testid="add-friend"' in html
    assert 'data-testid="badge">Unverified<' in html
    assert Friend.objects.count() == 0


def test_add_friend_records_source_greets_and_opens_room(
    client, hanako, account, alice
):
    set_greeting(account, alice, "Hello {Nickname}!")
    source = friend_source_create(account=account, actor=alice, name="flyer")
    response = client.post(_add_path(account), {"src": source.code})
    friend = Friend.objects.get()
    assert (friend.account, friend.line_user, friend.source) == (
        account,
        hanako,
        source,
    )
    assert friend.status == Friend.Status.FOLLOWING
    assert response.url == reverse("talk:room", args=[friend.pk])
    room = client.get(response.url).content.decode()
    assert "Hello Hanako!" in room


def test_add_friend_twice_is_idempotent(client, account, alice):
    set_greeting(account, alice, "Hello {Nickname}!")
    client.post(_add_path(account))
    client.post(_add_path(account))
    assert Friend.objects.count() == 1
    assert Message.objects.count() == 1


def test_source_of_another_account_is_ignored(client, account, other_account, charlie):
    theirs = friend_source_create(account=other_account, actor=charlie, name="flyer")
    client.post(_add_path(account), {"src": theirs.code})
    assert Friend.objects.get().source is None


@pytest.mark.parametrize("method", ["get", "post"])
def test_unknown_basic_id_is_a_clear_404(client, method):
    response = getattr(client, method)("/talk/add/@nosuchid")
    assert response.status_code == 404
    assert "There is no account with this ID." in response.content.decode()
    assert Friend.objects.count() == 0


@pytest.mark.parametrize("method", ["get", "post"])
def test_suspended_account_is_a_clear_410(client, account, alice, method):
    account_suspend(account=account, actor=alice, reason="spam")
    with assert_unchanged():
        response = getattr(client, method)(_add_path(account))
    assert response.status_code == 410
    assert "This account is not available." in response.content.decode()
    assert Friend.objects.count() == 0


# Scan QR -------------------------------------------------------------------


def test_scan_qr_picture_leads_to_the_add_page(client, account):
    url = f"https://anything.example/talk/add/@{account.basic_id[1:]}?src=counter"
    response = client.post(
        "/talk/scan/", {"picture": upload(qr_png(url), "qr.png", "image/png")}
    )
    assert response.status_code == 302
    assert response.url == _add_path(account, "counter")
    assert Friend.objects.count() == 0


def test_scan_pasted_url(client, account):
    response = client.post("/talk/scan/", {"url": "http://h" + _add_path(account)})
    assert response.url == _add_path(account)


@pytest.mark.parametrize("form", ["https://line.me/R/ti/p/{id}", "{id}"])
def test_scan_accepts_line_add_friend_urls_and_typed_ids(client, account, form):
    """LINE's own add-friend URL and a typed basic ID open the account."""
    response = client.post("/talk/scan/", {"url": form.format(id=account.basic_id)})
    assert response.url == _add_path(account)
    page = client.get(response.url)
    assert page.status_code == 200
    assert account.display_name in page.content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"picture": ("cat.png", image_bytes("PNG"))},
            "No QR code was found in this picture.",
        ),
        (
            {"picture": ("qr.png", qr_png("https://example.com/promo"))},
            "This is not an add-friend link of an account on this site.",
        ),
        (
            {"picture": ("doc.pdf", b"%PDF-1.4")},
            "The file is not a valid JPEG/PNG image or it is damaged.",
        ),
        (
            {"url": "https://line.me/R/nv/chat"},
            "This is not an add-friend link of an account on this site.",
        ),
        ({}, "Choose a picture of a QR code or paste a link."),
    ],
    ids=["not-a-qr", "qr-elsewhere", "not-a-picture", "url-elsewhere", "empty"],
)
def test_scan_bad_input_shows_a_clear_message(client, settings, data, message):
    if "picture" in data:
        name, raw = data["picture"]
        data = {"picture": upload(raw, name, "image/png")}
    with assert_unchanged():
        response = client.post("/talk/scan/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Friend.objects.count() == 0
    assert len(media_files(settings)) == 1  # only the persona's avatar


# Talk room -------------------------------------------------------------------


@pytest.fixture
def friend(account, hanako):
    return befriend(account, hanako)


def _room(friend):
    return f"/talk/rooms/{friend.pk}/"


def test_another_customers_room_is_404(account, friend):
    ken = talk_client(make_persona("Ken"))
    room = _room(friend)
    assert ken.get(room).status_code == 404
    assert ken.get(room + "messages?after=0").status_code == 404
    with assert_unchanged():
        assert ken.post(room + "send", {"text": "hi"}).status_code == 404
    assert Message.objects.count() == 0
    reply = _push(friend, "For Hanako only")
    with assert_unchanged():
        response = ken.post(room + "opened", {"up_to_id": reply.pk}, **FETCH)
    assert response.status_code == 404
    reply.refresh_from_db()
    assert reply.read_at is None


def test_room_renders_messages_and_writes_nothing(client, friend):
    sent = messages_send(
        account=friend.account,
        friends=[friend],
        messages=[
            {"type": "text", "text": "Welcome <b>in</b>"},
            {"type": "sticker", "packageId": "446", "stickerId": "1989"},
            {"type": "sticker", "packageId": "446", "stickerId": "1988"},
            {
                "type": "image",
                "originalContentUrl": "https://cdn.example/a.jpg",
                "previewImageUrl": "https://cdn.example/a-s.jpg",
            },
            {"type": "text", "text": "Welcome <b>in</b>"},
        ],
        source=Message.Source.CHAT,
    )
    Message.objects.filter(pk=sent[0].pk).update(
        type="template", payload={"type": "template", "altText": "Pick a date"}
    )
    # stored before LINE's numbering, and from outside LINE's list
    Message.objects.filter(pk=sent[1].pk).update(
        payload={"type": "sticker", "packageId": "lineoa-1", "stickerId": "2"}
    )
    Message.objects.filter(pk=sent[2].pk).update(
        payload={"type": "sticker", "packageId": "1", "stickerId": "1"}
    )
    html = client.get(_room(friend)).content.decode()
    assert "Welcome &lt;b&gt;in&lt;/b&gt;" in html
    assert "/static/talk/stickers/2.svg" in html
    assert "lb-sticker-other" in html
    # the broken template shows its alt text, marked
    assert "This message could not be shown." in html
    assert "Pick a date" in html
    assert 'src="https://cdn.example/a-s.jpg"' in html
    assert 'id="talk-richmenu"' in html
    # showing the page opens nothing: talk.js posts what it showed
    assert set(Message.objects.values_list("read_at", flat=True)) == {None}
    assert html.count(" data-unopened ") == 5
    assert f'data-opened-url="/talk/rooms/{friend.pk}/opened"' in html
    assert f'data-last-id="{sent[-1].pk}"' in html


def test_room_shows_read_mark_once_staff_read(client, friend):
    first = services.text_send(friend=friend, text="first")
    services.text_send(friend=friend, text="second")
    messages_mark_read(friend=friend, up_to_id=first.pk)
    html = client.get(_room(friend)).content.decode()
    assert html.count('<span class="read">Read</span>') == 1
    first_pos = html.index(f'id="m-{first.pk}"')
    assert html.index('<span class="read">Read</span>') > first_pos


def test_send_text_as_fetch_and_as_form(client, friend):
    response = client.post(_room(friend) + "send", {"text": "Hi there"}, **FETCH)
    message = Message.objects.get()
    assert response.json() == {"id": message.pk}
    assert (message.direction, message.text) == ("in", "Hi there")
    response = client.post(_room(friend) + "send", {"text": "Plain form"})
    assert response.status_code == 302 and response.url == _room(friend)
    assert Message.objects.count() == 2


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", "Type a message first."),
        ("x" * 5001, "A message can be at most 5000 characters long."),
    ],
)
def test_send_bad_text_is_an_error(client, friend, text, error):
    with assert_unchanged():
        response = client.post(_room(friend) + "send", {"text": text}, **FETCH)
    assert response.status_code == 400
    assert response.json() == {"error": error}
    with assert_unchanged():
        response = client.post(_room(friend) + "send", {"text": text}, follow=True)
    assert error in response.content.decode()
    assert Message.objects.count() == 0


def test_send_sticker_and_image(client, friend, settings):
    client.post(_room(friend) + "send", {"sticker_id": "10979904"}, **FETCH)
    client.post(
        _room(friend) + "send",
        {"kind": "image", "image": upload(image_bytes("PNG"), "p.png")},
        **FETCH,
    )
    sticker, image = Message.objects.order_by("id")
    assert sticker.payload["packageId"] == "6325"
    assert sticker.payload["stickerId"] == "10979904"
    assert image.type == "image" and image.content and image.preview
    html = client.get(_room(friend)).content.decode()
    assert f'href="{image.content.url}?s=' in html
    assert f'src="{image.preview.url}?s=' in html


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"\xff\xd8\xff" + b"\0" * (10 * 1024 * 1024), "limit is 10 MB"),
        (b"GIF89a....", "not a valid JPEG/PNG image"),
    ],
    ids=["oversized", "not-jpeg-png"],
)
def test_send_bad_image_is_an_error_and_stores_nothing(
    client, friend, settings, data, error
):
    before = media_files(settings)
    with assert_unchanged():
        response = client.post(
            _room(friend) + "send",
            {"kind": "image", "image": upload(data, "big.jpg")},
            **FETCH,
        )
    assert response.status_code == 400
    assert error in response.json()["error"]
    assert Message.objects.count() == 0
    assert media_files(settings) == before


def test_send_image_without_file_is_an_error(client, friend):
    response = client.post(_room(friend) + "send", {"kind": "image"}, **FETCH)
    assert response.json() == {"error": "Choose a photo to send."}


def test_messages_endpoint_returns_new_bubbles_and_read_mark(client, friend):
    mine = services.text_send(friend=friend, text="Question?")
    reply = messages_send(
        account=friend.account,
        friends=[friend],
        messages=[{"type": "text", "text": "Answer."}],
        source=Message.Source.CHAT,
    )[0]
    messages_mark_read(friend=friend)
    data = client.get(_room(friend) + f"messages?after={mine.pk}").json()
    assert [m["id"] for m in data["messages"]] == [reply.pk]
    assert data["messages"][0]["direction"] == "out"
    assert "Answer." in data["messages"][0]["html"]
    assert 'class="day"' in data["messages"][0]["day"]
    assert data["read_up_to"] == mine.pk
    assert data["more"] is False
    assert " data-unopened " in data["messages"][0]["html"]
    reply.refresh_from_db()
    assert reply.read_at is None  # a GET writes nothing; talk.js posts "opened"
    assert client.get(_room(friend) + "messages?after=x").status_code == 404


# Opened ---------------------------------------------------------------------


def _push(friend, *texts):
    rows = messages_send(
        account=friend.account,
        friends=[friend],
        messages=[{"type": "text", "text": t} for t in texts],
        source=Message.Source.CHAT,
    )
    return rows[0] if len(rows) == 1 else rows


def _opened(friend):
    return list(
        Message.objects.filter(friend=friend, read_at__isnull=False)
        .order_by("id")
        .values_list("text", flat=True)
    )


def test_opened_marks_the_accounts_messages_up_to_the_id_shown(client, friend):
    first, second = _push(friend, "one", "two")
    mine = services.text_send(friend=friend, text="mine")
    third = _push(friend, "three")
    # when talk.js reports it showed the room up to "two"
    response = client.post(_room(friend) + "opened", {"up_to_id": second.pk}, **FETCH)
    # then exactly "one" and "two" are opened; "three" (not shown) is not,
    # and the customer's own message is not the account's to open
    assert response.status_code == 200
    assert response.json() == {"opened": 2}
    assert _opened(friend) == ["one", "two"]
    mine.refresh_from_db()
    assert mine.read_at is None
    # and the room shows the account's messages opened, the new one not
    html = client.get(_room(friend)).content.decode()
    assert html.count(" data-unopened ") == 1
    assert f'id="m-{third.pk}"' in html
    # a repeated post changes nothing; a later one opens the rest
    opened_at = Message.objects.get(pk=first.pk).read_at
    assert client.post(_room(friend) + "opened", {"up_to_id": second.pk}).json() == {
        "opened": 0
    }
    assert Message.objects.get(pk=first.pk).read_at == opened_at
    client.post(_room(friend) + "opened", {"up_to_id": third.pk})
    assert _opened(friend) == ["one", "two", "three"]


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
def test_opened_with_a_bad_up_to_id_is_400_and_writes_nothing(client, friend, data):
    _push(friend, "one")
    with assert_unchanged():
        response = client.post(_room(friend) + "opened", data, **FETCH)
    assert response.status_code == 400
    assert response.json() == {"error": "Give the id of the last message shown."}
    assert _opened(friend) == []


def test_opened_is_post_only_and_csrf_protected(hanako, friend):
    reply = _push(friend, "one")
    client = talk_client(hanako)
    client.handler.enforce_csrf_checks = True
    assert client.get(_room(friend) + "opened").status_code == 405
    # a post from another site (no token) is refused
    with assert_unchanged():
        response = client.post(_room(friend) + "opened", {"up_to_id": reply.pk})
    assert response.status_code == 403
    assert _opened(friend) == []
    # the room page hands talk.js its token
    html = client.get(_room(friend)).content.decode()
    token = re.search(r'data-csrf-token="(\w+)"', html)[1]
    response = client.post(
        _room(friend) + "opened",
        {"up_to_id": reply.pk},
        HTTP_X_CSRFTOKEN=token,
        **FETCH,
    )
    assert response.status_code == 200
    assert _opened(friend) == ["one"]


def test_blocked_room_has_no_composer(client, friend):
    customer_block(friend=friend)
    html = client.get(_room(friend)).content.decode()
    assert 'data-testid="composer-blocked"' in html
    assert 'name="text"' not in html


# Block / unblock ------------------------------------------------------------


def test_block_then_unblock_resends_greeting(client, friend, account, alice):
    set_greeting(account, alice, "Welcome back {Nickname}")
    response = client.post(f"/talk/accounts/@{account.basic_id[1:]}/block")
    friend.refresh_from_db()
    assert friend.status == Friend.Status.BLOCKED and friend.blocked_at
    profile = client.get(response.url).content.decode()
    assert 'data-testid="unblock"' in profile
    client.post(f"/talk/accounts/@{account.basic_id[1:]}/")
    friend.refresh_from_db()
    assert friend.status == Friend.Status.FOLLOWING and friend.unblocked_at
    assert list(Message.objects.values_list("text", flat=True)) == [
        "Welcome back Hanako"
    ]


def test_unblock_without_greeting_when_turned_off(client, friend, account, alice):
    set_greeting(account, alice, "Hi", send_on_unblock=False)
    client.post(f"/talk/accounts/@{account.basic_id[1:]}/block")
    client.post(f"/talk/accounts/@{account.basic_id[1:]}/")
    assert Message.objects.count() == 0


def test_block_an_account_never_added_is_404(client, account):
    with assert_unchanged():
        response = client.post(f"/talk/accounts/@{account.basic_id[1:]}/block")
    assert response.status_code == 404
    assert Friend.objects.count() == 0


# Friends list -----------------------------------------------------------------


def test_home_lists_friends_with_last_message_and_blocked(
    client, hanako, account, other_account
):
    cafe = befriend(account, hanako)
    bakery = befriend(other_account, hanako)
    services.text_send(friend=cafe, text="See you at 5")
    customer_block(friend=bakery)
    html = client.get("/talk/").content.decode()
    assert html.index("Demo Café") < html.index('data-testid="blocked-list"')
    assert html.index('data-testid="blocked-list"') < html.index(
        "Charlie&#x27;s Bakery"
    )
    assert "See you at 5" in html


# Query count ----------------------------------------------------------------


def test_home_query_count_is_pinned(
    client, hanako, account, other_account, django_assert_num_queries
):
    for acc in (account, other_account):
        friend = befriend(acc, hanako)
        services.text_send(friend=friend, text="hello")
    # session, persona, rooms with last message and unread count
    with django_assert_num_queries(3):
        response = client.get("/talk/")
    assert response.content.decode().count("data-friend-id=") == 2


def test_room_query_count_is_pinned(client, friend, django_assert_num_queries):
    messages_send(
        account=friend.account,
        friends=[friend],
        messages=[{"type": "text", "text": f"m{i}"} for i in range(5)],
        source=Message.Source.CHAT,
    )
    for i in range(20):
        services.text_send(friend=friend, text=f"c{i}")
    services.image_send(friend=friend, upload=upload(image_bytes()))
    # session, persona, room + account, messages, rich menu; and no write
    with django_assert_num_queries(5) as captured:
        response = client.get(_room(friend))
    assert response.status_code == 200
    assert all(q["sql"].startswith("SELECT") for q in captured.captured_queries)
    assert Message.objects.filter(read_at__isnull=False).count() == 0
    # the messages poll writes nothing either
    with django_assert_num_queries(5) as captured:
        client.get(_room(friend) + "messages?after=0")
    assert all(q["sql"].startswith("SELECT") for q in captured.captured_queries)


@pytest.mark.parametrize(
    ("shared_layer", "keeps_polling"), [(True, False), (False, True)]
)
def test_the_room_keeps_polling_without_a_shared_channel_layer(
    client, friend, settings, shared_layer, keeps_polling
):
    """With the embedded in-memory layer (``make run`` without Redis) events
    from Celery workers never reach the socket, so the page polls too."""
    settings.REALTIME_WORKER_EVENTS = shared_layer
    html = client.get(f"/talk/rooms/{friend.pk}/").content.decode()
    assert ("data-keep-polling" in html) is keeps_polling


def test_home_names_a_sticker_in_the_viewer_language(client, hanako, account):
    """The room list says スタンプ, never the stored "[Sticker]" (issue 14 #11)."""
    cafe = befriend(account, hanako)
    sticker = next(iter(STICKERS.values()))
    services.sticker_send(friend=cafe, sticker_id=sticker.sticker_id)
    assert Message.objects.get().text == "[Sticker]"
    html = client.get("/talk/", headers={"accept-language": "ja"}).content.decode()
    assert '<span class="room-last" data-role="last">スタンプ</span>' in html
    assert "[Sticker]" not in html


def test_a_test_send_is_marked_as_a_test_in_the_room(client, hanako, account, alice):
    from messaging.broadcasts.compose import broadcast_save
    from messaging.broadcasts.control import broadcast_test_send
    from messaging.friends.services import friend_staff_link_set

    cafe = befriend(account, hanako)
    friend_staff_link_set(account=account, actor=alice, friend=cafe, linked=True)
    broadcast = broadcast_save(
        account=account,
        actor=alice,
        title="Sale",
        messages=[{"type": "text", "text": "Sale today"}],
    )
    broadcast_test_send(broadcast=broadcast, actor=alice, to="me")
    html = client.get(reverse("talk:room", args=[cafe.pk])).content.decode()
    assert 'data-testid="test-mark">Test</span>' in html
    assert "Sale today" in html


@pytest.mark.parametrize("text", ["nul\x00x"])
def test_an_unsendable_character_is_a_clear_400_and_stores_nothing(
    client, hanako, account, text
):
    cafe = befriend(account, hanako)
    with assert_unchanged():
        response = client.post(
            reverse("talk:room-send", args=[cafe.pk]),
            {"text": text},
            HTTP_X_REQUESTED_WITH="fetch",
        )
    assert response.status_code == 400
    assert "cannot be sent" in response.content.decode()
    assert not Message.objects.filter(friend=cafe, direction="in").exists()


def test_staff_rehearse_as_a_friend_of_their_own_account_only(
    alice, charlie, account, other_account, hanako
):
    """Issue 19 #1: staff open the talk app as their own friend, scoped."""
    cafe = befriend(account, hanako)
    bakery = befriend(other_account, hanako)
    staff = Client()
    staff.force_login(alice)
    response = staff.post(reverse("talk:rehearse", args=[cafe.pk]))
    assert response.url == reverse("talk:room", args=[cafe.pk])
    assert staff.get(response.url).status_code == 200
    # only this account's room: the same customer's other rooms are hidden
    home = staff.get("/talk/").content.decode()
    assert f'data-friend-id="{cafe.pk}"' in home
    assert f'data-friend-id="{bakery.pk}"' not in home
    assert staff.get(reverse("talk:room", args=[bakery.pk])).status_code == 404
    # staff of another account cannot rehearse as Demo Café's friend
    other = Client()
    other.force_login(charlie)
    with assert_unchanged():
        assert other.post(reverse("talk:rehearse", args=[cafe.pk])).status_code == 404
    assert other.get("/talk/").url.startswith("/talk/login/")
    # nor can an anonymous visitor
    with assert_unchanged():
        assert (
            Client().post(reverse("talk:rehearse", args=[cafe.pk])).status_code == 404
        )


def test_customer_uploads_need_the_signature_the_page_gave(client, hanako, account):
    """QA #18: a customer's photo is not public by its path."""
    friend = befriend(account, hanako)
    client.post(
        _room(friend) + "send",
        {"kind": "image", "image": upload(image_bytes("PNG"), "p.png")},
        **FETCH,
    )
    image = Message.objects.get(type="image")
    html = client.get(_room(friend)).content.decode()
    [url] = re.findall(r'href="([^"]*\?s=[^"]*)"', html)
    stranger = Client()
    assert stranger.get(url).status_code == 200  # the page's link works
    assert stranger.get(image.content.url).status_code == 404
    assert stranger.get(image.content.url + "?s=1:forged").status_code == 404
    other = url.replace(image.content.name, image.preview.name)
    assert stranger.get(other).status_code == 404  # signed for another file
    with freeze_time(timezone.now() + dt.timedelta(days=8)):
        assert stranger.get(url).status_code == 404  # expired
