"""A customer (talk app) and staff (Manager) chatting live, with read marks.

Runs the real ASGI application (HTTP + WebSockets, config.asgi) under
uvicorn in a thread, so both pages use their sockets as in production;
the Redis channel layer carries events between them. The last test cuts
the staff socket off and checks the polling fallback.
"""

import socket
import threading
import time

import pytest
import uvicorn
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.db import connection, connections
from playwright.sync_api import expect

from chat.inbound import customer_message_send
from chat.models import CannedReply, Conversation
from messaging.friends.models import Friend
from messaging.store.models import Message
from tests.chat.factories import image_bytes
from tests.conftest import browser_login, talk_signup
from tests.factories import FriendFactory, LineUserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def asgi_url(transactional_db, settings, monkeypatch):
    """The whole ASGI app on a free port, static files included."""
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
    # Server threads must not keep connections open past a request: the test
    # database is flushed (and later dropped) while the server still runs.
    # Every thread's connection is made from this same settings dict.
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 0)
    from config.asgi import application

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            ASGIStaticFilesHandler(application),
            log_level="warning",
            lifespan="off",
        )
    )
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the ASGI server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


def _context(browser, base_url, *, phone=False):
    size = {"width": 375, "height": 812} if phone else {"width": 1280, "height": 900}
    context = browser.new_context(base_url=base_url, viewport=size)
    context.set_default_timeout(15_000)
    return context


def _customer_joins(browser, base_url, account, name: str = "Hanako"):
    """A phone that becomes ``name`` in the talk app, adds the account as a
    friend through its add-friend link and lands in the talk room."""
    page = _context(browser, base_url, phone=True).new_page()
    page.goto(f"/talk/add/{account.basic_id}")
    talk_signup(page, f"{name.lower()}@example.com")
    new_persona = page.locator("#new-persona")
    if new_persona.get_attribute("open") is None:  # other customers exist
        new_persona.locator("summary").click()
    page.fill("input[name=display_name]", name)
    page.get_by_test_id("persona-create").click()
    page.get_by_test_id("add-friend").click()
    expect(page.locator(".text-form textarea")).to_be_visible()
    return page


def _customer_says(page, text: str) -> None:
    page.locator(".text-form textarea").fill(text)
    page.locator(".text-form button.send").click()


def test_customer_and_staff_exchange_messages_live_with_read_marks(
    browser, asgi_url, account, alice
):
    # given alice watches the chat inbox, and Hanako added the account as a
    # friend in the talk app and has her talk room open
    staff = _context(browser, asgi_url).new_page()
    browser_login(staff, alice)
    staff.goto(f"/manager/{account.slug}/chat/")
    expect(staff.get_by_test_id("inbox-empty")).to_be_visible()
    expect(staff.get_by_test_id("live-status")).to_have_text("Live")
    customer = _customer_joins(browser, asgi_url, account)
    friend = Friend.objects.get(account=account)

    # when Hanako writes
    _customer_says(customer, "明日2名で予約できますか？")
    # then the conversation appears in alice's inbox without a reload, unread
    row = staff.get_by_test_id("conversation-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Hanako")
    expect(row).to_contain_text("明日2名で予約できますか？")
    expect(row.get_by_test_id("unread-count")).to_have_text("1")
    expect(customer.locator(".msg.mine .read")).to_have_count(0)

    expect(staff.get_by_test_id("chat-unread")).to_have_text("1")

    # when alice opens the conversation
    row.click()
    expect(staff.get_by_test_id("conversation-title")).to_have_text("Hanako")
    # then Hanako sees the read mark (既読) on her message, live
    expect(customer.locator(".msg.mine .read")).to_have_count(1)
    # and alice's page shows it read, its unread badges cleared
    expect(staff.locator(".cmsg.in").get_by_test_id("read-mark")).to_have_text(["Read"])
    expect(row.get_by_test_id("unread-count")).to_have_count(0)
    expect(staff.get_by_test_id("chat-unread")).to_be_hidden()

    # when alice answers
    staff.get_by_test_id("reply-text").fill("はい、承ります。お時間は？")
    staff.get_by_test_id("send").click()
    # then the answer appears in Hanako's talk room without a reload
    expect(customer.get_by_test_id("talk-log")).to_contain_text(
        "はい、承ります。お時間は？"
    )

    # when Hanako answers back while alice has the conversation open
    _customer_says(customer, "18時でお願いします")
    # then alice sees it live, and it is read at once (her pane is open)
    expect(staff.get_by_test_id("chat-log")).to_contain_text("18時でお願いします")
    expect(customer.locator(".msg.mine .read")).to_have_count(2)
    # and alice sees that Hanako has seen her answer
    expect(staff.locator(".cmsg.out").get_by_test_id("read-mark")).to_have_count(1)

    # and the store holds the exchange, the reply sent as a free chat reply
    conversation = Conversation.objects.get(friend=friend)
    assert conversation.unread_count == 0
    assert conversation.first_response_seconds is not None
    assert list(
        Message.objects.filter(friend=friend)
        .order_by("id")
        .values_list("direction", "source", "text")
    ) == [
        ("in", "customer", "明日2名で予約できますか？"),
        ("out", "chat", "はい、承ります。お時間は？"),
        ("in", "customer", "18時でお願いします"),
    ]
    staff.context.close()
    customer.context.close()


