"""Bulk writers of one batch's messages and delivery rows.

PostgreSQL gets ``COPY``; other databases (the embedded SQLite of
``make run``) get ``bulk_create``.
"""

import io
import json

from django.db import connection

from messaging.broadcasts.links import TOKEN_MARK, ClickTokens
from messaging.broadcasts.models import Delivery
from messaging.friends.models import Friend
from messaging.store.bulk import copy_value, message_ids_allocate
from messaging.store.models import Message
from messaging.store.placeholders import (
    NICKNAME,
    placeholders_fill,
    placeholders_fill_json,
)
from messaging.store.validators import (
    message_text,
)


def _write_recipients(writer, broadcast, recipients, blocked_ids, *, now) -> list:
    """Deliveries, then messages for the deliveries inserted; returns rows.

    Message ids are allocated first so each delivery can point at its first
    bubble without a second UPDATE. The rendered rows of recipients whose
    delivery already existed are dropped before any message is written.
    """
    template = broadcast.send_messages
    per_friend = len(template)
    ids = writer.allocate_message_ids(len(recipients) * per_friend)
    first_ids = ids[::per_friend]
    inserted = writer.insert_deliveries(
        broadcast_id=broadcast.pk,
        sent=[
            (fid, mid)
            for (fid, _lu, _n), mid in zip(recipients, first_ids, strict=True)
        ],
        blocked=blocked_ids,
        now=now,
    )
    payloads = [json.dumps(m, ensure_ascii=False) for m in template]
    personal = [(NICKNAME in p or TOKEN_MARK in p) for p in payloads]
    tokens = ClickTokens(broadcast) if any(TOKEN_MARK in p for p in payloads) else None
    texts = [message_text(m) for m in template]
    rows = []
    token = ""
    for index, (fid, line_user_id, name) in enumerate(recipients):
        if fid not in inserted:
            continue
        if tokens is not None:
            token = tokens.token(fid)
        for j, msg in enumerate(template):
            payload, text = payloads[j], texts[j]
            if personal[j]:
                payload = placeholders_fill_json(payload, nickname=name).replace(
                    TOKEN_MARK, token
                )
                text = placeholders_fill(text, nickname=name).replace(TOKEN_MARK, token)
            rows.append(
                (
                    ids[index * per_friend + j],
                    fid,
                    line_user_id,
                    msg["type"],
                    payload,
                    text,
                )
            )
    writer.insert_messages(
        account_id=broadcast.account_id,
        source=broadcast.message_source,
        sent_by_id=broadcast.sent_by_id,
        rows=rows,
        now=now,
    )
    writer.touch_friends(sorted(inserted), now=now)
    return rows


def _message_columns(given: set[str]) -> tuple[list[str], list]:
    """Message columns not given per row, with their defaults (for new ones)."""
    names, values = [], []
    for field in Message._meta.concrete_fields:
        if field.attname in given or field.primary_key:
            continue
        names.append(field.column)
        values.append(field.get_db_prep_save(field.get_default(), connection))
    return names, values


