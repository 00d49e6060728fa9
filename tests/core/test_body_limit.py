"""Request bodies above the largest allowed upload are refused unread (413).

Under ASGI Django reads (and spools to disk) a whole body before any view
or middleware runs, so the limit is held in front of it: a declared
``Content-Length`` above ``MAX_REQUEST_BODY_BYTES`` is answered at once,
and a body without one is cut off as soon as it passes the limit. The
Django middleware holds the same limit for servers that hand Django the
body unread (WSGI, the test client).
"""

import asyncio
import json

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings as django_settings

from config.asgi import application
from messaging.store.models import Message
from tests.unchanged import assert_unchanged

MB = 1024 * 1024
LIMIT = 11 * MB
CHUNK = b"x" * MB


async def _asgi_post(path: str, *, chunks: int, declared: int | None):
    """POST ``chunks`` MB to ``path``; return (chunks read, messages sent)."""
    read = 0
    sent: list[dict] = []

    async def receive():
        nonlocal read
        if read < chunks:
            read += 1
            return {"type": "http.request", "body": CHUNK, "more_body": read < chunks}
        await asyncio.sleep(3600)  # the client waits for the answer

    async def send(message):
        sent.append(message)

    headers = [
        (b"host", b"127.0.0.1"),
        (b"content-type", b"multipart/form-data; boundary=xyz"),
    ]
    if declared is not None:
        headers.append((b"content-length", str(declared).encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("10.0.0.7", 40000),
        "server": ("127.0.0.1", 8000),
    }
    await asyncio.wait_for(application(scope, receive, send), timeout=60)
    return read, sent


def _answer(sent: list[dict]) -> tuple[int, str, bytes]:
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(
        m.get("body", b"") for m in sent if m["type"] == "http.response.body"
    )
    headers = {k.lower(): v for k, v in start["headers"]}
    return start["status"], headers[b"content-type"].decode(), body


def test_the_limit_is_the_largest_upload_plus_its_form(settings):
    assert settings.MAX_REQUEST_BODY_BYTES == LIMIT


@pytest.mark.django_db(transaction=True)
def test_a_declared_300_mb_upload_is_refused_before_reading():
    read, sent = async_to_sync(_asgi_post)("/talk/scan/", chunks=300, declared=300 * MB)
    status, content_type, body = _answer(sent)
    assert (read, status) == (0, 413)
    assert content_type == "text/plain; charset=utf-8"
    assert body.decode() == "The request is too large: the limit is 11 MB.\n"


@pytest.mark.django_db(transaction=True)
def test_an_undeclared_body_is_cut_off_at_the_limit():
    # given a chunked upload of 30 MB (no Content-Length)
    read, sent = async_to_sync(_asgi_post)("/talk/scan/", chunks=30, declared=None)
    # then reading stopped one chunk past the limit, answered 413
    status, _type, _body = _answer(sent)
    assert (read, status) == (12, 413)


@pytest.mark.django_db(transaction=True)
def test_the_api_gets_lines_413_body():
    before = Message.objects.count()
    read, sent = async_to_sync(_asgi_post)(
        "/v2/bot/message/push", chunks=20, declared=20 * MB
    )
    status, content_type, body = _answer(sent)
    assert (read, status, content_type) == (0, 413, "application/json")
    assert json.loads(body) == {"message": "The request body is too large"}
    assert Message.objects.count() == before


@pytest.mark.django_db(transaction=True)
def test_a_body_within_the_limit_reaches_django():
    # a 2 MB garbage multipart body: read in full, Django answers (CSRF)
    read, sent = async_to_sync(_asgi_post)("/talk/scan/", chunks=2, declared=2 * MB)
    status, _type, _body = _answer(sent)
    assert (read, status) == (2, 403)


@pytest.mark.django_db
def test_the_django_middleware_refuses_a_declared_large_body(client):
    with assert_unchanged():
        response = client.generic(
            "POST",
            "/talk/scan/",
            b"x" * 1024,
            content_type="multipart/form-data; boundary=xyz",
            CONTENT_LENGTH=str(300 * MB),
        )
    assert response.status_code == 413
    assert response.content.decode() == (
        "The request is too large: the limit is 11 MB.\n"
    )


def test_the_asgi_guard_wraps_http_only():
    assert django_settings.MAX_REQUEST_BODY_BYTES > 0
    assert "websocket" in application.application_mapping