def test_two_staff_see_each_others_replies_and_status_live(
    browser, asgi_url, account, alice, bob
):
    # given Hanako wrote, and alice and bob both have her conversation open
    customer = _customer_joins(browser, asgi_url, account)
    _customer_says(customer, "Hello?")
    expect(customer.locator(".msg.mine")).to_have_count(1)
    conversation = Conversation.objects.get(friend__account=account)
    pages = {}
    for user in (alice, bob):
        page = _context(browser, asgi_url).new_page()
        browser_login(page, user)
        page.goto(f"/manager/{account.slug}/chat/{conversation.pk}/")
        expect(page.get_by_test_id("live-status")).to_have_text("Live")
        pages[user.username] = page

    # when alice replies and marks the conversation done
    pages["alice"].get_by_test_id("reply-text").fill("Hi Hanako!")
    pages["alice"].get_by_test_id("send").click()
    expect(pages["alice"].get_by_test_id("chat-log")).to_contain_text("Hi Hanako!")
    pages["alice"].get_by_test_id("mark-done").click()

    # then bob sees the reply and the new status without reloading
    expect(pages["bob"].get_by_test_id("chat-log")).to_contain_text("Hi Hanako!")
    expect(pages["bob"].get_by_test_id("conversation-status")).to_have_text("Done")
    # and the customer got the reply too
    expect(customer.get_by_test_id("talk-log")).to_contain_text("Hi Hanako!")

    # when bob assigns it to himself
    pages["bob"].get_by_test_id("assignee").select_option(str(bob.pk))
    # then alice's page shows the assignee
    expect(pages["alice"].get_by_test_id("assignee")).to_have_value(str(bob.pk))
    for page in (*pages.values(), customer):
        page.context.close()


def test_staff_page_falls_back_to_polling_without_its_socket(
    browser, asgi_url, account, alice
):
    """With the socket refused, the inbox still updates within seconds."""
    context = _context(browser, asgi_url)
    # every WebSocket of the staff page is refused before it connects
    context.route_web_socket("**/ws/manager/**", lambda ws: ws.close())
    staff = context.new_page()
    browser_login(staff, alice)
    staff.goto(f"/manager/{account.slug}/chat/")
    expect(staff.get_by_test_id("inbox-empty")).to_be_visible()
    expect(staff.get_by_test_id("live-status")).to_contain_text("Reconnecting")
    customer = _customer_joins(browser, asgi_url, account)
    # when Hanako writes
    _customer_says(customer, "Is anyone there?")
    # then the polling page shows the conversation
    row = staff.get_by_test_id("conversation-row")
    expect(row).to_contain_text("Is anyone there?", timeout=15_000)
    # when alice opens it, Hanako still sees 既読 (the read post needs no socket)
    row.click()
    expect(staff.get_by_test_id("conversation-title")).to_have_text("Hanako")
    expect(customer.locator(".msg.mine .read")).to_have_count(1)
    # and a message that arrives while the pane is open is read once shown
    _customer_says(customer, "Hello?")
    expect(staff.get_by_test_id("chat-log")).to_contain_text("Hello?")
    expect(customer.locator(".msg.mine .read")).to_have_count(2)
    expect(row.get_by_test_id("unread-count")).to_have_count(0)
    context.close()
    customer.context.close()


