"""Bulk writes of talk-room messages on PostgreSQL: ids, then ``COPY``.

The cheapest way into the message table (``bench/api.py``: 500 rows of a
multicast in ~20 ms, against ~40 ms for ``INSERT … unnest`` and ~110 ms
for Django's ``bulk_create``, which compiles every field of every row in
Python). Ids come from the table's sequence first, so every row is known
before it is written and nothing can conflict. Used by the store's
``messages_send`` and by the broadcast fan-out's writer.
"""

import functools
import io
import json

from django.db import connection

from messaging.store.models import Message

_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_value(value) -> str:
    """A value in PostgreSQL's COPY text format (None is ``\\N``)."""
    if value is None:
        return "\\N"
    return str(value).translate(_COPY_ESCAPES)


@functools.cache
def message_sequence() -> str:
    """The name of the message table's id sequence (looked up once)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_serial_sequence(%s, 'id')", [Message._meta.db_table]
        )
        return cursor.fetchone()[0]


def message_ids_allocate(n: int) -> list[int]:
    """``n`` fresh message ids from the sequence, ascending (one query)."""
    if n == 0:
        return []
    with connection.cursor() as cursor:
        # The sequence is named once, as a literal, so PostgreSQL resolves
        # it at parse time rather than once per row.
        cursor.execute(
            "SELECT array_agg(nextval(%s::regclass)) FROM generate_series(1, %s)",
            [message_sequence(), n],
        )
        return sorted(cursor.fetchone()[0])


# Written per row by messages_copy; any other column takes its default.
_COLUMNS = (
    "id",
    "account_id",
    "friend_id",
    "direction",
    "source",
    "type",
    "payload",
    "text",
    "content",
    "preview",
    "sent_by_id",
    "quote_token",
    "created_at",
)


def messages_copy(rows: list[Message]) -> None:
    """Write new ``rows`` (unsaved ``Message`` instances) and set their ids.

    PostgreSQL only; two round trips whatever the number of rows. The rows
    keep their order: ids ascend with it, as with ``bulk_create``.
    """
    if not rows:
        return
    ids = message_ids_allocate(len(rows))
    out = io.StringIO()
    for pk, row in zip(ids, rows, strict=True):
        out.write(
            "\t".join(
                [
                    str(pk),
                    str(row.account_id),
                    str(row.friend_id),
                    copy_value(row.direction),
                    copy_value(row.source),
                    copy_value(row.type),
                    copy_value(json.dumps(row.payload)),
                    copy_value(row.text),
                    copy_value(row.content.name or ""),
                    copy_value(row.preview.name or ""),
                    copy_value(row.sent_by_id),
                    copy_value(row.quote_token),
                    row.created_at.isoformat(),
                ]
            )
            + "\n"
        )
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(
            f"COPY {Message._meta.db_table} ({', '.join(_COLUMNS)}) FROM STDIN"
        ) as copy,
    ):
        copy.write(out.getvalue())
    for pk, row in zip(ids, rows, strict=True):
        row.pk = pk
        row._state.adding = False
        row._state.db = connection.alias
