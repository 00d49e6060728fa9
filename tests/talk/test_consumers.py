"""Real-time delivery through Channels and the real Redis channel layer.

These tests run without a wrapping transaction (``transaction=True``) so
``transaction.on_commit`` fires exactly as in production.
"""

import asyncio
import threading

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.sessions.backends.db import SessionStore
from django.db import transaction
from django.test import Client

from chat.inbound import customer_message_send
from config.asgi import application
from messaging.store.models import Message
from messaging.store.services import messages_mark_read, messages_send
from tests.talk.factories import (
    befriend,
    make_persona,
    redis_channel_layers,
    talk_session,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def redis_layer(settings):
    settings.CHANNEL_LAYERS = redis_channel_layers(settings.CHANNEL_LAYERS)


def _headers(session_key: str | None) -> list[tuple[bytes, bytes]]:
    headers = [(b"origin", b"http://localhost"), (b"host", b"localhost")]
    if session_key:
        headers.append((b"cookie", f"sessionid={session_key}".encode()))
    return headers


def _customer_session(persona) -> str:
    session = SessionStore()
    talk_session(session, persona)
    session.create()
    return session.session_key


def _staff_session(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def _talk(session_key):
    return WebsocketCommunicator(
        application, "/ws/talk/", headers=_headers(session_key)
    )


def _manager(account, session_key):
    return WebsocketCommunicator(
        application, f"/ws/manager/{account.slug}/", headers=_headers(session_key)
    )


def _push(friend, text):
    return messages_send(
        account=friend.account,
        friends=[friend],
        messages=[{"type": "text", "text": text}],
        source=Message.Source.CHAT,
    )[0]


def test_message_reaches_the_customer_socket_only_after_commit(account):
    # given Hanako's talk app is connected
    hanako = make_persona("Hanako")
    friend = befriend(account, hanako)
    in_transaction = threading.Event()
    may_commit = threading.Event()
    sent = {}
    key = _customer_session(hanako)

    def send_in_a_transaction():
        with transaction.atomic():
            sent["message"] = _push(friend, "Your table is ready")
            in_transaction.set()
            assert may_commit.wait(5)

    async def scenario():
        talk = _talk(key)
        connected, _code = await talk.connect()
        assert connected
        # when the account sends inside a transaction
        sender = asyncio.ensure_future(database_sync_to_async(send_in_a_transaction)())
        while not in_transaction.is_set():
            await asyncio.sleep(0.01)
        # then nothing arrives before the commit ...
        assert await talk.receive_nothing(timeout=0.3)
        may_commit.set()
        await sender
        # ... and the event arrives once it commits
        event = await talk.receive_json_from(timeout=3)
        await talk.disconnect()
        return event

    event = async_to_sync(scenario)()
    message = sent["message"]
    assert event == {
        "type": "message.created",
        "message": {
            "id": message.pk,
            "friend_id": friend.pk,
            "direction": "out",
            "source": "chat",
            "type": "text",
            "payload": {"type": "text", "text": "Your table is ready"},
            "text": "Your table is ready",
            "created_at": message.created_at.isoformat(),
        },
    }


def test_customer_socket_gets_read_marks_and_not_other_customers_events(account):
    hanako, ken = make_persona("Hanako"), make_persona("Ken")
    hanakos = befriend(account, hanako)
    kens = befriend(account, ken)
    key = _customer_session(hanako)

    async def scenario():
        talk = _talk(key)
        assert (await talk.connect())[0]
        await database_sync_to_async(_push)(kens, "for Ken only")
        assert await talk.receive_nothing(timeout=0.3)
        mine = await database_sync_to_async(customer_message_send)(
            friend=hanakos, message={"type": "text", "text": "hi"}
        )
        echo = await talk.receive_json_from(timeout=3)
        await database_sync_to_async(messages_mark_read)(friend=hanakos)
        read = await talk.receive_json_from(timeout=3)
        await talk.disconnect()
        return mine, echo, read

    mine, echo, read = async_to_sync(scenario)()
    assert (echo["type"], echo["message"]["id"]) == ("message.created", mine.pk)
    assert read == {
        "type": "message.read",
        "friend_id": hanakos.pk,
        "up_to_id": mine.pk,
    }


@pytest.mark.parametrize("case", ["no-session", "unknown-persona", "app-off"])
def test_customer_socket_is_refused_without_a_persona(case, settings):
    persona = make_persona()
    key = None if case == "no-session" else _customer_session(persona)
    if case == "unknown-persona":
        persona.delete()
    if case == "app-off":
        settings.TALK_APP_ENABLED = False

    async def scenario():
        talk = _talk(key)
        result = await talk.connect()
        await talk.disconnect()
        return result

    assert async_to_sync(scenario)() == (False, 4404)


def test_staff_socket_gets_the_customers_message(account, alice):
    friend = befriend(account, make_persona("Hanako"))

    async def scenario():
        manager = _manager(account, await database_sync_to_async(_staff_session)(alice))
        assert (await manager.connect())[0]
        sent = await database_sync_to_async(customer_message_send)(
            friend=friend, message={"type": "text", "text": "Is it open?"}
        )
        event = await manager.receive_json_from(timeout=3)
        await manager.disconnect()
        return sent, event

    sent, event = async_to_sync(scenario)()
    assert event["type"] == "message.created"
    assert (event["message"]["id"], event["message"]["direction"]) == (sent.pk, "in")


@pytest.mark.parametrize("who", ["stranger", "anonymous", "unknown-account"])
def test_staff_socket_is_refused_like_a_404(account, other_account, charlie, who):
    def key():
        return None if who == "anonymous" else _staff_session(charlie)

    path_account = account
    if who == "unknown-account":
        path_account = type(account)(basic_id="@zzzzzzzz")

    async def scenario():
        manager = _manager(path_account, await database_sync_to_async(key)())
        result = await manager.connect()
        await manager.disconnect()
        return result

    assert async_to_sync(scenario)() == (False, 4404)


def test_idle_customer_socket_stays_open_and_still_receives(account):
    # given a connected talk app that hears nothing for a while (longer than
    # the channel layer's 5 s blocking read on Redis)
    friend = befriend(account, make_persona("Hanako"))
    key = _customer_session(friend.line_user)

    async def scenario():
        talk = _talk(key)
        assert (await talk.connect())[0]
        assert await talk.receive_nothing(timeout=6.5)
        # when the account sends a message
        sent = await database_sync_to_async(_push)(friend, "Still there?")
        # then the socket is still open and gets it
        event = await talk.receive_json_from(timeout=3)
        await talk.disconnect()
        return sent, event

    sent, event = async_to_sync(scenario)()
    assert (event["type"], event["message"]["id"]) == ("message.created", sent.pk)
