"""seed_demo fills a lived-in day: tickets in every state, a recorded miss, safe to rerun."""

import pytest
from django.core.management import call_command

from helpdesk.tickets.models import CannedReply, Ticket, TicketStatus
from sla.clocks.models import Miss

pytestmark = pytest.mark.django_db


def test_seed_demo_gives_every_page_something_to_show(capsys):
    call_command("seed_demo", password="demo-pass-123")
    first = Ticket.objects.count()
    call_command("seed_demo", password="demo-pass-123")

    assert Ticket.objects.count() == first >= 9
    assert set(Ticket.objects.values_list("status", flat=True)) == set(TicketStatus.values)
    assert Miss.objects.exists()
    assert Ticket.objects.filter(assignee__isnull=False).exists()
    assert Ticket.objects.filter(assignee__isnull=True, status="new").exists()
    assert CannedReply.objects.count() == 1
