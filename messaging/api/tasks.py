"""Celery tasks of the Messaging API: thin, idempotent, safe to run twice."""

from celery import shared_task

from messaging.api.services import retry_keys_prune


@shared_task(name="messaging.prune_retry_keys_task")
def prune_retry_keys_task() -> int:
    """Beat, hourly: drop retry keys older than 24 hours; returns how many."""
    return retry_keys_prune()
