"""Celery options shared by every app's tasks."""

from django.db.utils import InterfaceError, OperationalError

# A task that meets a database outage (PostgreSQL restarting, a dropped
# connection) is retried with backoff instead of failing: 2, 4, 8 … 60 s,
# eight times, about six minutes in all.
DB_RETRY = {
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": 2,
    "retry_backoff_max": 60,
    "retry_kwargs": {"max_retries": 8},
}
