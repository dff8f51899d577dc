"""Billing pages: the permission matrix on every page and action, bad input, contents, query counts."""

import datetime as dt
import subprocess

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from billing.models import AccountMonth, Claim, Invoice, TerminationRequest, Voucher
from billing.services.claims import claim_approve, claim_open
from billing.services.invoices import month_close
from billing.services.months import termination_sweep
from tests.billing.conftest import NOW, T0, record_misses, user_for
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
APRIL_1 = dt.datetime(2026, 4, 1, 0, 5, tzinfo=dt.UTC)

# Measured; the same at a few rows and at many. Session and user (2) + the page's own queries.
CLAIMS_PAGE_QUERIES = 4  # + count, page of claims with everything joined
INVOICES_PAGE_QUERIES = 5  # + count, page, prefetched lines
MONTH_PAGE_QUERIES = (
    14  # + account, summary (5), misses with claims, uptime shortfalls with claims, termination, invoice,
    # vouchers; base's account
)
# sla's 5 (with the exclusion periods that touched the page's misses) and base's account + the
# page's claims and claim windows (3)
CUSTOMER_MISSES_PAGE_QUERIES = 9


def client_for(client, user):
    if user is not None:
        client.force_login(user)
    return client


def expect(response, status):
    if status == "login":
        assert response.status_code == 302 and response.url.startswith(reverse("login"))
    else:
        assert response.status_code == status


ROLES = ["anonymous", "customer", "other_customer", "engineer", "billing_admin"]


def matrix(*statuses):
    return pytest.mark.parametrize(("role", "status"), list(zip(ROLES, statuses, strict=True)))


@pytest.fixture
def approved(claim, billing_admin):
    claim_approve(claim=claim, actor=billing_admin, now=NOW)
    return claim


@pytest.fixture
def invoice(approved, other_customer):
    month_close(month="2026-03", now=APRIL_1)
    return Invoice.objects.get(account=approved.account)


# --- claims --------------------------------------------------------------------------------------


@matrix("login", 200, 200, 200, 200)
def test_claims_page_matrix(request, client, claim, other_claim, role, status):
    response = client_for(client, user_for(request, role)).get(reverse("billing_claims"))

    expect(response, status)
    if status == 200:
        html = response.content.decode()
        sees_mine, sees_theirs = "Checkout is down" in html, "Their secret outage" in html
        assert (sees_mine, sees_theirs) == {
            "customer": (True, False),
            "other_customer": (False, True),
        }.get(role, (True, True))


@matrix("login", 200, 404, 200, 200)
def test_claim_page_matrix(request, client, claim, role, status):
    response = client_for(client, user_for(request, role)).get(reverse("billing_claim", args=[claim.pk]))

    expect(response, status)
    if status == 200:
        html = response.content.decode()
        assert "Checkout is down" in html
        assert ("Approve and issue voucher" in html) is (role == "billing_admin")
        assert ("Exclusion periods around the clock" in html) is (role in ("engineer", "billing_admin"))


@matrix("login", 200, 404, 403, 403)
def test_claim_new_page_matrix(request, client, miss, role, status):
    url = reverse("billing_claim_new", args=[miss.pk])
    expect(client_for(client, user_for(request, role)).get(url), status)
    response = client.post(url, {"note": "Down an hour"})

    expect(response, 302 if status == 200 else status)
    assert Claim.objects.count() == (1 if status == 200 else 0)
    if status == 200:
        assert response.url == reverse("billing_claim", args=[Claim.objects.get().pk])


@pytest.mark.parametrize("action", ["billing_claim_approve", "billing_claim_deny"])
@matrix("login", 403, 404, 403, 302)
def test_claim_decision_matrix(request, client, claim, action, role, status):
    response = client_for(client, user_for(request, role)).post(
        reverse(action, args=[claim.pk]), {"reason": "custom_code"}
    )

    expect(response, status)
    claim.refresh_from_db()
    assert (claim.status != "pending") is (status == 302)
    assert Voucher.objects.exists() is (status == 302 and action == "billing_claim_approve")


