"""gunicorn settings of the ``api`` process (Procfile, docker-compose.yml).

The LINE-compatible API is plain request/response: WSGI sync workers with
persistent database connections (``DB_CONN_MAX_AGE``) serve it several
times faster than the ASGI server, which runs every sync view in a thread
(bench/api.py). Pages and WebSockets stay on the ``web`` (uvicorn) process.
"""

import os

bind = f"0.0.0.0:{os.environ.get('API_PORT', '8001')}"
workers = int(os.environ.get("API_WORKERS", "2"))
worker_class = "sync"
# Keep-alive lets a bot's SDK reuse its connection between calls.
keepalive = 5
accesslog = None
loglevel = "warning"
