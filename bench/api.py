"""The Messaging API under load, and how fast a webhook reaches the bot.

1. Push throughput and latency: each server the Procfile runs — ``web``
   (uvicorn, ASGI) and ``api`` (gunicorn, WSGI) — with 2 workers, as a
   subprocess on a free port on the scratch database, receives ``GET
   /healthz`` (the trivial endpoint), ``POST /v2/bot/message/push``,
   ``POST /v2/bot/message/reply`` (each request a fresh reply token) and a
   multicast to 500 friends from ``wrk`` (the distribution's C load
   generator: 2 threads, 32 connections, 10 s each); req/s, p50/p99 and
   the ratio to /healthz of the same server in the same run are printed.
   LINE's own limit for push is 2,000 requests/s per channel: the target.
   The same two requests are also timed in process (Django's handler, no
   HTTP, one persistent database connection), which separates the cost of
   the endpoint from that of the server: under ASGI every request runs in a
   new thread and opens a new PostgreSQL connection (persistent connections
   must be off there), which dominates the trivial endpoint.
2. Webhook delivery: a customer sends a text (``customer_message_send`` in this
   process); a real Celery worker (subprocess) delivers the signed webhook
   to a bot server in this process. Time from just before the send to the
   bot receiving the POST; p50/p95 printed.

Needs DATABASE_URL (PostgreSQL), REDIS_URL and CELERY_BROKER_URL (Redis).
"""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench.common import bench_database, summary

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
WORKERS = 2
CONCURRENCY = 32
REQUESTS = 4000
WARMUP = 300
WEBHOOK_SAMPLES = 200
IN_PROCESS = 500


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(db_name: str) -> dict:
    """The environment of the server and worker: the scratch database."""
    parts = urlsplit(os.environ["DATABASE_URL"])
    env = dict(os.environ)
    env["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{db_name}"))
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    env["CELERY_TASK_ALWAYS_EAGER"] = "false"
    env["LOG_LEVEL"] = "WARNING"
    # Under ASGI every request runs in a new thread; persistent connections
    # would pile up (Django's docs: disable them in async deployments).
    env["DB_POOL_MAX"] = "10"  # as the Procfile runs web processes
    # The bench's bot listens on 127.0.0.1 over plain http.
    env["WEBHOOK_ALLOW_PRIVATE_NETWORKS"] = "1"
    return env


def _start(cmd: list[str], env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        cmd, cwd=ROOT, env=env, start_new_session=True, stdout=subprocess.DEVNULL
    )


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


def _wait_http(url: str, timeout: float = 30) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not come up")
        time.sleep(0.2)


# --- 1. HTTP load ----------------------------------------------------------------

# wrk (C, from the distribution): 2 threads, 32 connections, 10 s per case.
# A 500-recipient multicast can take seconds under load: 30 s timeout.
WRK = ["wrk", "-t2", f"-c{CONCURRENCY}", "-d10s", "--timeout=30s", "--latency"]
MULTICAST_RECIPIENTS = 500
_WRK_SCRIPT = """
wrk.method = "{method}"
wrk.body = {body}
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {token}"
"""
# A reply token answers once: each request takes the next unused one from a
# file of tokens the bench wrote (each of wrk's threads its own half).
_WRK_REPLY_SCRIPT = """
local tokens = {{}}
for line in io.lines("{path}") do tokens[#tokens + 1] = line end
local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
local n = 0
local headers = {{
  ["Content-Type"] = "application/json",
  ["Authorization"] = "Bearer {token}",
}}
request = function()
  local i = (n * 2 + tid) % #tokens + 1
  n = n + 1
  local body = '{{"replyToken":"' .. tokens[i] ..
    '","messages":[{{"type":"text","text":"bench"}}]}}'
  return wrk.format("POST", nil, headers, body)
end
"""


def _wrk(url: str, *, method="GET", token="", body=None, script=None) -> dict:
    """One wrk run: requests/s, p50/p99 ms and non-2xx count."""
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as file:
        file.write(
            script
            or _WRK_SCRIPT.format(
                method=method,
                token=token,
                body=json.dumps(json.dumps(body)) if body is not None else "nil",
            )
        )
    out = subprocess.run(
        [*WRK, "-s", file.name, url], capture_output=True, text=True, check=True
    ).stdout
    os.unlink(file.name)

    def ms(label: str) -> float:
        value = out.split(label, 1)[1].split()[0]
        for unit, factor in (("us", 0.001), ("ms", 1), ("s", 1000)):
            if value.endswith(unit):
                return float(value[: -len(unit)]) * factor
        return float("nan")

    errors = 0
    if "Non-2xx" in out:
        errors = int(out.split("Non-2xx or 3xx responses:")[1].split()[0])
    return {
        "rate": float(out.split("Requests/sec:")[1].split()[0]),
        "p50": ms(" 50%"),
        "p99": ms(" 99%"),
        "errors": errors,
    }