def _in_thread(fn):
    """Run ORM writes outside Playwright's event loop thread.

    Services publish events with ``async_to_sync`` after commit, which
    cannot run in a thread that has a running event loop (Playwright's).
    """
    outcome = {}

    def target():
        try:
            outcome["value"] = fn()
        except BaseException as exc:  # re-raised in the test thread
            outcome["error"] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def test_staff_composer_canned_reply_shortcut_sticker_and_photo(
    browser, asgi_url, account, alice, tmp_path, settings
):
    # given a customer who wrote, and a canned reply with the shortcut "hours"
    def setup():
        friend = FriendFactory(
            account=account, line_user=LineUserFactory(display_name="Ken")
        )
        customer_message_send(friend=friend, message={"type": "text", "text": "Hi"})
        CannedReply.objects.create(
            account=account,
            title="Opening hours",
            shortcut="hours",
            text="We are open 10:00-18:00.",
        )
        return Conversation.objects.get(friend=friend)

    conversation = _in_thread(setup)
    staff = _context(browser, asgi_url, phone=True).new_page()
    browser_login(staff, alice)
    staff.goto(f"/manager/{account.slug}/chat/{conversation.pk}/")
    reply = staff.get_by_test_id("reply-text")
    # when alice types "/ho" and picks the suggestion with the keyboard
    reply.press_sequentially("/ho")
    pop = staff.get_by_test_id("canned-pop")
    expect(pop.get_by_role("option")).to_have_text(["Opening hours  /hours"])
    reply.press("Enter")
    # then the reply box holds the canned text, and Ctrl+Enter sends it
    expect(reply).to_have_value("We are open 10:00-18:00.")
    reply.press("Control+Enter")
    log = staff.get_by_test_id("chat-log")
    expect(log.locator(".cmsg.out")).to_contain_text(["We are open 10:00-18:00."])
    expect(reply).to_have_value("")
    # and Ctrl+/ from anywhere opens the picker in the reply box
    staff.locator("body").click()
    staff.keyboard.press("Control+/")
    expect(pop.get_by_role("option")).to_have_count(1)
    reply.press("Escape")
    expect(pop).to_be_hidden()
    reply.fill("")
    # when alice sends a sticker and a photo
    staff.get_by_test_id("sticker-button").click()
    staff.get_by_test_id("sticker-1989").click()
    expect(log.locator(".cmsg.out img.lb-sticker")).to_have_count(1)
    photo = tmp_path / "menu.png"
    photo.write_bytes(image_bytes("PNG", size=(640, 480)))
    staff.get_by_test_id("photo-input").set_input_files(str(photo))
    # then both appear in the conversation and the store
    expect(log.locator(".cmsg.out .lb-photo img")).to_have_count(1)
    assert list(
        Message.objects.filter(friend_id=conversation.friend_id, direction="out")
        .order_by("id")
        .values_list("type", flat=True)
    ) == ["text", "sticker", "image"]
    # and the photo's URLs point at the stored files
    src = log.locator(".cmsg.out .lb-photo img").get_attribute("src")
    assert src.startswith("/media/chat/")
    assert (settings.MEDIA_ROOT / src.removeprefix("/media/")).is_file()
    staff.context.close()
