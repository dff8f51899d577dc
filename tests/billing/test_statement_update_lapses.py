"""The monthly statement lists the month's progress-update lapses (seed 004): JSON, page and PDF.

Lapses earn no money: the month closes with no voucher for them, and they count no failure.
"""

import datetime as dt
import subprocess
from decimal import Decimal

import pytest
from django.urls import reverse

from billing.models import Invoice, Voucher
from billing.services.invoices import month_close
from billing.statement_mail import notify_statements_issued
from helpdesk.tickets.services.messages import message_create
from helpdesk.tickets.services.tickets import ticket_start_work
from sla.clocks.services.lapses import lapses_record_due
from tests.factories import AccountFactory, CustomerFactory, EngineerFactory, make_ticket, plan

TUESDAY = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)
CLOSE = dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC)
M = dt.timedelta(minutes=1)


@pytest.fixture
def business_account(db):
    return AccountFactory(plan=plan("business"), monthly_fee=Decimal("1000.00"))


@pytest.fixture
def business_customer(business_account):
    return CustomerFactory(account=business_account)


@pytest.fixture
def lapsed_ticket(business_customer):
    """Answered in time at 09:30 on Tuesday, then no update: with 8 working hours (weekdays 09-17)
    the next was due Wednesday 09:30, and it lapsed."""
    engineer = EngineerFactory()
    ticket = make_ticket(customer=business_customer, priority="high", now=TUESDAY, subject="Slow <b>API</b>")
    ticket_start_work(ticket=ticket, actor=engineer, now=TUESDAY + 30 * M)
    message_create(ticket=ticket, author=engineer, body="Looking into it.", now=TUESDAY + 30 * M)
    lapses_record_due(now=TUESDAY + dt.timedelta(days=1, hours=1))
    month_close(month="2026-03", now=CLOSE)
    return ticket


def statement_url(account, month="2026-03"):
    return f"/api/v1/accounts/{account.pk}/statements/{month}/"


def pdf_text(content: bytes) -> str:
    done = subprocess.run(["pdftotext", "-layout", "-", "-"], input=content, capture_output=True, check=True)
    return done.stdout.decode()


def test_the_statement_json_lists_the_months_lapses_and_pays_nothing_for_them(
    api, business_account, business_customer, lapsed_ticket
):
    body = api(business_customer).get(statement_url(business_account)).json()

    assert body["update_lapses"] == [
        {
            "ticket": lapsed_ticket.pk,
            "subject": "Slow <b>API</b>",
            "due_at": "2026-03-11T09:30:00+00:00",
            "recorded_at": "2026-03-11T10:00:00+00:00",
        }
    ]
    assert body["missed"] == [] and body["counted_failures"] == 0
    assert not Voucher.objects.exists()


def test_the_statement_page_and_pdf_show_the_same_lapses(
    client, api, business_account, business_customer, lapsed_ticket
):
    client.force_login(business_customer)

    page = client.get(reverse("billing_statement", args=[business_account.pk, "2026-03"])).content.decode()
    pdf = api(business_customer).get(statement_url(business_account) + "pdf/")

    assert f'data-update-lapse="{lapsed_ticket.pk}"' in page
    assert "2026-03-11T09:30:00+00:00" in page
    assert "Slow &lt;b&gt;API&lt;/b&gt;" in page and "<b>API</b>" not in page
    text = pdf_text(pdf.content)
    assert "Progress updates that lapsed" in text and "2026-03-11T09:30" in text


def test_the_statement_mail_counts_the_lapses(business_account, business_customer, lapsed_ticket, mailoutbox):
    invoice = Invoice.objects.get(account=business_account, month="2026-03")

    assert notify_statements_issued([invoice.pk]) == 1

    assert "Progress updates that lapsed: 1 (they earn no credit)." in mailoutbox[-1].body


def test_another_month_lists_none(api, billing_admin, business_account, lapsed_ticket):
    month_close(month="2026-04", now=dt.datetime(2026, 5, 1, 9, 0, tzinfo=dt.UTC))

    body = api(billing_admin).get(statement_url(business_account, "2026-04")).json()

    assert body["update_lapses"] == []


@pytest.mark.parametrize(
    ("role", "status"),
    [("anonymous", 401), ("business_customer", 200), ("other_customer", 404), ("engineer", 403)],
)
def test_the_lapses_are_shown_only_to_whom_the_statement_is(
    request, api, business_account, lapsed_ticket, role, status
):
    user = None if role == "anonymous" else request.getfixturevalue(role)

    response = api(user).get(statement_url(business_account))

    assert response.status_code == status
    if status != 200:
        assert "update_lapses" not in response.content.decode()
