"""Real-time events: the one way code pushes to open pages.

Services call ``send_event_on_commit``; nothing leaves before the
transaction commits. Groups are ``account.<id>`` (staff pages of an account)
and ``lineuser.<id>`` (a customer's talk app). Consumers only relay.
Pages also poll, so a lost event is only late, never lost.
"""

import json
import logging
from collections.abc import Iterable

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)


def account_group(account_id: int) -> str:
    return f"account.{account_id}"


def line_user_group(line_user_id: int) -> str:
    return f"lineuser.{line_user_id}"


def send_event_on_commit(*, groups: Iterable[str], event: dict) -> None:
    """Publish ``event`` (JSON-serialisable, with a ``type``) after commit."""
    if "type" not in event:
        raise ValueError("an event needs a type")
    payload = json.loads(json.dumps(event))  # fail now, not after commit
    groups = list(groups)
    transaction.on_commit(lambda: _publish(groups, payload))


def _publish(groups: list[str], event: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        # One event loop and connection for every group of the event.
        async_to_sync(_group_send_all)(layer, groups, event)
    except Exception:  # the page's polling covers a missed event
        logger.exception("could not publish %s to %s", event["type"], groups)


async def _group_send_all(layer, groups: list[str], event: dict) -> None:
    message = {"type": "relay", "event": event}
    for group in groups:
        await layer.group_send(group, message)
