"""Streamed CSV downloads with constant memory, under WSGI and ASGI."""

import csv
from collections.abc import Iterable, Iterator

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.http import StreamingHttpResponse

# CSV rows gathered before one write to the socket.
ROWS_PER_WRITE = 500


class _Echo:
    """A file-like object whose ``write`` returns what it was given."""

    def write(self, value: str) -> str:
        return value


def csv_cell(value) -> str:
    """Text for a cell, neutralised if a spreadsheet would run it as a formula."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def _chunks(header: list, rows: Iterable[list]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    # The BOM makes Excel read the file as UTF-8 (Japanese text).
    yield "\ufeff" + writer.writerow(header)
    lines = []
    for row in rows:
        lines.append(writer.writerow(row))
        if len(lines) >= ROWS_PER_WRITE:
            yield "".join(lines)
            lines = []
    if lines:
        yield "".join(lines)


async def _async_chunks(chunks: Iterator[str]):
    """Serve a sync generator under ASGI chunk by chunk.

    Given a plain generator, Django's ASGI handler would first read it all
    into a list; this steps it in the request's own sync thread instead, so
    memory stays flat and the DB cursor stays on its connection.
    """
    step = sync_to_async(next, thread_sensitive=True)
    try:
        while (chunk := await step(chunks, None)) is not None:
            yield chunk
    finally:
        await sync_to_async(chunks.close, thread_sensitive=True)()


def csv_response(
    request, *, header: list, rows: Iterable[list], filename: str
) -> StreamingHttpResponse:
    """A download of ``header`` and ``rows`` (a lazy iterable of lists)."""
    chunks = _chunks(header, rows)
    if isinstance(request, ASGIRequest):
        chunks = _async_chunks(chunks)
    response = StreamingHttpResponse(chunks, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
