"""Celery tasks of accounts: thin, idempotent, safe to run twice."""

from celery import shared_task

from accounts.quota import quota_warning_send
from accounts.services import channel_tokens_prune


@shared_task(name="accounts.prune_expired_tokens_task")
def prune_expired_tokens_task() -> int:
    """Beat, hourly: drop expired channel access tokens; returns how many."""
    return channel_tokens_prune()


@shared_task(name="accounts.quota_warning_task")
def quota_warning_task(usage_id: int) -> int:
    """After a counted send: e-mail admins once per threshold (80/100 %)."""
    return quota_warning_send(usage_id=usage_id)
