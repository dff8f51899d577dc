"""Automatic compensation (seed 004): closing a month pays its counted misses and final shortfalls, no claim.

The business plan counts on weekdays 09:00-17:00 (UTC support zone); a High ticket with no
severity must see work started within one working hour. Its penalty: every started working hour
late earns 2.50% of the fee for hours 1-4, then 5.00%; the month's vouchers stop at 50% of the fee.
"""

import datetime as dt
import subprocess
from decimal import Decimal

import pytest
from django.urls import reverse

from billing.models import BillingEvent, Claim, Invoice, InvoiceLineKind, Voucher
from billing.services.invoices import month_close
from helpdesk.tickets.services.tickets import ticket_respond, ticket_start_work
from sla.clocks.models import Miss
from sla.uptime.services.assessment import uptime_month_assess
from sla.uptime.services.downtime import downtime_record
from sla.uptime.services.items import item_create
from tests.factories import AccountFactory, CustomerFactory, EngineerFactory, make_ticket, plan

TUESDAY = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)  # the clock starts; the deadline is 10:00
CLOSE = dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC)
APRIL_CLOSE = dt.datetime(2026, 5, 1, 9, 0, tzinfo=dt.UTC)
H = dt.timedelta(hours=1)


@pytest.fixture
def business_account(db):
    return AccountFactory(plan=plan("business"), monthly_fee=Decimal("1000.00"))


@pytest.fixture
def business_customer(business_account):
    return CustomerFactory(account=business_account)


@pytest.fixture
def engineer(db):
    return EngineerFactory()


def late_ticket(customer, engineer, *, started_after: dt.timedelta, opened: dt.datetime = TUESDAY):
    """A High ticket answered `started_after` its opening (the target is one working hour); on seed
    004's plan the clock stops at the first reply, so the engineer starts work and replies at once."""
    ticket = make_ticket(customer=customer, priority="high", now=opened)
    ticket = ticket_start_work(ticket=ticket, actor=engineer, now=opened + started_after)
    ticket_respond(ticket=ticket, actor=engineer, how="reply", now=opened + started_after)
    return ticket


def test_closing_an_automatic_month_pays_each_miss_by_its_working_hours_late(
    business_account, business_customer, engineer
):
    # given two misses: 2.5 working hours late (3 started hours) and 6 hours late
    first = late_ticket(business_customer, engineer, started_after=H + 2.5 * H)
    second = late_ticket(business_customer, engineer, started_after=7 * H)

    # when the month closes
    month_close(month="2026-03", now=CLOSE)

    # then each miss has its voucher with no claim, priced on the tiers
    vouchers = {v.miss.ticket_id: v for v in Voucher.objects.select_related("miss")}
    assert vouchers[first.pk].claim_id is None and vouchers[first.pk].automatic
    assert vouchers[first.pk].lateness_seconds == 9000
    assert (vouchers[first.pk].percent, vouchers[first.pk].amount) == (Decimal("7.50"), Decimal("75.00"))
    assert vouchers[second.pk].lateness_seconds == 6 * 3600
    assert (vouchers[second.pk].percent, vouchers[second.pk].amount) == (Decimal("20.00"), Decimal("200.00"))
    assert BillingEvent.objects.filter(code="voucher_issued", data__automatic=True).count() == 2


def test_lateness_counts_working_hours_only(business_account, business_customer, engineer):
    # opened Friday 16:00, deadline 17:00; work started Monday 10:00: one working hour late, not 65
    friday = dt.datetime(2026, 3, 13, 16, 0, tzinfo=dt.UTC)
    late_ticket(business_customer, engineer, opened=friday, started_after=dt.timedelta(days=2, hours=18))

    month_close(month="2026-03", now=CLOSE)

    voucher = Voucher.objects.get()
    assert voucher.lateness_seconds == 3600
    assert voucher.amount == Decimal("25.00")


def test_the_vouchers_are_credited_on_the_following_months_invoice(
    business_account, business_customer, engineer
):
    late_ticket(business_customer, engineer, started_after=H + 2.5 * H)

    month_close(month="2026-03", now=CLOSE)
    march = Invoice.objects.get(account=business_account, month="2026-03")
    assert march.total == Decimal("1000.00")
    assert not march.lines.filter(kind=InvoiceLineKind.VOUCHER_CREDIT).exists()

    month_close(month="2026-04", now=APRIL_CLOSE)
    april = Invoice.objects.get(account=business_account, month="2026-04")
    assert april.total == Decimal("925.00")
    line = april.lines.get(kind=InvoiceLineKind.VOUCHER_CREDIT)
    assert "missed Work Started deadline" in line.description


def test_a_second_close_issues_nothing_new(business_account, business_customer, engineer):
    late_ticket(business_customer, engineer, started_after=3 * H)
    month_close(month="2026-03", now=CLOSE)
    before = list(Voucher.objects.values_list("pk", "amount"))

    again = month_close(month="2026-03", now=CLOSE + H)

    assert again.issued == 0
    assert list(Voucher.objects.values_list("pk", "amount")) == before


