"""Webhook delivery throughput: customer events → a local bot, 2 workers.

``python -m bench webhooks`` (issue 18, #9; target ≥ 500 events/s with
p95 event→bot < 100 ms). Parts, all on the scratch database:

1. The bot: a small asyncio HTTP/1.1 server in its own process (keep-alive,
   checks ``x-line-signature`` on every body, records when each event
   arrives). Its baseline: raw POSTs/s of one-event webhook bodies from one
   keep-alive ``httpx.Client`` in this process, one after another — the
   most a single keep-alive client can get through this bot on this
   machine at this moment.
2. The worker exactly as deployed: the Procfile's ``worker`` line (prefork,
   ``--concurrency 2``: two worker processes) in a subprocess.
3. Events at a steady target rate (500/s, then 800/s, 10 s each): rows
   written directly by the webhook service, not through the whole door.
   One ``customer_message_send`` costs ~12 ms (bench/talk_send.py: ~100/s
   on these 2 cores in total), so the door cannot make 500 events/s here.
   Every ``TICK`` (20 ms) the events due are written in one transaction by
   ``webhook_events_dispatch_many_on_commit``: one delivery row and one
   reply token per event (a ``postback`` of one of 50 friends), the task
   queued after commit as the door's deliveries are. Against code without
   that function, the same events go through
   ``webhook_events_dispatch_on_commit`` one by one in that transaction.
4. Capacity: a backlog of ``BURST`` events written as fast as it goes
   (500 per transaction), drained by the workers (its latency is queueing).
5. The real door for comparison: ``customer_message_send`` from 4
   threads, as fast as it goes.

Latency is from just before the event's transaction starts to the bot
reading the POST (wall clock: separate processes). Events/s delivered is
events ÷ (last arrival − first event). Every event must arrive exactly once
with a valid signature, else the bench fails.

Needs DATABASE_URL (PostgreSQL), REDIS_URL and CELERY_BROKER_URL (Redis).
"""

import asyncio
import base64
import hashlib
import hmac
import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench.common import bench_database, percentile

ROOT = Path(__file__).resolve().parent.parent
FRIENDS = 50
PRODUCERS = 3
TICK = 0.02  # seconds; the events of one tick commit together
BURST = 5000  # events of the backlog phase, written 500 at a time
# target events/s of the steady phases; BENCH_RATES="300,500" for others
RATES = tuple(int(r) for r in os.environ.get("BENCH_RATES", "500,800").split(","))
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))  # per steady phase
BASELINE_POSTS = 3000
DOOR_THREADS = 4
DOOR_EVENTS = 400


# --- 1. The bot (its own process) ---------------------------------------------------


class _BotProtocol(asyncio.Protocol):
    """Minimal HTTP/1.1: POST with Content-Length, GET /results; keep-alive."""

    def __init__(self, bot: "_Bot") -> None:
        self.bot = bot
        self.buffer = b""

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            head_end = self.buffer.find(b"\r\n\r\n")
            if head_end < 0:
                return
            head = self.buffer[:head_end].decode("latin-1")
            match = re.search(r"(?im)^content-length:\s*(\d+)", head)
            length = int(match.group(1)) if match else 0
            if len(self.buffer) < head_end + 4 + length:
                return
            body = self.buffer[head_end + 4 : head_end + 4 + length]
            self.buffer = self.buffer[head_end + 4 + length :]
            answer = self.bot.handle(head, body)
            self.transport.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                b"Content-Length: %d\r\n\r\n%s" % (len(answer), answer)
            )


