"""Evidence cannot be deleted from the admin: tickets, messages, events, misses, downtime, claims, money."""

import pytest
from django.contrib import admin
from django.test import Client, RequestFactory

from billing.models import BillingEvent, Claim, Invoice, Voucher
from helpdesk.tickets.models import Message, Ticket, TicketEvent
from sla.clocks.models import Miss
from sla.uptime.models import Downtime, UptimeShortfall
from tests.factories import BillingAdminFactory

EVIDENCE = [
    Ticket,
    Message,
    TicketEvent,
    Miss,
    Downtime,
    UptimeShortfall,
    Claim,
    Voucher,
    Invoice,
    BillingEvent,
]


@pytest.fixture
def superuser(db):
    user = BillingAdminFactory()
    user.is_staff = user.is_superuser = True
    user.save(update_fields=["is_staff", "is_superuser"])
    return user


@pytest.mark.parametrize("model", EVIDENCE, ids=lambda m: m.__name__)
def test_no_delete_for_evidence_even_for_a_superuser(superuser, model):
    request = RequestFactory().get("/admin/")
    request.user = superuser
    model_admin = admin.site._registry[model]

    assert not model_admin.has_delete_permission(request)
    assert "delete_selected" not in model_admin.get_actions(request)


def test_the_delete_page_of_a_ticket_is_refused_and_the_ticket_stays(superuser, ticket):
    client = Client()
    client.force_login(superuser)

    page = client.get(f"/admin/tickets/ticket/{ticket.pk}/delete/")
    posted = client.post(f"/admin/tickets/ticket/{ticket.pk}/delete/", {"post": "yes"})
    bulk = client.post(
        "/admin/tickets/ticket/",
        {"action": "delete_selected", "_selected_action": [ticket.pk], "post": "yes"},
    )

    assert page.status_code == 403 and posted.status_code == 403
    assert bulk.status_code in (200, 302)
    assert Ticket.objects.filter(pk=ticket.pk).exists()
