"""Template context shared by every page."""

from django.conf import settings


def realtime(request) -> dict:
    """``keep_polling``: pages must poll even with a live socket, because
    events raised in Celery workers cannot reach it (no shared channel
    layer; ``settings.REALTIME_WORKER_EVENTS``)."""
    return {"keep_polling": not settings.REALTIME_WORKER_EVENTS}
