"""Exclusions found on review stop a failure counting; arrears are judged at the failure; paid_at."""

import datetime as dt

import pytest
import time_machine

from billing.models import AccountMonth, BillingEvent, Invoice
from billing.services.claims import claim_deny, claim_open
from billing.services.invoices import invoice_mark_paid, month_close
from helpdesk.accounts.services.accounts import account_update
from helpdesk.tickets.models import TicketEvent
from sla.clocks.models import Miss
from sla.clocks.services.exclusions import exclusion_cancel, exclusion_create
from tests.billing.conftest import NOW, record_misses, user_for

pytestmark = pytest.mark.django_db

APRIL_1 = dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC)
MAY = dt.datetime(2026, 5, 1, 9, 0, tzinfo=dt.UTC)


def flagged(account, month="2026-03") -> bool:
    row = AccountMonth.objects.filter(account=account, month=month).first()
    return bool(row and row.termination_eligible)


def counted(account, month="2026-03") -> int:
    return Miss.objects.filter(account=account, month=month, counted=True).count()


@pytest.fixture
def hooked(django_capture_on_commit_callbacks):
    def run(action, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return action(*args, **kwargs)

    return run


# --- a denial for a contract exclusion ------------------------------------------------------------


def test_a_claim_denied_as_the_customers_environment_stops_the_miss_counting_and_clears_the_flag(
    customer, billing_admin, hooked
):
    misses = hooked(record_misses, customer, 6)
    assert flagged(customer.account) and counted(customer.account) == 6
    claim = claim_open(miss=misses[0], created_by=customer, now=NOW)

    hooked(claim_deny, claim=claim, actor=billing_admin, reason="customer_environment", now=NOW)

    miss = Miss.objects.get(pk=misses[0].pk)
    assert not miss.counted and miss.decision_reason == "customer_environment"
    assert "non-standard environment" in miss.excluded_reason
    assert counted(customer.account) == 5
    assert not flagged(customer.account)
    assert TicketEvent.objects.filter(ticket=miss.ticket, code="miss_excluded").exists()
    assert BillingEvent.objects.filter(code="termination_cleared").exists()


@pytest.mark.parametrize("reason", ["account_in_arrears", "other"])
def test_arrears_or_another_reason_refuses_the_money_but_the_failure_still_counts(
    customer, billing_admin, hooked, reason
):
    misses = hooked(record_misses, customer, 6)
    claim = claim_open(miss=misses[0], created_by=customer, now=NOW)

    hooked(claim_deny, claim=claim, actor=billing_admin, reason=reason, note="Why", now=NOW)

    assert Miss.objects.get(pk=misses[0].pk).counted
    assert flagged(customer.account)


def test_a_period_coming_and_going_never_counts_a_miss_excluded_on_review_again(
    customer, billing_admin, hooked, miss
):
    claim = claim_open(miss=miss, created_by=customer, now=NOW)
    hooked(claim_deny, claim=claim, actor=billing_admin, reason="custom_code", now=NOW)

    period = exclusion_create(
        created_by=billing_admin,
        kind="force_majeure",
        starts_at=miss.clock_started_at,
        ends_at=miss.deadline,
        note="Declared afterwards",
    )
    exclusion_cancel(period=period, actor=billing_admin, reason="Declared in error")

    miss.refresh_from_db()
    assert not miss.counted and miss.decision_reason == "custom_code"


# --- excluding a miss directly ------------------------------------------------------------------------

EXCLUDE = "/api/v1/misses/{}/exclude/"


def _state(miss):
    miss.refresh_from_db()
    return miss.counted, miss.excluded_reason, miss.decision_reason


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 401),
        ("customer", 403),
        ("other_customer", 404),
        ("engineer", 403),
        ("billing_admin", 200),
    ],
)
def test_excluding_a_miss_is_for_billing_admins(request, api, miss, role, status):
    before = _state(miss)

    response = api(user_for(request, role)).post(
        EXCLUDE.format(miss.pk),
        {"reason": "unauthorised_change", "note": "Changed the firewall"},
        format="json",
    )

    assert response.status_code == status
    if status == 200:
        assert response.json()["counted"] is False
        assert _state(miss)[2] == "unauthorised_change"
        assert BillingEvent.objects.filter(code="miss_excluded", data__reason="unauthorised_change").exists()
    else:
        assert _state(miss) == before


def test_excluding_a_miss_judges_the_month_again(
    api, customer, billing_admin, hooked, django_capture_on_commit_callbacks
):
    misses = hooked(record_misses, customer, 6)
    assert flagged(customer.account)

    with django_capture_on_commit_callbacks(execute=True):
        response = api(billing_admin).post(
            EXCLUDE.format(misses[2].pk), {"reason": "maintenance_prevented"}, format="json"
        )

    assert response.status_code == 200
    assert not flagged(customer.account)


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"reason": ""},
        {"reason": "other"},
        {"reason": "account_in_arrears"},
        {"reason": "<script>alert(1)</script>"},
        {"reason": "custom_code'; DROP TABLE clocks_miss; --"},
        {"reason": 12345},
        {"reason": ["custom_code"]},
        {"reason": "custom_code", "note": "x" * 2001},
        {"reason": "custom_code", "note": {"a": 1}},
    ],
)
def test_a_bad_exclusion_is_a_400_that_changes_nothing(api, billing_admin, miss, payload):
    before = _state(miss)

    response = api(billing_admin).post(EXCLUDE.format(miss.pk), payload, format="json")

    assert response.status_code == 400
    assert _state(miss) == before


