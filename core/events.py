"""Real-time events: the one way code pushes to open pages.

Services call ``send_event_on_commit``; nothing leaves before the
transaction commits. Groups are ``account.<id>`` (staff pages of an account)
and ``lineuser.<id>`` (a customer's talk app). Consumers only relay.
Pages also poll, so a lost event is only late, never lost.
"""

import asyncio
import atexit
import json
import logging
import os
import threading
from collections.abc import Iterable

from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)


def account_group(account_id: int) -> str:
    return f"account.{account_id}"


def line_user_group(line_user_id: int) -> str:
    return f"lineuser.{line_user_id}"


def send_event_on_commit(*, groups: Iterable[str], event: dict) -> None:
    """Publish ``event`` (JSON-serialisable, with a ``type``) after commit."""
    send_events_on_commit(events=[(groups, event)])


def send_events_on_commit(*, events: Iterable[tuple[Iterable[str], dict]]) -> None:
    """Publish several ``(groups, event)`` pairs after commit, in order.

    One commit hook and one wait for the channel layer for all of them: a
    multicast to 500 friends publishes 500 events, and waiting for each in
    turn cost more than the rest of the request (bench/api.py).
    """
    batch = []
    for groups, event in events:
        if "type" not in event:
            raise ValueError("an event needs a type")
        # JSON round trip: fail now, not after commit
        batch.append((list(groups), json.loads(json.dumps(event))))
    if batch:
        transaction.on_commit(lambda: _publish(batch))


def _publish(batch: list[tuple[list[str], dict]]) -> None:
    """Hand ``batch`` to this process's publisher loop; do not wait for it.

    The request (or task) that committed goes on at once: a push no longer
    waits for its two channel-layer round trips, a 500-friend multicast for
    its 501 (issue 18, #7). Pages fetch new messages by id when an event
    arrives, so the order in which two sends' events leave does not matter.
    At most ``PUBLISH_BACKLOG`` batches are in flight per process; past that
    a publish waits (back pressure) up to ``PUBLISH_TIMEOUT``, then is
    dropped with a warning — pages that cannot rely on events poll.
    """
    layer = get_channel_layer()
    if layer is None:
        return
    global _inflight
    with _inflight_cond:
        if not _inflight_cond.wait_for(
            lambda: _inflight < PUBLISH_BACKLOG, timeout=PUBLISH_TIMEOUT
        ):
            logger.warning(
                "event backlog full: %d events dropped (%s, ...)",
                len(batch),
                batch[0][1]["type"],
            )
            return
        _inflight += 1
    future = asyncio.run_coroutine_threadsafe(
        asyncio.wait_for(_group_send_all(layer, batch), PUBLISH_TIMEOUT),
        _publisher_loop(),
    )
    future.add_done_callback(lambda done: _published(done, batch))


def _published(future, batch: list[tuple[list[str], dict]]) -> None:
    global _inflight
    with _inflight_cond:
        _inflight -= 1
        _inflight_cond.notify_all()
    if future.cancelled() or future.exception() is not None:
        # the page's polling covers a missed event
        logger.error(
            "could not publish %d events (%s, ...)",
            len(batch),
            batch[0][1]["type"],
            exc_info=None if future.cancelled() else future.exception(),
        )


def events_flush(timeout: float | None = None) -> bool:
    """Wait until every batch this process published has left (or failed).

    For process exit (registered with ``atexit``, so a management command's
    last events are not lost) and for tests that read the channel layer
    right after an action. Returns False if ``timeout`` (default
    ``PUBLISH_TIMEOUT``) passed first.
    """
    with _inflight_cond:
        return _inflight_cond.wait_for(
            lambda: _inflight == 0, timeout=timeout or PUBLISH_TIMEOUT
        )


async def _group_send_all(layer, batch: list[tuple[list[str], dict]]) -> None:
    """Every group gets its events in order, in one channel-layer message.

    A group with several events (the account's staff pages during a
    500-friend multicast) gets one ``relay.many`` message instead of one
    message per event: one Redis round trip instead of 500, and no events
    dropped by a full channel (channels_redis keeps 100 messages per
    channel). Groups are served side by side.
    """
    by_group: dict[str, list[dict]] = {}
    for groups, event in batch:
        for group in groups:
            by_group.setdefault(group, []).append(event)

    # Bounded for the whole process (batches run side by side): each
    # concurrent send holds a connection of the layer's pool.
    slots = _loop_state["slots"]

    async def send(group: str, events: list[dict]) -> None:
        message = (
            {"type": "relay", "event": events[0]}
            if len(events) == 1
            else {"type": "relay.many", "events": events}
        )
        async with slots:
            await layer.group_send(group, message)

    await asyncio.gather(*(send(g, events) for g, events in by_group.items()))


# One event loop per process, in a daemon thread, for every publish. The
# channel layer keeps its Redis connections per loop, so a long-lived loop
# reuses them: ``async_to_sync`` would build a loop and connect to Redis
# on every call (~4 ms), and refuses to run in a thread that already has a
# loop. Keyed by pid so a forked Celery worker starts its own.
PUBLISH_TIMEOUT = 5.0
PUBLISH_CONCURRENCY = 16  # group sends at once per process
PUBLISH_BACKLOG = 256  # batches in flight per process before publishers wait
_inflight = 0
_inflight_cond = threading.Condition()
atexit.register(events_flush)
_loop_lock = threading.Lock()
_loop_state: dict = {"pid": None, "loop": None, "slots": None}


def _publisher_loop() -> asyncio.AbstractEventLoop:
    with _loop_lock:
        if _loop_state["pid"] != os.getpid() or not _loop_state["loop"].is_running():
            loop = asyncio.new_event_loop()
            thread = threading.Thread(
                target=loop.run_forever, name="events-publisher", daemon=True
            )
            thread.start()
            _loop_state.update(
                pid=os.getpid(),
                loop=loop,
                slots=asyncio.Semaphore(PUBLISH_CONCURRENCY),
            )
        return _loop_state["loop"]
