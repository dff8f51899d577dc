"""MonitoredItem moves down to helpdesk.accounts: its table takes the accounts name, rows kept."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('uptime', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.AlterModelTable(name='monitoreditem', table='accounts_monitoreditem'),
            ],
            state_operations=[],
        ),
    ]
