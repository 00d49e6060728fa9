"""The Messaging API under load, and how fast a webhook reaches the bot.

1. Push throughput and latency: a real uvicorn server (2 workers, a
   subprocess on a free port, the scratch database) receives
   ``POST /v2/bot/message/push`` with a bearer token from CONCURRENCY
   concurrent clients (aiohttp); the same run measures ``GET /healthz``,
   the trivial JSON endpoint of the same server, and prints the ratio.
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

import asyncio
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

from bench.common import Timer, bench_database, percentile, summary

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


async def _load(method: str, url: str, *, count: int, headers=None, body=None):
    """``count`` requests from CONCURRENCY clients: (seconds, ms list, codes)."""
    import aiohttp

    latencies: list[float] = []
    codes: dict[int, int] = {}
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(count):
        queue.put_nowait(i)
    data = json.dumps(body).encode() if body is not None else None
    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:

        async def client():
            while True:
                try:
                    queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                start = time.perf_counter()
                async with session.request(method, url, data=data) as response:
                    await response.read()
                latencies.append((time.perf_counter() - start) * 1000)
                codes[response.status] = codes.get(response.status, 0) + 1

        started = time.perf_counter()
        await asyncio.gather(*(client() for _i in range(CONCURRENCY)))
        seconds = time.perf_counter() - started
    return seconds, latencies, codes


def _report(name: str, seconds: float, latencies: list[float], codes: dict) -> float:
    rate = len(latencies) / seconds
    print(
        f"{name}: {rate:,.0f} requests/s, p50 {percentile(latencies, 50):.1f} ms, "
        f"p99 {percentile(latencies, 99):.1f} ms, status {dict(sorted(codes.items()))}"
    )
    return rate


def _http_bench(port: int, token: str, user_id: str) -> None:
    base = f"http://127.0.0.1:{port}"
    auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    push = {"to": user_id, "messages": [{"type": "text", "text": "bench"}]}
    run = asyncio.run
    run(_load("GET", f"{base}/healthz", count=WARMUP))
    run(
        _load(
            "POST", f"{base}/v2/bot/message/push", count=WARMUP, headers=auth, body=push
        )
    )
    print(
        f"uvicorn, {WORKERS} workers; {REQUESTS} requests per endpoint from "
        f"{CONCURRENCY} concurrent clients"
    )
    trivial = _report(
        "GET /healthz (trivial JSON)",
        *run(_load("GET", f"{base}/healthz", count=REQUESTS)),
    )
    pushed = _report(
        "POST /v2/bot/message/push",
        *run(
            _load(
                "POST",
                f"{base}/v2/bot/message/push",
                count=REQUESTS,
                headers=auth,
                body=push,
            )
        ),
    )
    print(f"push / trivial throughput ratio: {pushed / trivial:.2f}")
    print(
        "LINE's per-channel push limit: 2,000 requests/s "
        f"({pushed / 2000:.0%} of it on {WORKERS} workers)"
    )


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

    def wait_for(self, message_id: int, timeout: float = 30) -> float:
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
        bot.wait_for(first.pk, timeout=60)
        latencies = []
        for i in range(WEBHOOK_SAMPLES):
            start = time.perf_counter()
            row = customer_message_send(
                friend=friend, message={"type": "text", "text": f"{i}"}
            )
            latencies.append((bot.wait_for(row.pk) - start) * 1000)
        print(
            f"customer send -> bot receives webhook ({WEBHOOK_SAMPLES} sends, "
            "Celery worker, signed POST): " + summary(latencies)
        )
    finally:
        _stop(worker)
        bot.close()


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
        _in_process(token, friend.line_user.user_id)
        # Server and worker connections must be gone before the drop.
        connection.settings_dict["CONN_MAX_AGE"] = 0
        connection.close()
        env = _env(db_name)
        port = _free_port()
        server = _start(
            [
                str(BIN / "uvicorn"),
                "config.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(WORKERS),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            env,
        )
        try:
            _wait_http(f"http://127.0.0.1:{port}/healthz")
            with Timer() as t:
                _http_bench(port, token, friend.line_user.user_id)
            print(f"(load phase took {t.seconds:.1f} s)")
        finally:
            _stop(server)
        _webhook_bench(account, friend, env)
        connection.close()


if __name__ == "__main__":
    main()
