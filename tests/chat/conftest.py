"""Chat fixtures: a recording channel layer to capture published events."""

import pytest
from channels.layers import InMemoryChannelLayer

from accounts.models import Membership
from tests.factories import UserFactory, add_member


class RecordingLayer(InMemoryChannelLayer):
    """The in-memory layer, also keeping every group message it was given.

    The channel layer is the process boundary (Redis in production);
    recording there lets tests see exactly what pages would receive.
    """

    sent: list[tuple[str, dict]] = []

    async def group_send(self, group, message):
        RecordingLayer.sent.append((group, message["event"]))
        await super().group_send(group, message)


@pytest.fixture
def events(settings):
    """``events(group)`` → the events published to ``group`` so far.

    Events leave on commit: wrap the action in
    ``django_capture_on_commit_callbacks(execute=True)``.
    """
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "tests.chat.conftest.RecordingLayer"}
    }
    RecordingLayer.sent = []

    def of(group: str) -> list[dict]:
        return [event for g, event in RecordingLayer.sent if g == group]

    return of


@pytest.fixture
def dora(account):
    """An "operator without delivery" of Demo Café: may chat, not broadcast."""
    user = UserFactory(username="dora")
    add_member(account, user, Membership.Role.OPERATOR_NO_DELIVERY)
    return user