def test_a_miss_is_excluded_once_and_an_unknown_one_is_404(api, billing_admin, miss):
    client = api(billing_admin)
    assert client.post(EXCLUDE.format(miss.pk), {"reason": "custom_code"}, format="json").status_code == 200

    again = client.post(EXCLUDE.format(miss.pk), {"reason": "custom_code"}, format="json")

    assert again.status_code == 409
    assert client.post(EXCLUDE.format(10**9), {"reason": "custom_code"}, format="json").status_code == 404


# --- arrears at the failure's instant ------------------------------------------------------------------


def test_a_miss_during_arrears_is_proposed_for_denial_even_when_paid_before_the_review(
    api, customer, billing_admin
):
    # given March's invoice, due in mid-April, still unpaid on 20 April when a deadline is missed
    month_close(month="2026-03", now=APRIL_1)
    invoice = Invoice.objects.get(account=customer.account)
    assert invoice.due_on < dt.date(2026, 4, 20)
    during = record_misses(customer, 1, start=dt.datetime(2026, 4, 20, 10, 0, tzinfo=dt.UTC))[0]
    # and paid on 22 April, after which another deadline is missed
    with time_machine.travel(MAY, tick=False):
        invoice_mark_paid(
            invoice=invoice, actor=billing_admin, paid_at=dt.datetime(2026, 4, 22, 12, 0, tzinfo=dt.UTC)
        )
    after = record_misses(customer, 1, start=dt.datetime(2026, 4, 24, 10, 0, tzinfo=dt.UTC))[0]

    with time_machine.travel(MAY, tick=False):
        first = claim_open(miss=during, created_by=customer)
        second = claim_open(miss=after, created_by=customer)
        client = api(billing_admin)
        shown = {c["id"]: c["proposed_reason"] for c in client.get("/api/v1/claims/").json()["results"]}

    assert shown[first.pk] == "account_in_arrears"
    assert shown[second.pk] is None


# --- payments have a time --------------------------------------------------------------------------------


@pytest.fixture
def march_invoice(customer):
    month_close(month="2026-03", now=APRIL_1)
    return Invoice.objects.get(account=customer.account)


def test_a_payment_is_recorded_at_the_time_given(api, billing_admin, march_invoice):
    with time_machine.travel(MAY, tick=False):
        response = api(billing_admin).post(
            f"/api/v1/invoices/{march_invoice.pk}/mark-paid/",
            {"paid_at": "2026-04-10T08:30:00Z"},
            format="json",
        )

    assert response.status_code == 200
    assert response.json()["paid_at"].startswith("2026-04-10T08:30:00")
    march_invoice.refresh_from_db()
    assert march_invoice.paid_at == dt.datetime(2026, 4, 10, 8, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    "paid_at",
    [
        "2026-06-01T00:00:00Z",
        "2026-02-27T00:00:00Z",
        "0001-01-01T00:00:00Z",
        "9999-12-31T00:00:00Z",
        "2026-04-10T08:30:00",
        "yesterday",
        12345,
        "<b>now</b>",
    ],
)
def test_a_bad_payment_time_is_a_400_that_records_nothing(api, billing_admin, march_invoice, paid_at):
    with time_machine.travel(MAY, tick=False):
        response = api(billing_admin).post(
            f"/api/v1/invoices/{march_invoice.pk}/mark-paid/", {"paid_at": paid_at}, format="json"
        )

    assert response.status_code == 400
    march_invoice.refresh_from_db()
    assert march_invoice.paid_at is None


def test_the_invoice_page_records_a_payment_time(client, billing_admin, march_invoice):
    client.force_login(billing_admin)
    with time_machine.travel(MAY, tick=False):
        client.force_login(billing_admin)
        response = client.post(f"/billing/invoices/{march_invoice.pk}/paid/", {"paid_at": "2026-04-12T09:15"})

    assert response.status_code == 302
    march_invoice.refresh_from_db()
    assert march_invoice.paid_at == dt.datetime(2026, 4, 12, 9, 15, tzinfo=dt.UTC)


# --- service starts on a date ---------------------------------------------------------------------------


def test_months_are_billed_from_the_day_service_began_and_never_before(api, billing_admin, customer):
    account_update(account=customer.account, started_on=dt.date(2026, 1, 15))

    month_close(month="2025-12", now=APRIL_1)
    month_close(month="2026-01", now=APRIL_1)
    month_close(month="2026-02", now=APRIL_1)

    months = set(Invoice.objects.filter(account=customer.account).values_list("month", flat=True))
    assert months == {"2026-01", "2026-02"}


def test_an_account_starts_today_unless_told_and_a_bad_start_is_a_400(api, billing_admin, plans):
    client = api(billing_admin)
    payload = {"name": "Acme", "plan": plans["advanced"].pk, "monthly_fee": "100.00"}

    today = client.post("/api/v1/accounts/", payload, format="json")
    earlier = client.post(
        "/api/v1/accounts/", {**payload, "name": "Brought over", "started_on": "2024-07-01"}, format="json"
    )
    far = client.post(
        "/api/v1/accounts/", {**payload, "name": "Far", "started_on": "1900-01-01"}, format="json"
    )
    garbage = client.post(
        "/api/v1/accounts/", {**payload, "name": "Bad", "started_on": "soon"}, format="json"
    )

    assert today.status_code == 201 and today.json()["started_on"] == NOW.date().isoformat()
    assert earlier.status_code == 201 and earlier.json()["started_on"] == "2024-07-01"
    assert far.status_code == 400 and "started_on" in far.json()
    assert garbage.status_code == 400 and "started_on" in garbage.json()
