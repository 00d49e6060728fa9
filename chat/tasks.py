"""Celery tasks of the chat inbox: thin, idempotent, safe to run twice."""

from celery import shared_task

from chat.services import conversations_wake_due


@shared_task(name="chat.wake_snoozed_conversations_task")
def wake_snoozed_conversations_task() -> int:
    """Celery beat, every minute: snoozed conversations whose time is up
    return to "needs action". Returns how many woke."""
    return conversations_wake_due()