REPLY_TOKENS = 40_000


def _reply_tokens(friend) -> str:
    """Write ``REPLY_TOKENS`` unused reply tokens of ``friend``; their file.

    Bench data written directly: what a webhook event would have issued
    (``webhook_events_dispatch_on_commit``), valid for the whole run.
    """
    import datetime as dt
    import secrets
    import tempfile

    from django.utils import timezone

    from messaging.webhooks.models import ReplyToken

    now = timezone.now()
    tokens = [secrets.token_hex(16) for _i in range(REPLY_TOKENS)]
    ReplyToken.objects.bulk_create(
        [
            ReplyToken(
                account_id=friend.account_id,
                friend=friend,
                token=token,
                event_at=now,
                expires_at=now + dt.timedelta(hours=2),
            )
            for token in tokens
        ],
        batch_size=5000,
    )
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as file:
        file.write("\n".join(tokens) + "\n")
    return file.name


def _http_bench(
    name: str, port: int, token: str, user_id: str, to: list[str], tokens_file: str
):
    """/healthz, push, reply and multicast (500 recipients) on one server."""
    base = f"http://127.0.0.1:{port}"
    push = {"to": user_id, "messages": [{"type": "text", "text": "bench"}]}
    multicast = {"to": to, "messages": [{"type": "text", "text": "bench"}]}
    reply = _WRK_REPLY_SCRIPT.format(path=tokens_file, token=token)
    cases = [
        ("GET /healthz", f"{base}/healthz", {}),
        ("POST push", f"{base}/v2/bot/message/push", {"body": push}),
        ("POST reply", f"{base}/v2/bot/message/reply", {"script": reply}),
        (
            f"POST multicast ({len(to)})",
            f"{base}/v2/bot/message/multicast",
            {"body": multicast},
        ),
    ]
    _wrk(f"{base}/healthz")  # warm up every worker
    results = {}
    for label, url, extra in cases:
        method = "POST" if "body" in extra else "GET"
        results[label] = r = _wrk(url, method=method, token=token, **extra)
        print(
            f"{name:<34} {label:<22} {r['rate']:>8,.0f} req/s  p50 {r['p50']:6.1f} ms"
            f"  p99 {r['p99']:6.1f} ms  non-2xx {r['errors']}"
        )
    trivial = results["GET /healthz"]["rate"]
    push, reply = results["POST push"]["rate"], results["POST reply"]["rate"]
    print(
        f"{name:<34} push / healthz {push / trivial:.2f}, "
        f"reply / healthz {reply / trivial:.2f}, reply / push {reply / push:.2f}"
    )
    return results


def _in_process(token: str, user_id: str) -> None:
    """The same two requests through Django's handler, without HTTP or ASGI,
    on one persistent database connection: what a request costs the CPU."""
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    body = json.dumps({"to": user_id, "messages": [{"type": "text", "text": "x"}]})
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    def push():
        client.post("/v2/bot/message/push", body, "application/json", **auth)

    def trivial():
        client.get("/healthz")

    for name, call in (("GET /healthz", trivial), ("POST push", push)):
        for _i in range(50):
            call()
        samples = []
        for _i in range(IN_PROCESS):
            start = time.perf_counter()
            call()
            samples.append((time.perf_counter() - start) * 1000)
        print(f"in process, 1 thread, {name}: " + summary(samples))


# --- 2. Webhook delivery -------------------------------------------------------------


