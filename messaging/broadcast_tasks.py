"""Celery tasks of broadcasts and step messages: thin, id-based, idempotent.

Registered by ``config/celery.py`` (``autodiscover_tasks`` with
``related_name="broadcast_tasks"``), since Celery only discovers
``<app>.tasks`` by default. Every task may run twice or concurrently with
itself (``acks_late`` redelivers a task whose worker died); the services
they call make that harmless. Transient database errors (deadlock,
serialization failure, lost connection) are retried with backoff.
"""

from celery import shared_task
from django.db.utils import InterfaceError, OperationalError

from messaging import broadcasts

_RETRY = {
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": 2,
    "retry_backoff_max": 60,
    "retry_kwargs": {"max_retries": 8},
}


@shared_task(**_RETRY)
def broadcast_start_task(broadcast_id: int) -> bool:
    return broadcasts.broadcast_start(broadcast_id=broadcast_id)


@shared_task(**_RETRY)
def broadcast_batch_task(batch_id: int) -> int:
    result = broadcasts.broadcast_batch_send(batch_id=batch_id)
    return result.sent if result else 0


@shared_task(**_RETRY)
def broadcast_finish_task(broadcast_id: int) -> bool:
    return broadcasts.broadcast_finish(broadcast_id=broadcast_id)


@shared_task(**_RETRY)
def broadcasts_dispatch_task() -> dict:
    """Beat: start due broadcasts and revive stalled fan-outs."""
    return broadcasts.broadcasts_dispatch()


@shared_task(**_RETRY)
def step_messages_send_task() -> int:
    """Beat: send every step message that is due."""
    return broadcasts.steps_send_due()