def test_the_review_shows_the_timeline_the_periods_the_month_and_proposes_arrears(
    client, billing_admin, customer
):
    from sla.clocks.services.exclusions import exclusion_create

    month_close(month="2026-03", now=APRIL_1)
    april = dt.datetime(2026, 4, 20, 9, tzinfo=dt.UTC)
    import time_machine

    with time_machine.travel(april, tick=False):
        miss = record_misses(customer, 1, start=april - dt.timedelta(days=2), subject="Checkout is down")[0]
        exclusion_create(
            created_by=billing_admin,
            kind="force_majeure",
            starts_at=miss.deadline + dt.timedelta(hours=2),
            ends_at=miss.deadline + dt.timedelta(hours=3),
            note="Storm",
        )
        claim = claim_open(miss=miss, created_by=customer)
        html = (
            client_for(client, billing_admin).get(reverse("billing_claim", args=[claim.pk])).content.decode()
        )

    assert "Proposed: deny for account in arrears" in html
    assert "Work Started deadline missed" in html  # the ticket's timeline
    assert "Force majeure" in html  # a period near the clock
    assert "counted miss" in html and "cap used" in html
    assert '<option value="account_in_arrears" selected>' in html


def test_deny_form_errors_are_400_next_to_the_field(client, billing_admin, claim):
    page = client_for(client, billing_admin)
    response = page.post(reverse("billing_claim_deny", args=[claim.pk]), {"reason": "other", "note": ""})

    assert response.status_code == 400
    assert "needs a note" in response.content.decode() and "data-open-on-load" in response.content.decode()
    assert page.post(reverse("billing_claim_deny", args=[claim.pk]), {"reason": "bogus"}).status_code == 400
    claim.refresh_from_db()
    assert claim.status == "pending"


def test_deciding_twice_on_the_page_is_409(client, billing_admin, claim):
    page = client_for(client, billing_admin)
    assert page.post(reverse("billing_claim_approve", args=[claim.pk])).status_code == 302
    again = page.post(reverse("billing_claim_approve", args=[claim.pk]))
    assert again.status_code == 409 and "already approved" in again.content.decode()
    assert Voucher.objects.count() == 1


def test_a_refused_claim_says_why_in_a_400(one_month_window, client, customer, miss):
    import time_machine

    page = client_for(client, customer)
    too_long = page.post(reverse("billing_claim_new", args=[miss.pk]), {"note": "x" * 2001})
    assert too_long.status_code == 400 and "field__errors" in too_long.content.decode()
    with time_machine.travel(dt.datetime(2026, 5, 1, tzinfo=dt.UTC), tick=False):
        page.force_login(customer)  # the March session has expired by May
        late = page.post(reverse("billing_claim_new", args=[miss.pk]), {"note": ""})
    assert late.status_code == 400 and "claim window for this miss closed" in late.content.decode()
    assert not Claim.objects.exists()


def test_a_hostile_note_is_shown_as_text(client, customer, miss, billing_admin):
    claim = claim_open(miss=miss, created_by=customer, note='<script>alert("x")</script>', now=NOW)
    html = client_for(client, billing_admin).get(reverse("billing_claim", args=[claim.pk])).content.decode()
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html


def test_claims_page_queries_do_not_grow(client, billing_admin, customer):
    def add(n, day):
        for miss in record_misses(customer, n, start=T0 + dt.timedelta(days=day)):
            claim_open(miss=miss, created_by=customer, now=NOW)

    def measure():
        with CaptureQueriesContext(connection) as queries:
            assert page.get(reverse("billing_claims")).status_code == 200
        return len(queries)

    page = client_for(client, billing_admin)
    add(3, 0)
    few = measure()
    add(40, 1)
    assert few == measure() <= CLAIMS_PAGE_QUERIES


# --- the misses page's button --------------------------------------------------------------------


