"""Celery tasks of the webhook ledger."""

from celery import shared_task

from messaging.webhooks.services import (
    webhook_deliveries_resume,
    webhook_delivery_attempt,
    webhook_records_prune,
)


@shared_task(name="messaging.deliver_webhook_task", acks_late=True)
def deliver_webhook_task(delivery_id: int) -> None:
    """POST one webhook delivery (with its batch); retry transient failures.

    The service claims the delivery, together with other deliveries of the
    same bot that are due (one POST for all), so a duplicate or late run,
    or the task of a delivery already sent in a batch, does nothing; it
    decides whether another attempt is due for each delivery (redelivery
    on, timeout/5xx/connection error, fewer than ``MAX_ATTEMPTS``) and when.
    The next attempt is a new task with a countdown rather than
    ``self.retry()``, so eager mode (tests, a bare development machine)
    runs the attempts in a row instead of raising ``Retry``.
    """
    outcome = webhook_delivery_attempt(delivery_id=delivery_id)
    for retry_id, retry_in in outcome.retries:
        deliver_webhook_task.apply_async((retry_id,), countdown=retry_in)


@shared_task(name="messaging.prune_webhook_records_task")
def prune_webhook_records_task() -> dict:
    """Beat, hourly: drop expired reply tokens and old webhook delivery logs.

    Returns the number of rows dropped per kind.
    """
    return webhook_records_prune()


@shared_task(name="messaging.resume_webhook_deliveries_task")
def resume_webhook_deliveries_task() -> int:
    """Beat, every 30 s: queue again deliveries whose task was lost.

    Returns how many were queued (``webhook_deliveries_resume``).
    """
    return len(webhook_deliveries_resume())
