"""Celery tasks of analytics: thin, idempotent, safe to run twice."""

from celery import shared_task

from analytics.rollups import rollup_due
from core.tasks import DB_RETRY


@shared_task(name="analytics.rollup_task", **DB_RETRY)
def rollup_task() -> dict:
    """Beat, hourly: roll every account's finished days into the rollups."""
    return rollup_due()
