"""The SLA report's index: each account's tickets by Work Started deadline.

On a SQLite database that keeps planner statistics (sqlite_stat1, from ANALYZE), a new index has
none, and SQLite then takes it for very selective: it drove the queue's query from the accounts
table through this index instead of reading the queue's own index. So the table is analysed again
right after the index is made, when statistics are kept at all.
"""

from django.conf import settings
from django.db import migrations, models


def analyse(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'")
        if cursor.fetchone():
            cursor.execute("ANALYZE tickets_ticket")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("terms", "0001_initial"),
        ("tickets", "0002_search"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(fields=["account", "work_started_deadline"], name="ticket_account_deadline"),
        ),
        migrations.RunPython(analyse, migrations.RunPython.noop),
    ]
