"""Celery tasks of the Messaging API: thin, idempotent, safe to run twice."""

from celery import shared_task

from messaging.api.services import api_send_job_run, retry_keys_prune


@shared_task(name="messaging.send_api_job_task", acks_late=True)
def send_api_job_task(job_id: int) -> None:
    """Send an accepted narrowcast/broadcast; resumes at its cursor."""
    api_send_job_run(job_id=job_id)


@shared_task(name="messaging.prune_retry_keys_task")
def prune_retry_keys_task() -> int:
    """Beat, hourly: drop retry keys older than 24 hours; returns how many."""
    return retry_keys_prune()
