"""Issue 16 #7: LINE's SDK, unchanged but for the host, runs a bot here.

A customer writes in the talk app; the platform POSTs the signed webhook to
the echo bot of docs/examples/echo_bot.py; the bot verifies it with the
SDK's ``WebhookHandler`` and answers with ``reply_message`` on the live
server; the customer's room shows the answer.
"""

import importlib.util
import threading
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from messaging.store.models import Message
from messaging.webhooks.models import WebhookDelivery
from messaging.webhooks.services import webhook_endpoint_set
from tests.talk.factories import talk_client

pytestmark = pytest.mark.django_db(transaction=True)

FETCH = {"HTTP_X_REQUESTED_WITH": "fetch"}


def _echo_bot_module():
    path = Path(django_settings.BASE_DIR) / "docs" / "examples" / "echo_bot.py"
    spec = importlib.util.spec_from_file_location("echo_bot", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def echo_bot(live_server, account, token, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    server = _echo_bot_module().make_server(
        channel_secret=account.channel_secret,
        access_token=token,
        api_host=live_server.url,
        port=0,
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/callback"
    server.shutdown()
    server.server_close()


def test_the_echo_bot_answers_in_the_room(account, friend, echo_bot):
    webhook_endpoint_set(account=account, actor=None, url=echo_bot, active=True)
    browser = talk_client(friend.line_user)
    room = f"/talk/rooms/{friend.pk}/"
    # when the customer writes
    sent = browser.post(room + "send", {"text": "Is the café open today?"}, **FETCH)
    assert sent.status_code == 200
    # then the bot received the signed webhook and replied with the same text
    delivery = WebhookDelivery.objects.get(account=account)
    assert delivery.status == "succeeded"
    assert list(
        Message.objects.filter(friend=friend)
        .order_by("id")
        .values_list("direction", "source", "text")
    ) == [
        ("in", "customer", "Is the café open today?"),
        ("out", "api_reply", "Is the café open today?"),
    ]
    # and the room shows the answer as the account's bubble
    latest = browser.get(room + "messages?after=0").json()["messages"]
    assert [m["direction"] for m in latest] == ["in", "out"]
    assert "Is the café open today?" in latest[1]["html"]
