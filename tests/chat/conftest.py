"""Chat fixtures: a recording channel layer to capture published events."""

import pytest
from channels_redis.core import RedisChannelLayer

from accounts.models import Membership
from core.events import events_flush
from tests.factories import UserFactory, add_member


class RecordingLayer(RedisChannelLayer):
    """The deployed Redis layer, also keeping every event it was given.

    The channel layer is the process boundary (Redis in production);
    recording there lets tests see exactly what pages would receive. It runs
    on the run's own key prefix (tests/conftest.py), so runs sharing a Redis
    cannot hear each other.
    """

    sent: list[tuple[str, dict]] = []

    async def group_send(self, group, message):
        # core.events sends one event ("relay") or a batch ("relay.many")
        for event in message.get("events") or [message["event"]]:
            RecordingLayer.sent.append((group, event))
        await super().group_send(group, message)


@pytest.fixture
def events(settings):
    """``events(group)`` → the events published to ``group`` so far.

    Events leave on commit: wrap the action in
    ``django_capture_on_commit_callbacks(execute=True)``.
    """
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "tests.chat.conftest.RecordingLayer",
            "CONFIG": settings.CHANNEL_LAYERS["default"]["CONFIG"],
        }
    }
    RecordingLayer.sent = []

    def of(group: str) -> list[dict]:
        # core.events publishes in the background: wait for what is in flight
        assert events_flush()
        return [event for g, event in RecordingLayer.sent if g == group]

    return of


@pytest.fixture
def dora(account):
    """An "operator without delivery" of Demo Café: may chat, not broadcast."""
    user = UserFactory(username="dora")
    add_member(account, user, Membership.Role.OPERATOR_NO_DELIVERY)
    return user
