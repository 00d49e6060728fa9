"""Refuse request bodies above ``MAX_REQUEST_BODY_BYTES`` before reading them.

Under ASGI, Django reads a whole request body (spooling it to a temporary
file) before any middleware, upload handler or view runs, so a size check
there comes after the disk and time are spent. ``BodyLimitASGIMiddleware``
wraps the ASGI application instead: a declared ``Content-Length`` over the
limit is answered 413 without reading a byte, and a body without one is cut
off as soon as it passes the limit. ``BodyLimitMiddleware`` holds the same
limit for servers that hand Django the body unread (WSGI, the test client).
The Messaging API answers LINE's 413 body; pages a short sentence.
"""

import json
import re
from functools import cache

from django.conf import settings
from django.http import HttpResponse
from django.utils.translation import gettext as _

from core.api.exceptions import BODY_TOO_LARGE

API_PREFIX = "/v2/"


@cache
def _media_paths(patterns: tuple[str, ...]) -> re.Pattern:
    return re.compile("|".join(f"(?:{p})" for p in patterns) or r"(?!)")


def _limit(path: str = "") -> int:
    """The largest body ``path`` may receive: ``MAX_MEDIA_BODY_BYTES`` on the
    few paths that take video and audio (``MEDIA_UPLOAD_PATHS``: LINE allows
    200 MB), ``MAX_REQUEST_BODY_BYTES`` everywhere else."""
    if _media_paths(tuple(settings.MEDIA_UPLOAD_PATHS)).match(path):
        return settings.MAX_MEDIA_BODY_BYTES
    return settings.MAX_REQUEST_BODY_BYTES


def too_large(path: str) -> tuple[str, bytes]:
    """The content type and body of the 413 answer for ``path``."""
    if path.startswith(API_PREFIX):
        return "application/json", json.dumps({"message": BODY_TOO_LARGE}).encode()
    text = _("The request is too large: the limit is %(mb)s MB.") % {
        "mb": f"{_limit(path) / 1_048_576:g}"
    }
    return "text/plain; charset=utf-8", f"{text}\n".encode()


class BodyLimitASGIMiddleware:
    """ASGI wrapper holding ``MAX_REQUEST_BODY_BYTES`` for HTTP requests."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = _limit(scope.get("path", ""))
        declared = None
        for name, value in scope.get("headers", ()):
            if name.lower() == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = None
        if declared is not None and declared > limit:
            return await self._refuse(scope, send)
        received = 0
        refused = False

        async def limited_receive():
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Answer now; the application sees the client leave
                    # and stops reading (Django raises RequestAborted).
                    refused = True
                    await self._refuse(scope, send)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message):
            if not refused:
                await send(message)

        return await self.app(scope, limited_receive, guarded_send)

    @staticmethod
    async def _refuse(scope, send) -> None:
        content_type, body = too_large(scope.get("path", ""))
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", content_type.encode()),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class BodyLimitMiddleware:
    """Django middleware: a declared body over the limit is answered 413.

    Runs first, before anything reads ``request.body`` or ``request.POST``.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > _limit(request.path):
            content_type, body = too_large(request.path)
            return HttpResponse(body, status=413, content_type=content_type)
        return self.get_response(request)