class _Bot:
    def __init__(self, secret: str) -> None:
        self.secret = secret.encode()
        self.arrived: dict[str, list[float]] = {}
        self.posts = 0
        self.bad_signatures = 0
        self.largest = 0

    def handle(self, head: str, body: bytes) -> bytes:
        if head.startswith("GET /results"):
            return json.dumps(
                {
                    "arrived": self.arrived,
                    "posts": self.posts,
                    "bad_signatures": self.bad_signatures,
                    "largest": self.largest,
                }
            ).encode()
        if head.startswith("GET /reset"):
            self.arrived, self.posts, self.bad_signatures, self.largest = {}, 0, 0, 0
            return b"{}"
        now = time.time()
        self.posts += 1
        match = re.search(r"(?im)^x-line-signature:\s*(\S+)", head)
        expected = base64.b64encode(
            hmac.new(self.secret, body, hashlib.sha256).digest()
        ).decode()
        if not match or not hmac.compare_digest(match.group(1), expected):
            self.bad_signatures += 1
        events = json.loads(body)["events"]
        self.largest = max(self.largest, len(events))
        for event in events:
            key = (event.get("postback") or {}).get("data") or event.get(
                "message", {}
            ).get("text", "")
            self.arrived.setdefault(key, []).append(now)
        return b"{}"


def _serve_bot(port: int, secret: str) -> None:
    async def serve() -> None:
        bot = _Bot(secret)
        loop = asyncio.get_running_loop()
        server = await loop.create_server(
            lambda: _BotProtocol(bot), "127.0.0.1", port, backlog=512
        )
        print("ready", flush=True)
        async with server:
            await server.serve_forever()

    asyncio.run(serve())


class BotProcess:
    """The bot in a subprocess: start, reset, read its records, stop."""

    def __init__(self, secret: str) -> None:
        self.port = _free_port()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.webhooks", "bot", str(self.port), secret],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        if self.proc.stdout.readline().strip() != "ready":
            raise RuntimeError("the bot did not start")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/callback"

    def _get(self, path: str) -> dict:
        import urllib.request

        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}") as r:
            return json.loads(r.read())

    def reset(self) -> None:
        self._get("/reset")

    def results(self) -> dict:
        return self._get("/results")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _baseline(bot: BotProcess, secret: str, body: bytes) -> float:
    """Raw POSTs/s from one keep-alive httpx client, one after another."""
    import httpx

    signature = base64.b64encode(
        hmac.new(secret.encode(), body, hashlib.sha256).digest()
    ).decode()
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "x-line-signature": signature,
    }
    with httpx.Client(trust_env=False) as client:
        for _i in range(200):
            client.post(bot.url, content=body, headers=headers)
        start = time.perf_counter()
        for _i in range(BASELINE_POSTS):
            client.post(bot.url, content=body, headers=headers)
        rate = BASELINE_POSTS / (time.perf_counter() - start)
    bot.reset()
    return rate


# --- 2. The worker as the Procfile runs it ------------------------------------------


def _procfile_worker() -> str:
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith("worker:"):
            return line.split(":", 1)[1].strip()
    raise RuntimeError("no worker in the Procfile")


def _start_worker(env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        ["sh", "-c", _procfile_worker()],
        cwd=ROOT,
        env={**env, "CELERY_CONCURRENCY": "2"},
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=open(os.environ.get("BENCH_WORKER_LOG", os.devnull), "w"),  # noqa: SIM115
    )


def _stop_worker(proc: subprocess.Popen) -> None:
    import signal

    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


def _env(db_name: str) -> dict:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(os.environ["DATABASE_URL"])
    env = dict(os.environ)
    env["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{db_name}"))
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    # This checkout's code, whichever checkout the virtualenv was made for.
    env["PYTHONPATH"] = str(ROOT)
    env["CELERY_TASK_ALWAYS_EAGER"] = "false"
    # The bench's bot listens on 127.0.0.1 over plain http.
    env["WEBHOOK_ALLOW_PRIVATE_NETWORKS"] = "1"
    return env


# --- 3. Events ------------------------------------------------------------------------


