"""Every test run's Redis keys under a prefix of its own (issue 19, #13).

Cache, channel layer, rate limits, the broker's queues and its sentinel all
start with ``settings.REDIS_KEY_PREFIX``; the suite sets a random one per
process (each xdist worker too), so two runs on one machine sharing the
Redis databases cannot read, flush or deliver each other's keys. Celery
workers the tests start inherit it through the environment.
"""

import os
import uuid

import redis
from django.conf import settings

from config.celery import app as celery_app

RUN_PREFIX = f"lineoa-test-{uuid.uuid4().hex[:8]}"


def redis_keys_of_this_run() -> None:
    """Point every Redis user of this process at ``RUN_PREFIX``."""
    os.environ["REDIS_KEY_PREFIX"] = RUN_PREFIX
    settings.REDIS_KEY_PREFIX = RUN_PREFIX
    if "KEY_PREFIX" in settings.CACHES["default"]:
        settings.CACHES["default"]["KEY_PREFIX"] = RUN_PREFIX
    layer = settings.CHANNEL_LAYERS["default"]
    if "prefix" in layer.get("CONFIG", {}):
        layer["CONFIG"]["prefix"] = f"{RUN_PREFIX}:asgi"
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    if "global_keyprefix" in options:
        options["global_keyprefix"] = f"{RUN_PREFIX}:"
        celery_app.conf.broker_transport_options = dict(options)


def redis_delete_run_keys(url: str) -> None:
    """Delete this run's keys (and only them) from the Redis at ``url``."""
    client = redis.Redis.from_url(url)
    for key in client.scan_iter(match=f"{RUN_PREFIX}*", count=1000):
        client.delete(key)
