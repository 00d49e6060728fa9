"""A broadcast written by a real Celery worker shows in an open talk room
within 2 s, in both setups (issue 16 #3).

The web page runs on the real ASGI application (uvicorn in a thread, as
tests/browser/test_chat_live.py); the bot calls ``POST /v2/bot/message/
broadcast`` through the SDK; the batches run in a ``celery worker``
subprocess (tests/messaging/broadcasts/test_worker.py), so the messages are
written in another process, as under ``make run``:

- ``embedded``: no REDIS_URL for the web or the worker, so both have an
  in-memory channel layer and the worker's events never reach the page's
  socket; the page keeps polling beside it.
- ``redis``: both share the Redis channel layer; the page stops polling
  once its socket is open, and the worker's event brings the message.
"""

import time

import pytest
from django.contrib.sessions.backends.db import SessionStore
from linebot.v3.messaging import BroadcastRequest, TextMessage
from playwright.sync_api import expect

from messaging.broadcasts.models import Broadcast
from messaging.store.models import Message
from tests.browser.test_broadcasts import _in_thread
from tests.browser.test_chat_live import asgi_url  # noqa: F401 - fixture
from tests.messaging.api.factories import sdk_apis, sdk_client, token_for
from tests.messaging.broadcasts.test_worker import (  # noqa: F401 - fixtures
    _wait_for,
    broker,
    workers,
)
from tests.talk.factories import befriend, make_persona, talk_session

pytestmark = [
    pytest.mark.browser,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
]


@pytest.mark.parametrize("setup", ["embedded", "redis"])
def test_a_broadcast_from_a_worker_shows_in_an_open_room_within_2_seconds(
    request, browser, account, settings, monkeypatch, setup
):
    if setup == "embedded":
        # ``make run`` without REDIS_URL: every process has its own layer
        settings.CHANNEL_LAYERS = {
            "default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}
        }
        settings.REALTIME_WORKER_EVENTS = False
        monkeypatch.setenv("REDIS_URL", "")
    else:
        settings.REALTIME_WORKER_EVENTS = True
    base_url = request.getfixturevalue("asgi_url")
    request.getfixturevalue("workers")()
    # given Hanako has Demo Café's room open in the talk app
    hanako = _in_thread(lambda: make_persona("Hanako"))
    room = _in_thread(lambda: befriend(account, hanako))
    session = SessionStore()
    talk_session(session, hanako)
    session.create()
    context = browser.new_context(
        base_url=base_url, viewport={"width": 375, "height": 812}
    )
    context.add_cookies(
        [{"name": "sessionid", "value": session.session_key, "url": base_url}]
    )
    try:
        talk = context.new_page()
        talk.goto(f"/talk/rooms/{room.pk}/")
        expect(talk.locator("body")).to_have_attribute("data-live", "socket")
        keeps_polling = talk.evaluate("'keepPolling' in document.body.dataset")
        assert keeps_polling is (setup == "embedded")
        # when the bot broadcasts; a worker process writes the message
        with sdk_client(base_url, token_for(account)) as client:
            messaging, _blob = sdk_apis(client)
            messaging.broadcast(
                BroadcastRequest(messages=[TextMessage(text=f"Live from {setup}")])
            )
        broadcast = Broadcast.objects.get()
        _wait_for(
            lambda: (
                Message.objects.filter(friend=room, source="api_broadcast")
                .values_list("created_at", flat=True)
                .first()
            ),
            60,
            "the worker to write the message",
        )
        written = time.monotonic()
        # then the open room shows it within 2 s, without a reload
        expect(talk.locator(".msg.theirs .bubble")).to_have_text(
            [f"Live from {setup}"], timeout=2000
        )
        assert time.monotonic() - written < 2.0
        _wait_for(
            lambda: Broadcast.objects.filter(pk=broadcast.pk, status="sent").exists(),
            30,
            "the broadcast to finish",
        )
    finally:
        context.close()
