import os

from celery import Celery

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
