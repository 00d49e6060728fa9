import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("lineoa")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# The messaging app keeps one tasks module per package (docs/architecture.md).
app.autodiscover_tasks(
    [
        "messaging.api",
        "messaging.automation",
        "messaging.broadcasts",
        "messaging.webhooks",
    ]
)


@signals.task_postrun.connect
def _close_old_connections(task=None, **_kwargs) -> None:
    """After each task, what Django does after each request: drop database
    connections that are broken or older than ``CONN_MAX_AGE``, keep the rest.

    Celery's Django fixup would close every connection before and after
    every task (a new PostgreSQL connection per task: ~20 ms of the ~30 ms
    a webhook task took under load, bench/webhooks.py); with
    ``CELERY_DB_REUSE_MAX`` set it only recycles them now and then, and this
    handler keeps ``CONN_MAX_AGE``/``CONN_HEALTH_CHECKS`` in force (the
    Procfile and compose give workers ``DB_CONN_MAX_AGE=600``).
    """
    from django.db import close_old_connections

    # An eager task (tests, a bare development machine) runs inside the
    # caller's request or transaction: its connection is not the task's.
    if not getattr(task.request, "is_eager", False):
        close_old_connections()
