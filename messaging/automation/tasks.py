"""Celery tasks of step messages: thin, idempotent, safe to run twice."""

from celery import shared_task

from core.tasks import DB_RETRY
from messaging.automation.services import steps_send_due


@shared_task(name="messaging.step_messages_send_task", **DB_RETRY)
def step_messages_send_task() -> int:
    """Beat, every minute: send every step message that is due.

    Returns how many were sent.
    """
    return steps_send_due()
