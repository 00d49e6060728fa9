"""Celery tasks of the broadcast engine: thin, id-based, idempotent."""

from celery import shared_task

from core.tasks import DB_RETRY
from messaging.broadcasts.control import broadcasts_dispatch
from messaging.broadcasts.fanout import (
    broadcast_batch_send,
    broadcast_finish,
    broadcast_start,
)


@shared_task(name="messaging.broadcast_start_task", **DB_RETRY)
def broadcast_start_task(broadcast_id: int) -> bool:
    return broadcast_start(broadcast_id=broadcast_id)


@shared_task(name="messaging.broadcast_batch_task", **DB_RETRY)
def broadcast_batch_task(batch_id: int) -> int:
    result = broadcast_batch_send(batch_id=batch_id)
    return result.sent if result else 0


@shared_task(name="messaging.broadcast_finish_task", **DB_RETRY)
def broadcast_finish_task(broadcast_id: int) -> bool:
    return broadcast_finish(broadcast_id=broadcast_id)


@shared_task(name="messaging.broadcasts_dispatch_task", **DB_RETRY)
def broadcasts_dispatch_task() -> dict:
    """Beat: start due broadcasts and revive stalled fan-outs."""
    return broadcasts_dispatch()