def test_the_misses_page_offers_claim_compensation_then_shows_the_claim(client, customer, miss):
    page = client_for(client, customer)
    html = page.get(reverse("misses")).content.decode()
    assert "Claim compensation" in html and reverse("billing_claim_new", args=[miss.pk]) in html

    claim = claim_open(miss=miss, created_by=customer, now=NOW)
    html = page.get(reverse("misses")).content.decode()
    assert f"Claim #{claim.pk}" in html and "Claim compensation<" not in html


def test_staff_see_no_claim_column_on_the_misses_page(client, engineer, miss):
    html = client_for(client, engineer).get(reverse("misses")).content.decode()
    assert "Compensation" not in html


def test_customer_misses_page_queries_do_not_grow(client, customer):
    def measure():
        with CaptureQueriesContext(connection) as queries:
            assert page.get(reverse("misses")).status_code == 200
        return len(queries)

    page = client_for(client, customer)
    record_misses(customer, 3)
    few = measure()
    record_misses(customer, 40, start=T0 + dt.timedelta(days=1))
    assert few == measure() <= CUSTOMER_MISSES_PAGE_QUERIES


# --- the month page ------------------------------------------------------------------------------


@matrix("login", 200, 404, 200, 200)
def test_account_month_page_matrix(request, client, customer, miss, role, status):
    url = reverse("billing_account_month", args=[customer.account_id, "2026-03"])
    response = client_for(client, user_for(request, role)).get(url)

    expect(response, status)
    if status == 200:
        assert "Checkout is down" in response.content.decode()


@matrix("login", 200, 200, 404, 404)
def test_own_month_page_matrix(request, client, miss, role, status):
    response = client_for(client, user_for(request, role)).get(reverse("billing_month", args=["2026-03"]))

    expect(response, status)
    if status == 200:
        assert ("Checkout is down" in response.content.decode()) is (role == "customer")


def test_the_month_page_shows_claims_vouchers_the_cap_and_the_invoice(client, customer, invoice):
    html = client_for(client, customer).get(reverse("billing_month", args=["2026-03"])).content.decode()

    assert "Claim #" in html and "Approved" in html
    assert "50.00" in html and "1000.00 USD cap" in html and "5%" in html
    assert f"Invoice #{invoice.pk}" in html
    # What is left under the cap reads as a limit on credits, never as a balance
    assert "left this month" not in html
    assert (
        "Up to 950.00 USD more in credits can be issued for this month: the cap on credits is 100% of "
        "the fee (1000.00 USD). This is a limit, not a balance owed to you."
    ) in html


def test_current_month_redirects_customers_and_refuses_staff(client, customer, engineer):
    response = client_for(client, customer).get(reverse("billing_month_current"))
    assert response.status_code == 302 and response.url == reverse("billing_month", args=["2026-03"])
    client.logout()
    assert client_for(client, engineer).get(reverse("billing_month_current")).status_code == 403


@pytest.mark.parametrize("month", ["2026-13", "9999-01", "abc", "2026-3"])
def test_a_bad_month_page_is_400(client, customer, month):
    response = client_for(client, customer).get(reverse("billing_month", args=[month]))
    assert response.status_code == 400 and "That month is not valid" in response.content.decode()


def test_month_page_queries_do_not_grow(client, customer, billing_admin):
    def measure():
        with CaptureQueriesContext(connection) as queries:
            assert page.get(reverse("billing_month", args=["2026-03"])).status_code == 200
        return len(queries)

    page = client_for(client, customer)
    for miss in record_misses(customer, 2):
        claim_approve(claim=claim_open(miss=miss, created_by=customer, now=NOW), actor=billing_admin, now=NOW)
    few = measure()
    for miss in record_misses(customer, 30, start=T0 + dt.timedelta(days=1)):
        claim_approve(claim=claim_open(miss=miss, created_by=customer, now=NOW), actor=billing_admin, now=NOW)
    assert few == measure() <= MONTH_PAGE_QUERIES


