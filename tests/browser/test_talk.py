"""The talk app in Chromium, as a customer uses it.

``live_server`` is a WSGI server: it has no WebSocket, so these pages run on
their polling fallback — which is what a dead socket must look like. The
last test runs the real ASGI app (uvicorn) to see the socket path.
"""

import re
import socket
import threading
import time

import pytest
import uvicorn
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.db import connections
from linebot.v3.messaging import ShowLoadingAnimationRequest
from playwright.sync_api import expect

from config.asgi import application
from messaging.friends.models import Friend
from messaging.friends.services import friend_source_create
from messaging.store.models import Message
from messaging.store.services import messages_mark_read, messages_send
from tests.conftest import talk_signup
from tests.messaging.api.factories import sdk_apis, sdk_client, token_for
from tests.talk.factories import (
    befriend,
    image_bytes,
    make_persona,
    qr_png,
    redis_channel_layers,
    set_greeting,
    talk_session,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _create_persona(page, name: str) -> None:
    page.goto("/talk/")
    talk_signup(page, f"{name.lower()}@example.com")
    page.fill("input[name=display_name]", name)
    page.select_option("select[name=gender]", "female")
    page.fill("input[name=age]", "29")
    page.select_option("select[name=region]", "jp_13")
    page.get_by_test_id("persona-create").click()
    expect(page.get_by_test_id("persona")).to_contain_text(name)


def _push(friend, text):
    return messages_send(
        account=friend.account,
        friends=[friend],
        messages=[{"type": "text", "text": text}],
        source=Message.Source.CHAT,
    )


def test_customer_adds_account_by_link_gets_greeting_and_chats(page, account, alice):
    # given the account greets new friends by name
    set_greeting(account, alice, "Hello {Nickname}, welcome!")
    source = friend_source_create(account=account, actor=alice, name="flyer")
    # when a customer opens the talk app and becomes Hanako
    _create_persona(page, "Hanako")
    # and opens the account's add-friend link from the flyer
    page.goto(f"/talk/add/@{account.basic_id[1:]}?src={source.code}")
    expect(page.get_by_test_id("account-profile")).to_contain_text("Demo Café")
    page.get_by_test_id("add-friend").click()
    # then the talk room shows the greeting with her name
    log = page.get_by_test_id("talk-log")
    expect(log.locator(".msg.theirs .bubble")).to_have_text(["Hello Hanako, welcome!"])
    friend = Friend.objects.get(account=account)
    assert (friend.line_user.display_name, friend.source) == ("Hanako", source)
    # and, shown on screen, the greeting counts as opened (talk.js posts it)
    expect(log.locator(".msg[data-unopened]")).to_have_count(0)
    assert Message.objects.get(direction="out").read_at is not None
    # when she sends a message
    page.fill("textarea[name=text]", "Do you have oat milk?")
    page.get_by_role("button", name="Send", exact=True).click()
    # then it is shown as her own bubble and stored once
    mine = log.locator(".msg.mine")
    expect(mine.locator(".bubble")).to_have_text(["Do you have oat milk?"])
    expect(page.locator("textarea[name=text]")).to_have_value("")
    assert Message.objects.filter(direction="in").count() == 1
    # when staff read it and reply, the room updates without a reload
    messages_mark_read(friend=friend)
    expect(mine.locator(".read")).to_have_text(["Read"])
    _push(friend, "Yes, we do!")
    expect(log.locator(".msg.theirs .bubble")).to_have_text(
        ["Hello Hanako, welcome!", "Yes, we do!"]
    )
    # and the polled reply is opened once shown, as the greeting was
    expect(log.locator(".msg[data-unopened]")).to_have_count(0)
    assert not Message.objects.filter(direction="out", read_at=None).exists()
    assert page.evaluate("document.body.dataset.live") == "polling"


def test_bad_text_shows_an_error_sticker_and_photo_send(page, account, tmp_path):
    _create_persona(page, "Ken")
    page.goto(f"/talk/add/@{account.basic_id[1:]}")
    page.get_by_test_id("add-friend").click()
    # a text over 5,000 characters (pasted past the maxlength) is refused
    page.eval_on_selector(
        "textarea[name=text]", "el => { el.removeAttribute('maxlength'); }"
    )
    page.fill("textarea[name=text]", "a" * 5001)
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.locator("#talk-error")).to_have_text(
        "A message can be at most 5000 characters long."
    )
    # a sticker is sent from the picker
    page.locator("#sticker-picker summary").click()
    page.get_by_test_id("sticker-1991").click()
    expect(page.locator(".msg.mine img.lb-sticker")).to_have_count(1)
    expect(page.locator("#talk-error")).to_be_hidden()
    # a photo is sent as soon as it is chosen, and shown as its preview
    photo = tmp_path / "latte.jpg"
    photo.write_bytes(image_bytes("JPEG", (1000, 800)))
    page.set_input_files("input[name=image]", str(photo))
    expect(page.locator(".msg.mine .lb-photo img")).to_have_count(1)
    image = Message.objects.get(type="image")
    # the signed link to the customer's own upload (core.media_access)
    expect(page.locator(".msg.mine .lb-photo img")).to_have_attribute(
        "src", re.compile("^" + re.escape(image.preview.url + "?s="))
    )
    # and the picture really loaded
    page.wait_for_function(
        "() => { const img = document.querySelector('.msg.mine .lb-photo img');"
        " return img && img.complete && img.naturalWidth > 0; }"
    )
    assert list(Message.objects.order_by("id").values_list("type", flat=True)) == [
        "sticker",
        "image",
    ]


