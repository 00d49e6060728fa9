"""gunicorn settings of the ``api`` process (Procfile, docker-compose.yml).

The LINE-compatible API is plain request/response: WSGI workers with
threads and persistent database connections (``DB_CONN_MAX_AGE``) carry
far less per-request overhead than the ASGI server, which hands every
sync view to a thread and a pooled connection (bench/api.py). Pages and
WebSockets stay on the ``web`` (uvicorn) process.
"""

import os

bind = f"0.0.0.0:{os.environ.get('API_PORT', '8001')}"
workers = int(os.environ.get("API_WORKERS", "2"))
# Threads: a push spends most of its time waiting for PostgreSQL (commit),
# and sync workers would serve one at a time; each thread keeps its own
# persistent connection (DB_CONN_MAX_AGE), so 2 × 8 connections at most.
worker_class = "gthread"
threads = int(os.environ.get("API_THREADS", "8"))
# Keep-alive lets a bot's SDK reuse its connection between calls.
keepalive = 5
accesslog = None
loglevel = "warning"
