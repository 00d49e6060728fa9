"""Celery tasks of VOOM posts: thin, idempotent, safe to run twice."""

from celery import shared_task

from voom.services import posts_publish_due


@shared_task(name="voom.publish_due_posts_task")
def publish_due_posts_task() -> int:
    """Celery beat, every minute: scheduled posts whose time has come are
    published. Returns how many."""
    return posts_publish_due()
