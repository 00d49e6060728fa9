"""The customer-send path of the talk app, and how fast its event arrives.

1. Throughput: ``chat.services.customer_message_send``, the talk app's
   send path (store the customer's text, update the conversation, commit,
   publish ``message.created`` to the account's and the customer's groups
   through the Redis channel layer), one after another from one thread, and
   from 4 threads on 4 talk rooms.
2. Latency: the real ASGI app (uvicorn) on loopback with two WebSocket
   clients connected the way browsers are — the account's Manager socket
   (``/ws/manager/<slug>/``, a staff session) and the customer's talk socket
   (``/ws/talk/``, a persona session). Time from just before the send to the
   event arriving at each client, one send at a time; p50/p95 printed.
"""

import asyncio
import json
import socket
import threading
import time

from bench.common import Timer, bench_database, summary

SEQUENTIAL_SENDS = 1000
THREADS = 4
SENDS_PER_THREAD = 250
LATENCY_SAMPLES = 300


class Listener:
    """A WebSocket client in its own thread and event loop, recording when
    each ``message.created`` arrives (by message id)."""

    def __init__(self, url: str, cookie: str, origin: str):
        self.url, self.cookie, self.origin = url, cookie, origin
        self.arrived: dict[int, float] = {}
        self.cond = threading.Condition()
        self.ready = threading.Event()
        self.stop = False
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        if not self.ready.wait(10):
            raise RuntimeError(f"could not connect to {url}: {self.error!r}")

    def _run(self) -> None:
        try:
            asyncio.run(self._listen())
        except BaseException as exc:  # reported by __init__/wait_for
            self.error = exc
            self.ready.set()

    async def _listen(self) -> None:
        from websockets.asyncio.client import connect

        async with connect(
            self.url, origin=self.origin, additional_headers={"Cookie": self.cookie}
        ) as ws:
            self.ready.set()
            while not self.stop:
                try:
                    raw = await asyncio.wait_for(ws.recv(), timeout=0.5)
                except TimeoutError:
                    continue
                now = time.perf_counter()
                event = json.loads(raw)
                if event.get("type") == "message.created":
                    with self.cond:
                        self.arrived[event["message"]["id"]] = now
                        self.cond.notify_all()

    def wait_for(self, message_id: int, timeout: float = 5.0) -> float:
        with self.cond:
            if not self.cond.wait_for(
                lambda: message_id in self.arrived, timeout=timeout
            ):
                raise RuntimeError(f"event for message {message_id} never arrived")
            return self.arrived[message_id]

    def close(self) -> None:
        self.stop = True
        self.thread.join(5)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_server():
    import uvicorn

    from config.asgi import application

    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            application,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="off",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    return server, thread, port


def _throughput(friends) -> None:
    from django.db import connection

    from chat.inbound import customer_message_send

    def send(friend, n):
        for i in range(n):
            customer_message_send(
                friend=friend, message={"type": "text", "text": f"m{i}"}
            )

    with Timer() as t:
        send(friends[0], SEQUENTIAL_SENDS)
    print(
        "customer_message_send, 1 thread: "
        f"{SEQUENTIAL_SENDS / t.seconds:,.0f} messages/s "
        f"({SEQUENTIAL_SENDS} sends, {t.seconds * 1000 / SEQUENTIAL_SENDS:.2f} ms each)"
    )

    def work(friend):
        try:
            send(friend, SENDS_PER_THREAD)
        finally:
            connection.close()

    pool = [threading.Thread(target=work, args=(f,)) for f in friends[:THREADS]]
    with Timer() as t:
        for th in pool:
            th.start()
        for th in pool:
            th.join()
    total = THREADS * SENDS_PER_THREAD
    print(
        f"customer_message_send, {THREADS} threads / {THREADS} rooms: "
        f"{total / t.seconds:,.0f} messages/s ({total} sends)"
    )


def _latency(account, friend, staff_cookie, customer_cookie, port) -> None:
    from chat.inbound import customer_message_send

    base = f"ws://127.0.0.1:{port}"
    origin = f"http://127.0.0.1:{port}"
    manager = Listener(f"{base}/ws/manager/{account.slug}/", staff_cookie, origin)
    talk = Listener(f"{base}/ws/talk/", customer_cookie, origin)
    try:
        to_manager, to_customer = [], []
        for i in range(LATENCY_SAMPLES):
            start = time.perf_counter()
            row = customer_message_send(
                friend=friend, message={"type": "text", "text": f"latency {i}"}
            )
            to_manager.append((manager.wait_for(row.pk) - start) * 1000)
            to_customer.append((talk.wait_for(row.pk) - start) * 1000)
        print(
            f"customer send -> Manager socket ({LATENCY_SAMPLES} sends): "
            + summary(to_manager)
        )
        print(
            f"customer send -> own talk socket ({LATENCY_SAMPLES} sends): "
            + summary(to_customer)
        )
    finally:
        manager.close()
        talk.close()


def main(argv=None) -> None:
    with bench_database():
        from django.conf import settings
        from django.contrib.sessions.backends.db import SessionStore
        from django.db import connection

        if "redis" not in settings.CHANNEL_LAYERS["default"]["BACKEND"].lower():
            print("skipped: set REDIS_URL (the Redis channel layer) to run this")
            return

        from accounts.models import Membership, Plan, User
        from accounts.services import account_create
        from chat.inbound import customer_follow
        from talk.selectors import SESSION_KEY
        from talk.services import persona_create

        # Server threads close their connections after each request, so the
        # scratch database can be dropped at the end.
        connection.settings_dict["CONN_MAX_AGE"] = 0
        staff = User.objects.create_user(username="bench-staff", password="x" * 12)
        account = account_create(
            actor=staff, display_name="Bench Café", plan=Plan.objects.get(code="light")
        )
        assert Membership.objects.filter(account=account, user=staff).exists()
        friends = [
            customer_follow(
                account=account, line_user=persona_create(display_name=f"Customer {i}")
            ).friend
            for i in range(THREADS)
        ]

        customer = SessionStore()
        customer[SESSION_KEY] = friends[0].line_user_id
        customer.create()
        staff_session = SessionStore()
        staff_session["_auth_user_id"] = str(staff.pk)
        staff_session["_auth_user_backend"] = settings.AUTHENTICATION_BACKENDS[0]
        staff_session["_auth_user_hash"] = staff.get_session_auth_hash()
        staff_session.create()

        server, thread, port = _start_server()
        try:
            _throughput(friends)
            _latency(
                account,
                friends[0],
                f"sessionid={staff_session.session_key}",
                f"sessionid={customer.session_key}",
                port,
            )
        finally:
            server.should_exit = True
            thread.join(10)


if __name__ == "__main__":
    main()