def _produce(
    friends, rate: float, count: int, tag: str, per_tick: int = 0
) -> dict[str, float]:
    """Dispatch ``count`` postback events at ``rate``/s; returns when each
    event's dispatch started, by key.

    Every ``TICK`` the events due are written together
    (``webhook_events_dispatch_many_on_commit``: one delivery row and one
    reply token per event, bulk INSERTs, one commit, the same coalesced
    task queueing); ticks are taken in turn by ``PRODUCERS`` threads.
    """
    from django.db import connection, transaction

    from messaging.webhooks import services
    from messaging.webhooks.events import webhook_postback_event

    def dispatch_many(*, account, actions) -> None:
        if hasattr(services, "webhook_events_dispatch_many_on_commit"):
            services.webhook_events_dispatch_many_on_commit(
                account=account, actions=actions
            )
        else:  # the code before it existed (a before/after run)
            for events in actions:
                services.webhook_events_dispatch_on_commit(
                    account=account, events=events
                )

    account = friends[0].account
    started: dict[str, float] = {}
    per_tick = per_tick or max(1, round(rate * TICK))
    ticks = -(-count // per_tick)
    t0 = time.time() + 0.2

    def run(worker: int) -> None:
        try:
            for tick in range(worker, ticks, PRODUCERS):
                pause = t0 + tick * per_tick / rate - time.time()
                if pause > 0:
                    time.sleep(pause)
                keys = [
                    f"{tag}{i}"
                    for i in range(tick * per_tick, min(count, (tick + 1) * per_tick))
                ]
                now = time.time()
                for key in keys:
                    started[key] = now
                with transaction.atomic():
                    dispatch_many(
                        account=account,
                        actions=[
                            [
                                webhook_postback_event(
                                    friend=friends[hash(key) % len(friends)], data=key
                                )
                            ]
                            for key in keys
                        ],
                    )
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(PRODUCERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return started


def _door(friends, count: int, tag: str) -> dict[str, float]:
    """``count`` texts through the customer door from ``DOOR_THREADS``
    threads, each on its own friends, as fast as it goes."""
    from django.db import connection

    from chat.inbound import customer_message_send

    started: dict[str, float] = {}

    def run(worker: int) -> None:
        try:
            for i in range(worker, count, DOOR_THREADS):
                key = f"{tag}{i}"
                started[key] = time.time()
                customer_message_send(
                    friend=friends[worker + DOOR_THREADS * (i % 5)],
                    message={"type": "text", "text": key},
                )
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(DOOR_THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return started


def _collect(bot: BotProcess, started: dict[str, float], timeout: float = 0):
    """Wait until every event arrived; latencies (ms), events/s, posts."""
    timeout = timeout or float(os.environ.get("BENCH_TIMEOUT", "60"))
    deadline = time.monotonic() + timeout
    while True:
        results = bot.results()
        arrived = results["arrived"]
        if all(key in arrived for key in started) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    missing = [key for key in started if key not in arrived]
    if missing and len(missing) < len(started):
        done = [arrived[k][0] for k in started if k in arrived]
        print(
            f"  {len(missing)} of {len(started)} missing after {timeout:.0f} s; "
            f"{len(done) / (max(done) - min(started.values())):.0f} events/s "
            f"delivered meanwhile in {results['posts']} POSTs "
            f"(at most {results['largest']} events)",
            flush=True,
        )
    twice = [key for key, times in arrived.items() if len(times) > 1]
    if missing or twice or results["bad_signatures"]:
        raise RuntimeError(
            f"{len(missing)} events missing, {len(twice)} arrived twice, "
            f"{results['bad_signatures']} bad signatures"
        )
    latencies = [(arrived[key][0] - at) * 1000 for key, at in started.items()]
    span = max(arrived[key][0] for key in started) - min(started.values())
    bot.reset()
    return latencies, len(started) / span, results["posts"], results["largest"]


def _report(label: str, baseline: float, produced_rate, collected) -> float:
    latencies, rate, posts, largest = collected
    print(
        f"{label:<30} {rate:7.0f} events/s delivered"
        + (f" (produced {produced_rate:.0f}/s)" if produced_rate else "")
        + f"  ratio {rate / baseline:.2f}"
        f"  p50 {percentile(latencies, 50):6.1f} ms"
        f"  p95 {percentile(latencies, 95):6.1f} ms"
        f"  p99 {percentile(latencies, 99):6.1f} ms"
        f"  {len(latencies) / posts:.1f} events/POST (max {largest})",
        flush=True,
    )
    return rate


def main(argv=None) -> None:
    argv = list(argv or [])
    if argv[:1] == ["bot"]:
        _serve_bot(int(argv[1]), argv[2])
        return
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        print("skipped: set DATABASE_URL to a PostgreSQL database to run this")
        return
    # A broker queue of this run's own: tasks left by an earlier run (for a
    # dropped database) must not queue ahead of these.
    os.environ["REDIS_KEY_PREFIX"] = f"lineoa-bench-{os.getpid()}"
    from django.conf import settings as django_settings

    if django_settings.configured:  # another bench ran first in this process
        os.environ["REDIS_KEY_PREFIX"] = django_settings.REDIS_KEY_PREFIX
    try:
        _run()
    finally:
        _delete_keys(os.environ["REDIS_KEY_PREFIX"])


def _delete_keys(prefix: str) -> None:
    """Drop this run's broker keys (only these: the Redis is shared)."""
    import redis

    if prefix == "lineoa":
        return
    client = redis.Redis.from_url(os.environ["CELERY_BROKER_URL"])
    keys = list(client.scan_iter(match=f"{prefix}:*"))
    if keys:
        client.delete(*keys)


def _run() -> None:
    with bench_database() as db_name:
        from django.conf import settings
        from django.db import connection

        from accounts.models import Plan, User
        from accounts.services import account_create
        from chat.inbound import customer_follow
        from messaging.friends.models import Friend
        from messaging.friends.services import line_user_create
        from messaging.webhooks.services import webhook_body, webhook_endpoint_set

        admin = User.objects.create(username="bench-webhooks")
        account = account_create(
            actor=admin, display_name="Bench", plan=Plan.objects.get(code="standard")
        )
        for i in range(FRIENDS):
            customer_follow(
                account=account, line_user=line_user_create(display_name=f"F{i}")
            )
        friends = list(
            Friend.objects.filter(account=account)
            .select_related("account", "line_user")
            .order_by("pk")
        )
        bot = BotProcess(account.channel_secret)
        settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
        webhook_endpoint_set(account=account, actor=None, url=bot.url, active=True)
        # Persistent connections in this process's threads would outlive
        # the scratch database.
        connection.settings_dict["CONN_MAX_AGE"] = 0
        connection.close()
        worker = _start_worker(_env(db_name))
        try:
            # a one-event body as the workers send it, for the baseline
            from messaging.webhooks.models import WebhookDelivery

            _produce(friends, 50, 20, "warm")
            sample = WebhookDelivery.objects.filter(account=account).first()
            body = webhook_body(sample, redelivery=False)
            _collect(bot, {f"warm{i}": 0.0 for i in range(20)}, timeout=60)
            baseline = _baseline(bot, account.channel_secret, body)
            print(
                f"worker: {_procfile_worker()} (CELERY_CONCURRENCY=2); bot: asyncio, "
                f"own process; {PRODUCERS} producer threads, {FRIENDS} friends",
                flush=True,
            )
            print(
                f"{'baseline: 1 keep-alive client':<30} {baseline:7.0f} POSTs/s "
                f"({len(body)}-byte one-event bodies)",
                flush=True,
            )
            for rate in RATES:
                count = rate * SECONDS
                start = time.time()
                started = _produce(friends, rate, count, f"r{rate}-")
                produced = count / (time.time() - start)
                print(f"  produced {produced:.0f} events/s", flush=True)
                _report(
                    f"steady {rate}/s, {SECONDS} s",
                    baseline,
                    produced,
                    _collect(bot, started),
                )
            # Capacity: a backlog written as fast as it goes (500 per
            # transaction), drained by the workers.
            started = _produce(friends, 10**6, BURST, "burst-", per_tick=500)
            _report(f"backlog of {BURST:,}", baseline, None, _collect(bot, started))
            started = _door(friends, DOOR_EVENTS, "door-")
            _report(
                f"door, {DOOR_THREADS} threads",
                baseline,
                None,
                _collect(bot, started),
            )
        finally:
            _stop_worker(worker)
            bot.stop()
            connection.close()


if __name__ == "__main__":
    main(sys.argv[1:])