class Bot:
    """A bot's webhook server recording when each message event arrives."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        self.cond = threading.Condition()
        bot = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                now = time.perf_counter()
                self.send_response(200)
                self.end_headers()
                with bot.cond:
                    for event in json.loads(body)["events"]:
                        if event["type"] == "message":
                            bot.arrived[event["message"]["id"]] = now
                    bot.cond.notify_all()

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/callback"

    def wait_for(self, message_id: str, timeout: float = 30) -> float:
        with self.cond:
            if not self.cond.wait_for(
                lambda: str(message_id) in self.arrived, timeout=timeout
            ):
                raise RuntimeError(f"webhook for message {message_id} never arrived")
            return self.arrived[str(message_id)]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _webhook_bench(account, friend, env: dict) -> None:
    from django.conf import settings

    from chat.inbound import customer_message_send
    from messaging.webhooks.services import webhook_endpoint_set

    bot = Bot()
    worker = _start(
        [
            str(BIN / "celery"),
            "-A",
            "config",
            "worker",
            "--loglevel",
            "WARNING",
            "--concurrency",
            "2",
            "--without-gossip",
            "--without-mingle",
        ],
        env,
    )
    try:
        # A local bot (http://127.0.0.1): allowed in this process as in
        # the worker's environment (``_env``).
        settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
        webhook_endpoint_set(account=account, actor=None, url=bot.url, active=True)
        # The first delivery also waits for the worker to start.
        first = customer_message_send(
            friend=friend, message={"type": "text", "text": "up?"}
        )
        bot.wait_for(first.public_id, timeout=60)
        latencies = []
        for i in range(WEBHOOK_SAMPLES):
            start = time.perf_counter()
            row = customer_message_send(
                friend=friend, message={"type": "text", "text": f"{i}"}
            )
            latencies.append((bot.wait_for(row.public_id) - start) * 1000)
        print(
            f"customer send -> bot receives webhook ({WEBHOOK_SAMPLES} sends, "
            "Celery worker, signed POST): " + summary(latencies)
        )
    finally:
        _stop(worker)
        bot.close()


def _servers() -> list[tuple[str, list[str], dict]]:
    """The two ways the Procfile and docker-compose.yml serve HTTP: ``web``
    (uvicorn, ASGI: pages, WebSockets, and the API too) and ``api``
    (gunicorn, WSGI, threaded workers with persistent connections: the
    API)."""
    return [
        (
            f"web: uvicorn ASGI, {WORKERS} workers",
            [
                str(BIN / "uvicorn"),
                "config.asgi:application",
                "--host=127.0.0.1",
                "--port={port}",
                f"--workers={WORKERS}",
                "--log-level=warning",
                "--no-access-log",
            ],
            {"DB_POOL_MAX": "10"},
        ),
        (
            f"api: gunicorn gthread, {WORKERS} workers",
            [
                str(BIN / "gunicorn"),
                "config.wsgi:application",
                "--config=config/gunicorn.py",
                "--bind=127.0.0.1:{port}",
                f"--workers={WORKERS}",
            ],
            {"DB_POOL_MAX": "0", "DB_CONN_MAX_AGE": "600"},
        ),
    ]


def main(argv=None) -> None:
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        print("skipped: set DATABASE_URL to a PostgreSQL database to run this")
        return
    with bench_database() as db_name:
        from django.db import connection

        from accounts.models import Plan, User
        from accounts.services import (
            account_create,
            account_quota_override_set,
            channel_token_issue,
        )
        from chat.inbound import customer_follow
        from messaging.friends.services import line_user_create

        admin = User.objects.create(username="bench-api")
        account = account_create(
            actor=admin, display_name="Bench", plan=Plan.objects.get(code="standard")
        )
        account_quota_override_set(account=account, actor=None, limit=10**9)
        _record, token = channel_token_issue(account=account, actor=None)
        friend = customer_follow(
            account=account, line_user=line_user_create(display_name="Bench customer")
        ).friend
        # multicast recipients: friends of the bench account
        to = [friend.line_user.user_id] + [
            customer_follow(
                account=account, line_user=line_user_create(display_name=f"M{i}")
            ).friend.line_user.user_id
            for i in range(MULTICAST_RECIPIENTS - 1)
        ]
        _in_process(token, friend.line_user.user_id)
        # Each server answers its own tokens: a used one is a 400.
        tokens_files = [_reply_tokens(friend) for _server in _servers()]
        # Server and worker connections must be gone before the drop.
        connection.settings_dict["CONN_MAX_AGE"] = 0
        connection.close()
        env = _env(db_name)
        print(
            f"wrk -t2 -c{CONCURRENCY} -d10s per case, same machine, same database; "
            "ratios against /healthz of the same server"
        )
        for (name, cmd, extra_env), tokens_file in zip(
            _servers(), tokens_files, strict=True
        ):
            port = _free_port()
            server = _start(
                [part.replace("{port}", str(port)) for part in cmd],
                {**env, **extra_env},
            )
            try:
                _wait_http(f"http://127.0.0.1:{port}/healthz")
                _http_bench(
                    name, port, token, friend.line_user.user_id, to, tokens_file
                )
            finally:
                _stop(server)
        for tokens_file in tokens_files:
            os.unlink(tokens_file)
        _webhook_bench(account, friend, env)
        connection.close()


if __name__ == "__main__":
    main()