# --- termination ---------------------------------------------------------------------------------


@pytest.fixture
def eligible(customer):
    record_misses(customer, 6)
    termination_sweep(month="2026-03", now=NOW)
    assert AccountMonth.objects.get(account=customer.account).termination_eligible


def test_the_customer_sees_the_notice_and_requests_termination(client, customer, eligible):
    page = client_for(client, customer)
    html = page.get(reverse("billing_month", args=["2026-03"])).content.decode()
    assert "You may terminate without penalty" in html and "Request termination without penalty" in html

    response = page.post(reverse("billing_terminate", args=["2026-03"]), {"note": "Enough."})
    assert response.status_code == 302
    assert TerminationRequest.objects.get().note == "Enough."
    html = page.get(reverse("billing_month", args=["2026-03"])).content.decode()
    assert "Termination requested" in html and "Request termination without penalty" not in html
    assert page.post(reverse("billing_terminate", args=["2026-03"]), {}).status_code == 409


def test_termination_is_refused_without_a_flag_or_for_staff(client, customer, engineer):
    response = client_for(client, customer).post(reverse("billing_terminate", args=["2026-03"]), {})
    assert response.status_code == 400 and not TerminationRequest.objects.exists()
    assert (
        client_for(client, customer).post(reverse("billing_terminate", args=["2026-13"]), {}).status_code
        == 400
    )
    client.logout()
    assert (
        client_for(client, engineer).post(reverse("billing_terminate", args=["2026-03"]), {}).status_code
        == 403
    )


@matrix("login", 403, 403, 403, 200)
def test_terminations_page_matrix(request, client, customer, eligible, role, status):
    response = client_for(client, user_for(request, role)).get(reverse("billing_terminations"))
    expect(response, status)
    if status == 200:
        assert customer.account.name in response.content.decode()


@pytest.mark.parametrize("action", ["billing_termination_confirm", "billing_termination_decline"])
@matrix("login", 403, 403, 403, 302)
def test_termination_decision_matrix(request, client, customer, eligible, action, role, status):
    from billing.services.terminations import termination_request

    termination = termination_request(
        account=customer.account, month="2026-03", requested_by=customer, now=NOW
    )
    response = client_for(client, user_for(request, role)).post(
        reverse(action, args=[termination.pk]), {"note": "Seen."}
    )

    expect(response, status)
    termination.refresh_from_db()
    assert (termination.status != "requested") is (status == 302)


def test_declining_without_a_note_is_400(client, customer, billing_admin, eligible):
    from billing.services.terminations import termination_request

    termination = termination_request(
        account=customer.account, month="2026-03", requested_by=customer, now=NOW
    )
    response = client_for(client, billing_admin).post(
        reverse("billing_termination_decline", args=[termination.pk])
    )
    assert response.status_code == 400
    termination.refresh_from_db()
    assert termination.status == "requested"


# --- invoices ------------------------------------------------------------------------------------


@matrix("login", 200, 200, 403, 200)
def test_invoices_page_matrix(request, client, invoice, role, status):
    response = client_for(client, user_for(request, role)).get(reverse("billing_invoices"))

    expect(response, status)
    if status == 200:
        html = response.content.decode()
        assert (f"#{invoice.pk}</span>" in html) is (role in ("customer", "billing_admin"))
        assert ("Close a month" in html) is (role == "billing_admin")


@pytest.mark.parametrize("name", ["billing_invoice", "billing_invoice_pdf"])
@matrix("login", 200, 404, 403, 200)
def test_invoice_page_and_pdf_matrix(request, client, invoice, name, role, status):
    response = client_for(client, user_for(request, role)).get(reverse(name, args=[invoice.pk]))

    expect(response, status)
    if status == 200 and name == "billing_invoice_pdf":
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert response["Content-Type"] == "application/pdf" and body.startswith(b"%PDF")
        text = subprocess.run(["pdftotext", "-", "-"], input=body, capture_output=True, check=True).stdout
        assert b"950.00 USD" in text
    elif status == 200:
        html = response.content.decode()
        assert "950.00 USD" in html and "-50.00" in html and "Download PDF" in html


