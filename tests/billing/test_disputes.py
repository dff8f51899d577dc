"""Disputes: on an automatic plan (seed 004's shape) a customer disputes a failure Pledge did not record.

A dispute is a claim with `ticket` instead of a miss; a billing admin reviews it. Upholding it
records the ticket's miss (counted, with the lateness the review found) and pays its voucher on
the month's scale within the same caps; denying it records nothing.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from billing.models import BillingEvent, Claim, ClaimStatus, Voucher
from billing.services.claims import claim_approve
from billing.services.disputes import dispute_open
from billing.services.invoices import month_close
from helpdesk.kit.errors import ConflictError
from helpdesk.tickets.models import TicketEvent
from sla.clocks.models import Miss
from sla.clocks.services.misses import misses_record_due
from tests.billing.test_automatic_compensation import TUESDAY, late_ticket
from tests.factories import AccountFactory, CustomerFactory, EngineerFactory, make_ticket, plan

pytestmark = pytest.mark.django_db

CLAIMS = "/api/v1/claims/"
NEXT_DAY = TUESDAY + dt.timedelta(days=1)
HOSTILE = "<script>alert(1)</script>'; DELETE FROM billing_claim; --"


@pytest.fixture
def business_account(db):
    return AccountFactory(plan=plan("business"), monthly_fee=Decimal("1000.00"))


@pytest.fixture
def business_customer(business_account):
    return CustomerFactory(account=business_account)


@pytest.fixture
def answered(business_customer):
    """A High ticket answered 30 minutes after it was opened: met, as far as Pledge knows."""
    return late_ticket(business_customer, EngineerFactory(), started_after=dt.timedelta(minutes=30))


def dispute(api, user, ticket_id, note="The reply said nothing: the outage ran on for three hours."):
    return api(user).post(CLAIMS, {"ticket": ticket_id, "note": note}, format="json")


def test_a_customer_disputes_an_unrecorded_failure_and_an_admin_upholds_it_with_its_voucher(
    api, business_customer, billing_admin, answered
):
    response = dispute(api, business_customer, answered.pk)

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["ground"], body["ticket"], body["miss"], body["status"]) == (
        "dispute",
        answered.pk,
        None,
        "pending",
    )
    assert TicketEvent.objects.filter(ticket=answered, code="dispute_opened").exists()

    approved = api(billing_admin).post(
        f"{CLAIMS}{body['id']}/approve/", {"lateness_seconds": 3 * 3600 - 60}, format="json"
    )

    assert approved.status_code == 200, approved.content
    miss = Miss.objects.get(ticket=answered)
    assert miss.counted and miss.lateness_seconds == 3 * 3600 - 60 and miss.month == "2026-03"
    assert approved.json()["miss"] == miss.pk and approved.json()["status"] == "approved"
    voucher = Voucher.objects.get(claim_id=body["id"])
    # three started working hours on the 2.50%-an-hour tier: 7.50% of 1000.00
    assert (voucher.miss_id, voucher.percent, voucher.amount) == (miss.pk, Decimal("7.50"), Decimal("75.000"))
    assert TicketEvent.objects.filter(ticket=answered, code="miss_recorded_on_review").exists()


def test_an_upheld_dispute_stays_within_the_months_cap(business_customer, billing_admin, answered):
    engineer = EngineerFactory()
    for _ in range(3):  # 3 x 20% (six hours late) = 60% asked; the month's cap is 50%
        late_ticket(business_customer, engineer, started_after=dt.timedelta(hours=7))
    month_close(month="2026-03", now=dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC))
    assert sum(v.amount for v in Voucher.objects.all()) == Decimal("500.000")
    claim = dispute_open(
        ticket=answered, created_by=business_customer, note="Late", now=dt.datetime(2026, 4, 2, tzinfo=dt.UTC)
    )

    voucher = claim_approve(claim=claim, actor=billing_admin, lateness_seconds=3600).voucher

    assert (voucher.amount, voucher.capped) == (Decimal("0.000"), True)


def test_a_denied_dispute_records_nothing(api, business_customer, billing_admin, answered):
    claim_id = dispute(api, business_customer, answered.pk).json()["id"]

    response = api(billing_admin).post(
        f"{CLAIMS}{claim_id}/deny/", {"reason": "customer_environment"}, format="json"
    )

    assert response.status_code == 200 and response.json()["status"] == "denied"
    assert not Miss.objects.filter(ticket=answered).exists() and not Voucher.objects.exists()


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 401),
        ("business_customer", 201),
        ("other_customer", 404),
        ("engineer", 403),
        ("billing_admin", 403),
    ],
)
def test_dispute_permission_matrix(request, api, answered, role, status):
    user = None if role == "anonymous" else request.getfixturevalue(role)

    assert dispute(api, user, answered.pk).status_code == status
    assert Claim.objects.count() == (1 if status == 201 else 0)


@pytest.mark.parametrize(
    ("role", "status"), [("business_customer", 403), ("engineer", 403), ("other_customer", 404)]
)
def test_only_billing_admins_uphold_a_dispute(request, api, business_customer, answered, role, status):
    claim = dispute_open(ticket=answered, created_by=business_customer, note="Late", now=NEXT_DAY)

    response = api(request.getfixturevalue(role)).post(f"{CLAIMS}{claim.pk}/approve/", {}, format="json")

    assert response.status_code == status
    assert not Miss.objects.filter(ticket=answered).exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"ticket": "abc", "note": "x"}, "ticket"),
        ({"ticket": 10**20, "note": "x"}, "ticket"),
        ({"ticket": -1, "note": "x"}, "ticket"),
        ({"note": "x"}, "ticket"),
        ({"ticket": 1, "miss": 1, "note": "x"}, "ticket"),
        ({"ticket": "<b>1</b>", "note": "x"}, "ticket"),
    ],
)
def test_bad_dispute_input_is_a_400_and_writes_nothing(api, business_customer, answered, body, field):
    response = api(business_customer).post(CLAIMS, body, format="json")

    assert response.status_code == 400 and field in response.json()
    assert not Claim.objects.exists()


@pytest.mark.parametrize("note", ["", "   ", "x" * 2001])
def test_a_dispute_needs_a_note_saying_what_happened(api, business_customer, answered, note):
    response = dispute(api, business_customer, answered.pk, note=note)

    assert response.status_code == 400 and "note" in response.json()
    assert not Claim.objects.exists()


def test_a_hostile_note_is_kept_as_text(api, business_customer, answered):
    response = dispute(api, business_customer, answered.pk, note=HOSTILE)

    assert response.status_code == 201 and Claim.objects.get().note == HOSTILE


def test_a_ticket_with_a_recorded_miss_or_a_running_clock_or_a_dispute_already_is_a_409(
    api, business_customer, answered
):
    missed = late_ticket(business_customer, EngineerFactory(), started_after=dt.timedelta(hours=3))
    misses_record_due(now=NEXT_DAY)
    running = make_ticket(customer=business_customer, priority="high")  # opened now: not due yet
    assert dispute(api, business_customer, answered.pk).status_code == 201

    for ticket in (missed, running, answered):
        response = dispute(api, business_customer, ticket.pk)
        assert response.status_code == 409, response.content
    assert Claim.objects.count() == 1


def test_lateness_is_for_disputes_only_and_must_be_a_sane_number(
    api, business_customer, billing_admin, answered
):
    claim = dispute_open(ticket=answered, created_by=business_customer, note="Late", now=NEXT_DAY)

    for bad in (-1, "soon", 10**12, 1.5):
        response = api(billing_admin).post(
            f"{CLAIMS}{claim.pk}/approve/", {"lateness_seconds": bad}, format="json"
        )
        assert response.status_code == 400 and "lateness_seconds" in response.json()
    assert not Miss.objects.exists()
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PENDING


def test_the_dispute_event_and_a_second_approval_is_a_409(business_customer, billing_admin, answered):
    claim = dispute_open(ticket=answered, created_by=business_customer, note="Late", now=NEXT_DAY)
    claim_approve(claim=claim, actor=billing_admin, lateness_seconds=0)

    with pytest.raises(ConflictError):
        claim_approve(claim=claim, actor=billing_admin)
    assert BillingEvent.objects.filter(code="dispute_opened", claim=claim).exists()
    assert Miss.objects.filter(ticket=answered).count() == 1


# --- the pages -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 302),
        ("business_customer", 200),
        ("other_customer", 404),
        ("engineer", 403),
        ("billing_admin", 403),
    ],
)
def test_the_dispute_page_matrix(request, client, answered, role, status):
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))

    response = client.get(reverse("billing_dispute_new", args=[answered.pk]))

    assert response.status_code == status


def test_the_dispute_page_opens_a_dispute_and_a_bad_note_writes_nothing(client, business_customer, answered):
    client.force_login(business_customer)
    url = reverse("billing_dispute_new", args=[answered.pk])

    refused = client.post(url, {"note": ""})
    assert refused.status_code == 400 and not Claim.objects.exists()
    assert "Say what happened" in refused.content.decode()

    done = client.post(url, {"note": "The reply was an auto-responder."})
    claim = Claim.objects.get()
    assert done.status_code == 302 and done["Location"] == reverse("billing_claim", args=[claim.pk])
    assert claim.disputed_ticket_id == answered.pk


def test_on_an_automatic_plan_the_claims_page_explains_the_credits_and_offers_disputes(
    client, business_customer, answered
):
    client.force_login(business_customer)

    page = client.get(reverse("billing_claims")).content.decode()

    assert "data-automatic-explained" in page and "applied automatically" in page
    assert reverse("billing_dispute_new", args=[answered.pk]) in page


def test_the_review_queue_and_the_claim_page_show_a_pending_dispute(
    client, business_customer, billing_admin, answered
):
    claim = dispute_open(
        ticket=answered, created_by=business_customer, note="The reply was empty", now=NEXT_DAY
    )
    client.force_login(billing_admin)

    queue = client.get(reverse("billing_claims"))
    page = client.get(reverse("billing_claim", args=[claim.pk]))

    assert queue.status_code == 200 and f"Dispute: {answered.subject}" in queue.content.decode()
    body = page.content.decode()
    assert page.status_code == 200 and "data-dispute" in body and "The reply was empty" in body
