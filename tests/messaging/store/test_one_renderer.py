"""Staff preview == what the customer gets: one renderer, three surfaces."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from chat.inbound import customer_message_send
from chat.models import Conversation
from messaging.store.models import Message
from messaging.store.services import messages_send
from tests.htmlquery import outer_html
from tests.messaging.store.test_rendering import CASES
from tests.talk.factories import befriend, make_persona, talk_client

START = '<div class="lb lb--'


def _bubbles(html: str) -> list[str]:
    """Every bubble's exact markup in ``html``, in order."""
    found, pos = [], html.find(START)
    while pos != -1:
        found.append(outer_html(html[pos:], START))
        pos = html.find(START, pos + len(START))
    return found


def test_talk_room_chat_pane_and_preview_draw_identical_bubbles(account, alice_client):
    # given Hanako follows the account and wrote once (a conversation exists)
    hanako = make_persona("Hanako")
    friend = befriend(account, hanako)
    customer_message_send(friend=friend, message={"type": "text", "text": "Hi"})
    drafts = [
        {**CASES["flex bubble"][0], "altText": "For {Nickname}"},
        CASES["template carousel"][0],
        CASES["imagemap"][0],
        {"type": "text", "text": "Thanks, {Nickname}! https://example.com"},
        CASES["location"][0],
    ]
    # when the account sends these messages
    messages_send(
        account=account,
        friends=[friend],
        messages=drafts,
        source=Message.Source.CHAT,
    )
    # then the customer's room (page and live update), the chat pane (page
    # and live update) and the composer's preview show the same bubbles
    room = talk_client(hanako).get(f"/talk/rooms/{friend.pk}/").content.decode()
    live = talk_client(hanako).get(f"/talk/rooms/{friend.pk}/messages?after=0")
    live_html = "".join(m["html"] for m in live.json()["messages"])
    conversation = Conversation.objects.get(friend=friend)
    args = [account.slug, conversation.pk]
    pane = alice_client.get(reverse("chat:conversation", args=args)).content.decode()
    pane_live = alice_client.get(
        reverse("chat:conversation-messages", args=args) + "?after=0"
    )
    pane_live_html = "".join(m["html"] for m in pane_live.json()["messages"])
    preview = alice_client.post(
        reverse("broadcasts:bubbles-preview", args=[account.slug]),
        {"messages": drafts},
        content_type="application/json",
    ).json()["html"]
    expected = _bubbles(preview)
    assert len(expected) == 5
    # the customer's own "Hi" comes first in the room and the pane
    assert _bubbles(room)[1:] == expected
    assert _bubbles(live_html)[1:] == expected
    assert _bubbles(pane)[1:] == expected
    assert _bubbles(pane_live_html)[1:] == expected
    # and the placeholders were filled with the (sample) friend's name
    assert "Thanks, Hanako!" in expected[3]


def test_rich_bubbles_cost_no_queries(account):
    """Drawing Flex, templates and imagemaps reads nothing from the database:
    a room of rich messages costs what a room of texts costs."""

    def room_queries(messages) -> int:
        persona = make_persona(f"P{len(messages)}{messages[0]['type']}")
        friend = befriend(account, persona)
        messages_send(
            account=account, friends=[friend], messages=messages, source="chat"
        )
        client = talk_client(persona)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"/talk/rooms/{friend.pk}/").status_code == 200
        return len(ctx.captured_queries)

    rich = [
        CASES[name][0]
        for name in (
            "flex bubble",
            "flex carousel",
            "template carousel",
            "imagemap",
            "location",
        )
    ]
    texts = [{"type": "text", "text": f"t{i}"} for i in range(5)]
    assert room_queries(rich) == room_queries(texts)
