"""Count the progress-update lapses already recorded onto their tickets (Ticket.lapsed_updates)."""

from django.db import migrations
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce


def count_lapses(apps, schema_editor):
    Ticket = apps.get_model("tickets", "Ticket")
    UpdateLapse = apps.get_model("clocks", "UpdateLapse")
    counted = (
        UpdateLapse.objects.filter(ticket_id=OuterRef("pk"))
        .order_by()
        .values("ticket_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    Ticket.objects.filter(pk__in=UpdateLapse.objects.values("ticket_id")).update(
        lapsed_updates=Coalesce(Subquery(counted), 0)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("clocks", "0001_initial"),
        ("tickets", "0003_lapsed_updates"),
    ]

    operations = [migrations.RunPython(count_lapses, migrations.RunPython.noop)]
