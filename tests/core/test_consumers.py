"""GroupRelayConsumer: the one consumer shape (authenticate, join, relay)."""

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator

from core.consumers import CLOSE_NOT_FOUND, GroupRelayConsumer

# Channels closes stale database connections around each message.
pytestmark = pytest.mark.django_db


class TwoGroups(GroupRelayConsumer):
    async def groups_to_join(self):
        if self.scope["path"] == "/refused/":
            return None
        return ["test.one", "test.two"]


@pytest.fixture(autouse=True)
def in_memory_layer(settings):
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}
    }


def test_events_of_every_joined_group_are_relayed_as_json():
    async def scenario():
        socket = WebsocketCommunicator(TwoGroups.as_asgi(), "/ok/")
        connected, _code = await socket.connect()
        layer = get_channel_layer()
        await layer.group_send("test.one", {"type": "relay", "event": {"type": "a"}})
        await layer.group_send("test.two", {"type": "relay", "event": {"type": "b"}})
        first = await socket.receive_json_from(timeout=1)
        second = await socket.receive_json_from(timeout=1)
        await socket.disconnect()
        return connected, first, second, sorted(layer.groups)

    connected, first, second, groups = async_to_sync(scenario)()
    assert connected is True
    assert (first, second) == ({"type": "a"}, {"type": "b"})
    # and the socket left both groups when it closed
    assert groups == []


def test_none_refuses_the_connection_like_a_404():
    async def scenario():
        socket = WebsocketCommunicator(TwoGroups.as_asgi(), "/refused/")
        result = await socket.connect()
        layer = get_channel_layer()
        return result, sorted(layer.groups)

    assert async_to_sync(scenario)() == ((False, CLOSE_NOT_FOUND), [])


def test_a_batch_of_events_for_one_group_arrives_as_each_event_in_order():
    """core.events sends a group several events as one ``relay.many``."""

    async def scenario():
        socket = WebsocketCommunicator(TwoGroups.as_asgi(), "/ok/")
        await socket.connect()
        layer = get_channel_layer()
        await layer.group_send(
            "test.one",
            {"type": "relay.many", "events": [{"type": "a", "n": i} for i in range(3)]},
        )
        received = [await socket.receive_json_from(timeout=1) for _i in range(3)]
        nothing_more = await socket.receive_nothing(timeout=0.2)
        await socket.disconnect()
        return received, nothing_more

    received, nothing_more = async_to_sync(scenario)()
    assert received == [
        {"type": "a", "n": 0},
        {"type": "a", "n": 1},
        {"type": "a", "n": 2},
    ]
    assert nothing_more is True
