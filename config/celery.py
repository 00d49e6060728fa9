import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("lineoa")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Broadcast and step-message tasks live in messaging/broadcast_tasks.py.
app.autodiscover_tasks(related_name="broadcast_tasks")