def test_the_month_never_pays_more_than_half_the_fee(business_account, business_customer, engineer):
    for n in range(8):  # each about a working day late: 8 hours earn 30%
        late_ticket(
            business_customer, engineer, started_after=9 * H, opened=TUESDAY + n * dt.timedelta(days=1)
        )

    month_close(month="2026-03", now=CLOSE)

    amounts = [v.amount for v in Voucher.objects.order_by("id")]
    assert sum(amounts) == Decimal("500.00")
    assert Voucher.objects.filter(capped=True).exists()


def test_an_uncounted_miss_earns_nothing(business_account, business_customer, engineer):
    late_ticket(business_customer, engineer, started_after=3 * H)
    Miss.objects.update(counted=False, excluded_reason="Force majeure")

    month_close(month="2026-03", now=CLOSE)

    assert not Voucher.objects.exists()


def test_a_claim_plan_gets_no_voucher_without_a_claim(customer, engineer):
    late_ticket(customer, engineer, started_after=5 * H)

    month_close(month="2026-03", now=CLOSE)

    assert Miss.objects.filter(account=customer.account).exists()
    assert not Voucher.objects.exists()


def test_a_final_uptime_shortfall_is_paid_at_close_within_the_uptime_cap(
    business_account, business_customer, billing_admin, engineer
):
    # given an item at 99.9% down 2 hours 45 minutes in March: 3 started hours beyond, 15% on the scale
    item = item_create(created_by=billing_admin, account=business_account, name="Shop")
    down_at = dt.datetime(2026, 3, 15, 2, 0, tzinfo=dt.UTC)
    downtime_record(
        item=item,
        actor=engineer,
        starts_at=down_at,
        ends_at=down_at + dt.timedelta(minutes=165),
        now=down_at + 3 * H,
    )
    uptime_month_assess(month="2026-03", account_ids=[business_account.pk], now=down_at + 3 * H)

    month_close(month="2026-03", now=CLOSE)

    voucher = Voucher.objects.select_related("shortfall").get()
    assert voucher.claim_id is None and voucher.shortfall.item_id == item.pk
    assert voucher.shortfall.final
    assert voucher.amount == Decimal("150.00")
    assert "uptime of Shop" in voucher.subject


def test_the_api_shows_what_each_voucher_pays_for(api, business_account, business_customer, engineer):
    ticket = late_ticket(business_customer, engineer, started_after=3 * H)
    month_close(month="2026-03", now=CLOSE)

    body = api(business_customer).get("/api/v1/vouchers/").json()

    row = body["results"][0] if "results" in body else body[0]
    assert row["claim"] is None and row["automatic"] is True
    assert row["miss"] == Miss.objects.get(ticket=ticket).pk
    assert (row["lateness_seconds"], row["percent"], row["amount"]) == (7200, "5.00", "50.00")


# --- the pages explain the credits applied --------------------------------------------------------


def test_the_month_page_explains_the_credits_applied(client, business_customer, engineer):
    late_ticket(business_customer, engineer, started_after=3 * H)
    client.force_login(business_customer)

    before = client.get(reverse("billing_month", args=["2026-03"])).content.decode()
    assert "Credits are applied for you" in before
    assert "Credited automatically when the month closes" in before
    assert "Claim compensation" not in before

    month_close(month="2026-03", now=CLOSE)

    after = client.get(reverse("billing_month", args=["2026-03"])).content.decode()
    voucher = Voucher.objects.get()
    assert f"Applied automatically: voucher #{voucher.pk}, 50.00 USD" in after
    assert "2h late in working time, 5% of the fee" in after


def test_the_claim_form_of_an_automatic_miss_says_no_claim_is_needed(client, business_customer, engineer):
    ticket = late_ticket(business_customer, engineer, started_after=3 * H)
    miss = Miss.objects.get(ticket=ticket)
    client.force_login(business_customer)

    page = client.get(reverse("billing_claim_new", args=[miss.pk])).content.decode()
    refused = client.post(reverse("billing_claim_new", args=[miss.pk]), {"note": "please"})

    assert "no claim is needed" in page
    assert refused.status_code == 400 and "automatically" in refused.content.decode()
    assert not Claim.objects.exists()


def test_a_miss_marked_not_counted_earns_no_claim_on_an_automatic_plan_either(
    api, business_customer, engineer
):
    ticket = late_ticket(business_customer, engineer, started_after=3 * H)
    Miss.objects.filter(ticket=ticket).update(counted=False, excluded_reason="Force majeure")
    miss = Miss.objects.get(ticket=ticket)

    counted = api(business_customer).post("/api/v1/claims/", {"miss": miss.pk}, format="json")

    assert counted.status_code == 400 and "not counted" in counted.json()["miss"][0]


# --- the monthly SLA statement ----------------------------------------------------------------------


def statement_url(account, month="2026-03"):
    return f"/api/v1/accounts/{account.pk}/statements/{month}/"


