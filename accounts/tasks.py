"""Celery tasks of accounts: thin, idempotent, safe to run twice."""

from celery import shared_task

from accounts.services import channel_tokens_prune


@shared_task(name="accounts.prune_expired_tokens_task")
def prune_expired_tokens_task() -> int:
    """Beat, hourly: drop expired channel access tokens; returns how many."""
    return channel_tokens_prune()
