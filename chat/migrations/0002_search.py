"""Character-bigram indexes for the chat search (docs/chat.md, "Search").

Japanese has no spaces, so PostgreSQL's full-text parsers find no words in
it, and pg_trgm cannot index a search shorter than three characters, while
many Japanese words (予約, 駐車, 営業) are two. Like the pg_bigm extension,
the search indexes every pair of adjacent characters: ``chat_bigrams(text)``
is the upper-cased text's distinct bigrams, and a GIN index over it finds
the rows holding all bigrams of the query; ``LIKE`` then checks the exact
substring. Plain SQL, no extension to install.

The indexes sit on tables of the messaging app, which owns the message
store; they are built here because only the chat search needs them, and
CONCURRENTLY so that a deployment with millions of messages keeps
accepting writes meanwhile. SQLite (the bare-machine default) gets none and
searches with a plain LIKE.
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION chat_bigrams(value text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT substr(u.v, i, 2)), '{}'::text[])
    FROM (SELECT upper(value) AS v) AS u,
         generate_series(1, length(u.v) - 1) AS i
$$
"""

INDEXES = [
    ("chat_message_text_bigrams", "messaging_message", "text"),
    ("chat_lineuser_name_bigrams", "messaging_lineuser", "display_name"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION)
    for name, table, column in INDEXES:
        schema_editor.execute(
            f'CREATE INDEX CONCURRENTLY IF NOT EXISTS "{name}" ON "{table}" '
            f'USING gin (chat_bigrams("{column}"))'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _column in INDEXES:
        schema_editor.execute(f'DROP INDEX CONCURRENTLY IF EXISTS "{name}"')
    schema_editor.execute("DROP FUNCTION IF EXISTS chat_bigrams(text)")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("chat", "0001_initial"),
        ("messaging", "0002_store"),
    ]

    operations = [
        migrations.RunPython(create, drop),
    ]
