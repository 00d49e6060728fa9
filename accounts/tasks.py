from celery import shared_task

from accounts.services import channel_tokens_prune


@shared_task
def prune_expired_tokens_task() -> int:
    return channel_tokens_prune()
