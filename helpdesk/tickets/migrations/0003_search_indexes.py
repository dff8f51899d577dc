"""Full-text search indexes (PostgreSQL only; SQLite searches without them, see tickets/search.py).

Hand-written: GIN expression indexes have no SQLite form, so they are created per vendor. The
expressions are the ones helpdesk.tickets.search queries with, so the planner uses the indexes.
"""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations

INDEXES = (
    ("Ticket", "ticket_search", ("subject", "description")),
    ("Message", "message_search", ("body",)),
)


def _index(fields, name):
    return GinIndex(SearchVector(*fields, config="english"), name=name)


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for model, name, fields in INDEXES:
        schema_editor.add_index(apps.get_model("tickets", model), _index(fields, name))


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for model, name, fields in INDEXES:
        schema_editor.remove_index(apps.get_model("tickets", model), _index(fields, name))


class Migration(migrations.Migration):
    dependencies = [("tickets", "0002_workspace")]

    operations = [migrations.RunPython(create, drop)]
