"""Messages get a stored search vector too (PostgreSQL only, hand-written like 0002).

A search for a common word must stop after the newest few hundred matching messages: with only
an expression index, every candidate message's body was parsed again to check it. The generated
column is kept by PostgreSQL itself, and its GIN index replaces the expression index.
"""

from django.db import migrations

MESSAGE_VECTOR = """
ALTER TABLE tickets_message ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
    to_tsvector('english', coalesce(body, ''))
) STORED;
CREATE INDEX message_search_vector ON tickets_message USING gin (search_vector);
DROP INDEX IF EXISTS message_search;
"""
DROP_MESSAGE_VECTOR = """
CREATE INDEX IF NOT EXISTS message_search ON tickets_message
    USING gin (to_tsvector('english', coalesce(body, '')));
ALTER TABLE tickets_message DROP COLUMN IF EXISTS search_vector;
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(MESSAGE_VECTOR)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_MESSAGE_VECTOR)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0003_ticket_ticket_account_deadline")]

    operations = [migrations.RunPython(create, drop)]