def test_customer_scans_qr_picture_then_blocks(page, account, tmp_path):
    qr = tmp_path / "qr.png"
    qr.write_bytes(qr_png(f"http://shop.example/talk/add/@{account.basic_id[1:]}"))
    _create_persona(page, "Aoi")
    page.get_by_role("link", name="Scan QR").first.click()
    page.set_input_files("input[name=picture]", str(qr))
    page.get_by_role("button", name="Open").click()
    page.get_by_test_id("add-friend").click()
    expect(page.get_by_test_id("talk-log")).to_be_visible()
    page.get_by_test_id("room-title").click()
    # LINE asks before blocking: dismissing keeps the friendship
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_test_id("block").click()
    expect(page.get_by_test_id("chat")).to_be_visible()
    assert not Friend.objects.filter(status=Friend.Status.BLOCKED).exists()
    prompts = []
    page.once(
        "dialog", lambda dialog: (prompts.append(dialog.message), dialog.accept())
    )
    page.get_by_test_id("block").click()
    expect(page.get_by_test_id("unblock")).to_be_visible()
    assert prompts[0].startswith("Block ")
    assert Friend.objects.get().status == Friend.Status.BLOCKED


# Real time over the WebSocket --------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def asgi_server(settings):
    """The production ASGI app (HTTP + WebSocket) on a loopback port."""
    settings.CHANNEL_LAYERS = redis_channel_layers(settings.CHANNEL_LAYERS)
    # Server threads close their connections after each request, so none is
    # left open on the test database when the test ends.
    db_settings = connections["default"].settings_dict
    conn_max_age, db_settings["CONN_MAX_AGE"] = db_settings["CONN_MAX_AGE"], 0
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            ASGIStaticFilesHandler(application),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="off",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)
    db_settings["CONN_MAX_AGE"] = conn_max_age


def _in_thread(fn, *args):
    """Run ``fn`` as another process would: in its own thread and connection.

    Playwright's event loop owns the test's thread, so events published from
    it could not reach the channel layer.
    """
    result = []

    def run():
        try:
            result.append(fn(*args))
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(10)
    return result[0]


def test_message_appears_in_open_room_within_a_second(browser, asgi_server, account):
    # given Hanako's talk room is open and its socket connected
    hanako = make_persona("Hanako")
    friend = _in_thread(befriend, account, hanako)
    session = SessionStore()
    talk_session(session, hanako)
    session.create()
    context = browser.new_context(
        base_url=asgi_server, viewport={"width": 375, "height": 812}
    )
    context.add_cookies(
        [{"name": "sessionid", "value": session.session_key, "url": asgi_server}]
    )
    page = context.new_page()
    try:
        page.goto(f"/talk/rooms/{friend.pk}/")
        expect(page.locator("body")).to_have_attribute("data-live", "socket")
        # when staff send a message (committed by the service; from another
        # thread, as Playwright's event loop owns this one)
        _in_thread(_push, friend, "Your order is ready")
        # then it shows without reload, sooner than the 3 s polling
        # interval, so this is the socket's doing (polling is off while the
        # socket is up). The 1 s target itself is measured, not asserted:
        # bench/talk_send.py prints p50/p95 of send → socket.
        expect(page.locator(".msg.theirs .bubble")).to_have_text(
            ["Your order is ready"], timeout=2000
        )
        # and being displayed marks it opened
        deadline = time.monotonic() + 5
        while Message.objects.filter(read_at=None).exists():
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        context.close()


def _show_loading(base_url: str, account, user_id: str, seconds: int) -> None:
    with sdk_client(base_url, token_for(account)) as client:
        line, _blob = sdk_apis(client)
        line.show_loading_animation(
            ShowLoadingAnimationRequest(chat_id=user_id, loading_seconds=seconds)
        )


def test_loading_animation_shows_until_timeout_or_next_message(
    browser, asgi_server, account
):
    # given Hanako's talk room is open and its socket connected
    hanako = make_persona("Hanako")
    friend = _in_thread(befriend, account, hanako)
    user_id = hanako.user_id
    session = SessionStore()
    talk_session(session, hanako)
    session.create()
    context = browser.new_context(
        base_url=asgi_server, viewport={"width": 375, "height": 812}
    )
    context.add_cookies(
        [{"name": "sessionid", "value": session.session_key, "url": asgi_server}]
    )
    page = context.new_page()
    try:
        page.goto(f"/talk/rooms/{friend.pk}/")
        expect(page.locator("body")).to_have_attribute("data-live", "socket")
        loading = page.get_by_test_id("loading")
        # when the bot starts the loading animation for 5 seconds
        _in_thread(_show_loading, asgi_server, account, user_id, 5)
        # then "…" shows at once and goes by itself after those seconds
        expect(loading).to_be_visible(timeout=2000)
        expect(loading).to_have_text("…")
        started = time.monotonic()
        expect(loading).to_have_count(0, timeout=8000)
        assert time.monotonic() - started > 3
        # when it starts again for 60 seconds and the bot answers
        _in_thread(_show_loading, asgi_server, account, user_id, 60)
        expect(loading).to_be_visible(timeout=2000)
        _in_thread(_push, friend, "Here is your answer")
        # then the answer replaces the indicator
        expect(page.locator(".msg.theirs .bubble").last).to_have_text(
            "Here is your answer", timeout=3000
        )
        expect(loading).to_have_count(0)
    finally:
        context.close()