def test_the_statement_and_its_page_show_the_same_month(
    client, api, business_account, business_customer, engineer
):
    late_ticket(business_customer, engineer, started_after=H + 2.5 * H)
    late_ticket(business_customer, engineer, started_after=30 * dt.timedelta(minutes=1))  # met
    month_close(month="2026-03", now=CLOSE)

    body = api(business_customer).get(statement_url(business_account)).json()

    assert (body["tickets_due"], body["met"], len(body["missed"])) == (2, 1, 1)
    assert body["missed"][0]["lateness_seconds"] == 9000 and body["missed"][0]["credit"] == "75.00"
    assert body["vouchers"][0]["automatic"] is True and body["vouchers_total"] == "75.00"
    assert body["counted_failures"] == 1 and body["termination_eligible"] is False
    client.force_login(business_customer)
    page = client.get(reverse("billing_statement", args=[business_account.pk, "2026-03"])).content.decode()
    assert "data-tickets-due>2<" in page and "data-met>1<" in page
    assert "2h 30m" in page and "75.00 USD" in page


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 401),
        ("business_customer", 200),
        ("other_customer", 404),
        ("engineer", 403),
        ("billing_admin", 200),
    ],
)
def test_the_statement_is_for_the_accounts_customers_and_billing_admins(
    request, api, business_account, role, status
):
    month_close(month="2026-03", now=CLOSE)
    user = None if role == "anonymous" else request.getfixturevalue(role)

    assert api(user).get(statement_url(business_account)).status_code == status


@pytest.mark.parametrize(
    ("month", "status"),
    [("2026-02", 404), ("2026-13", 400), ("1999-01", 400), ("<b>", 400), ("2026-03' OR 1=1", 400)],
)
def test_no_statement_before_the_month_closes_and_a_bad_month_is_a_400(
    api, billing_admin, business_account, month, status
):
    month_close(month="2026-03", now=CLOSE)

    assert api(billing_admin).get(statement_url(business_account, month)).status_code == status


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 302),
        ("business_customer", 200),
        ("other_customer", 404),
        ("engineer", 403),
        ("billing_admin", 200),
    ],
)
def test_the_statement_page_matrix(request, client, business_account, role, status):
    month_close(month="2026-03", now=CLOSE)
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))

    response = client.get(reverse("billing_statement", args=[business_account.pk, "2026-03"]))

    assert response.status_code == status


def pdf_text(content: bytes) -> str:
    """The text of a PDF, read back by poppler's pdftotext (run.py installs poppler-utils)."""
    done = subprocess.run(["pdftotext", "-layout", "-", "-"], input=content, capture_output=True, check=True)
    return done.stdout.decode()


def test_the_statement_pdf_shows_the_apis_numbers(client, api, business_account, business_customer, engineer):
    late_ticket(business_customer, engineer, started_after=H + 2.5 * H)
    month_close(month="2026-03", now=CLOSE)
    body = api(business_customer).get(statement_url(business_account)).json()

    response = api(business_customer).get(statement_url(business_account) + "pdf/")
    client.force_login(business_customer)
    page = client.get(reverse("billing_statement_pdf", args=[business_account.pk, "2026-03"]))

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "SLA statement, March 2026" in text
    assert f"{body['missed'][0]['credit']} USD" in text and "2h 30m" in text
    assert "Tickets due" in text and business_account.name in text
    assert page.status_code == 200 and "SLA statement" in pdf_text(page.content)


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 401),
        ("business_customer", 200),
        ("other_customer", 404),
        ("engineer", 403),
        ("billing_admin", 200),
    ],
)
def test_the_statement_pdf_matrix(request, api, business_account, role, status):
    month_close(month="2026-03", now=CLOSE)
    user = None if role == "anonymous" else request.getfixturevalue(role)

    assert api(user).get(statement_url(business_account) + "pdf/").status_code == status


def test_closing_the_month_mails_each_account_its_statement_with_the_pdf(
    business_account, business_customer, engineer, monkeypatch, django_capture_on_commit_callbacks, mailoutbox
):
    late_ticket(business_customer, engineer, started_after=H + 2.5 * H)
    enqueued = []
    monkeypatch.setattr(
        "billing.services.invoices.enqueue_after_commit", lambda task, *args: enqueued.append((task, args))
    )
    with django_capture_on_commit_callbacks(execute=True):
        month_close(month="2026-03", now=CLOSE)
    (task, args) = next((t, a) for t, a in enqueued if t.name.endswith("notify_statements_issued"))

    assert task(*args) == 1

    message = mailoutbox[-1]
    assert message.to == [business_customer.email]
    assert "SLA statement for March 2026" in message.subject
    assert "Tickets due: 1; met: 0; missed: 1." in message.body
    name, content, mimetype = message.attachments[0]
    assert mimetype == "application/pdf" and name.endswith("2026-03.pdf")
    assert "75.00 USD" in pdf_text(content)