class _PostgresWriter:
    """Set-based writes: one statement per table, rows passed as arrays."""

    def __init__(self) -> None:
        self.blocked_inserted = 0

    def allocate_message_ids(self, n: int) -> list[int]:
        return message_ids_allocate(n)

    def insert_deliveries(self, *, broadcast_id, sent, blocked, now) -> set[int]:
        table = Delivery._meta.db_table
        fids = [f for f, _m in sent] + list(blocked)
        mids = [m for _f, m in sent] + [None] * len(blocked)
        statuses = [Delivery.Status.SENT.value] * len(sent) + [
            Delivery.Status.BLOCKED.value
        ] * len(blocked)
        if not fids:
            return set()
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} "
                "(broadcast_id, friend_id, message_id, status, sent_at, clicked_at) "
                "SELECT %s, r.fid, r.mid, r.status, %s, NULL "
                "FROM unnest(%s::bigint[], %s::bigint[], %s::text[]) "
                "AS r(fid, mid, status) "
                "ON CONFLICT (broadcast_id, friend_id) DO NOTHING "
                "RETURNING friend_id, status",
                [broadcast_id, now, fids, mids, statuses],
            )
            rows = cursor.fetchall()
        self.blocked_inserted = sum(1 for _f, s in rows if s == Delivery.Status.BLOCKED)
        return {f for f, s in rows if s == Delivery.Status.SENT}

    def insert_messages(self, *, account_id, source, sent_by_id, rows, now) -> None:
        """COPY the messages: ids are fresh from the sequence, so nothing can
        conflict, and COPY is the cheapest way into the table."""
        if not rows:
            return
        given = {
            "account_id",
            "friend_id",
            "direction",
            "source",
            "type",
            "payload",
            "text",
            "sent_by_id",
            "created_at",
        }
        extra_cols, extra_vals = _message_columns(given)
        cols = [
            "id",
            "account_id",
            "friend_id",
            "direction",
            "source",
            "type",
            "payload",
            "text",
            "sent_by_id",
            "created_at",
            *extra_cols,
        ]
        head = f"\t{account_id}\t"
        kinds = f"\t{Message.Direction.OUTBOUND.value}\t{source}\t"
        tail = "\t".join(
            [copy_value(sent_by_id), copy_value(now.isoformat())]
            + [copy_value(v) for v in extra_vals]
        )
        out = io.StringIO()
        for mid, fid, _lu, kind, payload, text in rows:
            out.write(
                f"{mid}{head}{fid}{kinds}{kind}\t{copy_value(payload)}\t"
                f"{copy_value(text)}\t{tail}\n"
            )
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(
                f"COPY {Message._meta.db_table} ({', '.join(cols)}) FROM STDIN"
            ) as copy,
        ):
            copy.write(out.getvalue())

    def check_constraints(self) -> None:
        """Run the deferred foreign-key checks now, not at commit.

        They are most of the commit's work; run before the quota commit,
        they no longer hold the account's usage row lock, which parallel
        batches of the account queue on.
        """
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    def touch_friends(self, friend_ids: list[int], *, now) -> None:
        """Move the rooms up in the talk app (``last_message_at``).

        Rows are found through the primary key in one pass; two batches
        touching overlapping friends use the same plan and lock in the same
        order. Should they ever deadlock, PostgreSQL aborts one, its whole
        batch rolls back and the task is retried (messaging.broadcasts.tasks).
        """
        if not friend_ids:
            return
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {Friend._meta.db_table} SET last_message_at = %s "
                "WHERE id = ANY(%s)",
                [now, friend_ids],
            )


class _OrmWriter:
    """The same writes through the ORM, for SQLite (development).

    SQLite runs one writing transaction at a time, so ids taken from the
    table's maximum cannot collide with another writer's.
    """

    CHUNK = 150  # rows per INSERT: 6 parameters each, under SQLite's 999

    def __init__(self) -> None:
        self.blocked_inserted = 0

    def allocate_message_ids(self, n: int) -> list[int]:
        if connection.vendor == "postgresql":
            return _PostgresWriter().allocate_message_ids(n)
        top = Message.objects.order_by("-id").values_list("id", flat=True).first() or 0
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT seq FROM sqlite_sequence WHERE name = %s",
                [Message._meta.db_table],
            )
            row = cursor.fetchone()
        top = max(top, row[0] if row else 0)
        return list(range(top + 1, top + 1 + n))

    def insert_deliveries(self, *, broadcast_id, sent, blocked, now) -> set[int]:
        table = Delivery._meta.db_table
        values = [(f, m, Delivery.Status.SENT.value) for f, m in sent] + [
            (f, None, Delivery.Status.BLOCKED.value) for f in blocked
        ]
        inserted: set[int] = set()
        for start in range(0, len(values), self.CHUNK):
            chunk = values[start : start + self.CHUNK]
            placeholders = ", ".join("(%s, %s, %s, %s, %s, NULL)" for _r in chunk)
            params = []
            for fid, mid, status in chunk:
                params += [broadcast_id, fid, mid, status, now]
            with connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {table} (broadcast_id, friend_id, message_id, "
                    f"status, sent_at, clicked_at) VALUES {placeholders} "
                    "ON CONFLICT (broadcast_id, friend_id) DO NOTHING "
                    "RETURNING friend_id, status",
                    params,
                )
                for fid, status in cursor.fetchall():
                    if status == Delivery.Status.SENT:
                        inserted.add(fid)
                    else:
                        self.blocked_inserted += 1
        return inserted

    def insert_messages(self, *, account_id, source, sent_by_id, rows, now) -> None:
        Message.objects.bulk_create(
            [
                Message(
                    id=mid,
                    account_id=account_id,
                    friend_id=fid,
                    direction=Message.Direction.OUTBOUND,
                    source=source,
                    type=kind,
                    payload=json.loads(payload),
                    text=text,
                    sent_by_id=sent_by_id,
                    created_at=now,
                )
                for mid, fid, _lu, kind, payload, text in rows
            ],
            batch_size=500,
        )

    def check_constraints(self) -> None:
        """SQLite checks foreign keys at commit; one writer at a time."""

    def touch_friends(self, friend_ids: list[int], *, now) -> None:
        for start in range(0, len(friend_ids), 500):
            Friend.objects.filter(pk__in=friend_ids[start : start + 500]).update(
                last_message_at=now
            )
