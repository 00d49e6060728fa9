"""Shop card background work: expiry reminders (beat)."""

from celery import shared_task

from core.tasks import DB_RETRY
from shopcard.services import reminders_send


@shared_task(name="shopcard.reminders_send_task", **DB_RETRY)
def reminders_send_task() -> int:
    """Reminders for points and tickets about to expire; idempotent."""
    return reminders_send()