@matrix("login", 403, 404, 403, 302)
def test_mark_paid_page_matrix(request, client, invoice, role, status):
    response = client_for(client, user_for(request, role)).post(
        reverse("billing_invoice_paid", args=[invoice.pk])
    )

    expect(response, status)
    invoice.refresh_from_db()
    assert (invoice.paid_at is not None) is (status == 302)


@matrix("login", 403, 403, 403, 302)
def test_close_month_page_matrix(request, client, customer, role, status):
    with time_machine.travel(APRIL_1, tick=False):
        response = client_for(client, user_for(request, role)).post(
            reverse("billing_close_month"), {"month": "2026-03"}
        )

    expect(response, status)
    assert Invoice.objects.exists() is (status == 302)
    if status == 302:
        assert response.url == reverse("billing_invoices") + "?month=2026-03"


@pytest.mark.parametrize("month", ["", "2026-13", "9999-01", "2026-04", "<b>x</b>"])
def test_close_month_bad_input_is_400_next_to_the_field(client, billing_admin, customer, month):
    response = client_for(client, billing_admin).post(reverse("billing_close_month"), {"month": month})

    assert response.status_code == 400
    assert (
        'id="close_month_error"' in response.content.decode() or "field__errors" in response.content.decode()
    )
    assert not Invoice.objects.exists()


def test_invoices_page_filters_and_bad_filters(client, billing_admin, invoice):
    page = client_for(client, billing_admin)
    assert (
        page.get(reverse("billing_invoices"), {"month": "2026-04"})
        .content.decode()
        .count("No invoices match")
    )
    assert page.get(reverse("billing_invoices"), {"month": "2026-13"}).status_code == 400
    assert page.get(reverse("billing_invoices"), {"status": "lost"}).status_code == 400


def test_invoices_page_queries_do_not_grow(client, billing_admin):
    def measure():
        with CaptureQueriesContext(connection) as queries:
            assert page.get(reverse("billing_invoices")).status_code == 200
        return len(queries)

    page = client_for(client, billing_admin)
    for _ in range(3):
        CustomerFactory()
    month_close(month="2026-03", now=APRIL_1)
    few = measure()
    for _ in range(40):
        CustomerFactory()
    month_close(month="2026-04", now=dt.datetime(2026, 5, 1, 1, tzinfo=dt.UTC))
    assert few == measure() <= INVOICES_PAGE_QUERIES


def test_nav_links_by_role(client, customer, billing_admin):
    html = client_for(client, customer).get(reverse("portal")).content.decode()
    assert reverse("billing_month_current") in html and reverse("billing_invoices") in html
    assert reverse("billing_terminations") not in html
    client.logout()
    html = client_for(client, billing_admin).get(reverse("queue")).content.decode()
    assert all(reverse(n) in html for n in ("billing_claims", "billing_invoices", "billing_terminations"))


def test_the_deny_dialog_chooses_no_reason_by_itself(client, billing_admin, claim):
    page = client_for(client, billing_admin)
    html = page.get(reverse("billing_claim", args=[claim.pk])).content.decode()

    assert '<option value="" selected>Choose a reason…</option>' in html
    assert html.count(" selected>") == html.count('<option value="" selected>')
    response = page.post(reverse("billing_claim_deny", args=[claim.pk]), {"reason": "", "note": "no"})
    assert response.status_code == 400
    claim.refresh_from_db()
    assert claim.status == "pending"


def test_closing_the_current_month_on_the_page_is_409_and_writes_nothing(client, billing_admin, customer):
    response = client_for(client, billing_admin).post(reverse("billing_close_month"), {"month": "2026-03"})

    assert response.status_code == 409
    assert "has not ended" in response.content.decode()
    assert not Invoice.objects.exists()
