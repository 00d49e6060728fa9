"""Celery tasks of messaging: thin, id-based, idempotent (STYLE rules 6-8)."""

from celery import shared_task

from messaging import webhooks


@shared_task(acks_late=True)
def deliver_webhook_task(delivery_id: int) -> None:
    """POST one webhook delivery; retry transient failures with backoff.

    The service claims the delivery, so a duplicate or late run does
    nothing; it decides whether another attempt is due (redelivery on,
    timeout/5xx/connection error, fewer than ``MAX_ATTEMPTS``) and when.
    The next attempt is a new task with a countdown rather than
    ``self.retry()``, so eager mode (tests, a bare development machine)
    runs the attempts in a row instead of raising ``Retry``.
    """
    outcome = webhooks.webhook_delivery_attempt(delivery_id=delivery_id)
    if outcome.retry_in is not None:
        deliver_webhook_task.apply_async((delivery_id,), countdown=outcome.retry_in)


@shared_task(acks_late=True)
def send_api_job_task(job_id: int) -> None:
    """Send an accepted narrowcast/broadcast; resumes at its cursor."""
    from messaging.api.services import api_send_job_run

    api_send_job_run(job_id=job_id)


@shared_task
def prune_api_records_task() -> dict:
    """Drop expired reply tokens and retry keys, and old webhook logs."""
    from messaging.api.services import retry_keys_prune

    return {**webhooks.webhook_records_prune(), "retry_keys": retry_keys_prune()}
