"""A stored search vector on PostgreSQL (hand-written; SQLite has no tsvector, see tickets/search.py).

Ranking reads the stored vector instead of parsing every matching ticket's text at query time,
which is what a broad search over 100,000 tickets spent its seconds on. The column is generated
by PostgreSQL, so no write path has to remember it; the GIN index serves the match.
"""

from django.db import migrations

ADD = """
ALTER TABLE tickets_ticket ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english', coalesce(subject, '')), 'A')
    || setweight(to_tsvector('english', coalesce(description, '')), 'B')
) STORED;
CREATE INDEX ticket_search_vector ON tickets_ticket USING gin (search_vector);
DROP INDEX IF EXISTS ticket_search;
"""
DROP = "ALTER TABLE tickets_ticket DROP COLUMN IF EXISTS search_vector;"


def add(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ADD)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0006_view_indexes")]

    operations = [migrations.RunPython(add, drop)]
