"""Uptime credits through billing: a shortfall is claimed, reviewed, vouchered and invoiced like a miss.

March 2026 (UTC support zone) has 44,640 minutes; at 99.9% 44.64 are permitted. The account
pays 1000.00 USD on Advanced (vouchers 5% a miss, month cap 100%, more than 5 failures allow
termination). The default uptime scale: hours 1-4 beyond at 5% of the fee each, 5-8 at 7.5%,
then 10%, within an uptime cap of 50%. A shortfall is claimable once its month has ended, so
most tests stand at APRIL, inside March's claim window (to the end of April).
"""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core import mail

from billing import notifications
from billing.models import BillingEvent, Claim, ClaimStatus, Invoice, InvoiceLineKind, Voucher
from billing.services.claims import claim_approve, claim_deny, claim_open, claim_open_uptime
from billing.services.invoices import month_close
from billing.services.months import termination_sweep
from billing.services.subscriptions import subscription_change
from helpdesk.kit.errors import ConflictError, ValidationError
from sla.terms.services.plans import plan_update
from sla.uptime.models import UptimeShortfall
from sla.uptime.services.assessment import uptime_month_assess
from sla.uptime.services.downtime import downtime_record, downtime_void
from sla.uptime.services.items import item_create
from tests.billing.conftest import MIN, NOW, record_misses
from tests.factories import set_uptime_terms

pytestmark = pytest.mark.django_db

DOWN_AT = dt.datetime(2026, 3, 10, 8, 0, tzinfo=dt.UTC)
APRIL = dt.datetime(2026, 4, 2, 9, 0, tzinfo=dt.UTC)
TWO_HOURS_BEYOND = 45 + 60  # 60.36 minutes beyond the permitted 44.64: two started hours, 10%
EIGHT_HOURS_BEYOND = 45 + 7 * 60  # eight started hours: 4 x 5% + 4 x 7.5% = 50%, the whole uptime cap


def shortfall_of(account, admin, engineer, minutes: int, *, name: str = "Web shop", month_ended: bool = True):
    """An item of the account down `minutes` in March, the month assessed (after it ended, by default)."""
    item = item_create(created_by=admin, account=account, name=name)
    downtime_record(item=item, actor=engineer, starts_at=DOWN_AT, ends_at=DOWN_AT + minutes * MIN, now=NOW)
    uptime_month_assess(month="2026-03", account_ids=[account.pk], now=APRIL if month_ended else NOW)
    return UptimeShortfall.objects.select_related("item").get(item=item, month="2026-03")


@pytest.fixture
def shortfall(account, billing_admin, engineer):
    return shortfall_of(account, billing_admin, engineer, TWO_HOURS_BEYOND)


@pytest.fixture
def other_shortfall(other_account, billing_admin, engineer):
    return shortfall_of(other_account, billing_admin, engineer, TWO_HOURS_BEYOND, name="Their API")


@pytest.fixture
def april():
    with time_machine.travel(APRIL, tick=False):
        yield APRIL


# --- the flow ---------------------------------------------------------------------------------------


def test_claim_approve_and_the_next_invoice_credits_the_uptime_voucher(
    api, customer, billing_admin, shortfall, april
):
    assert shortfall.claimable and shortfall.credit_percent_requested == Decimal("10")

    response = api(customer).post(
        "/api/v1/claims/", {"uptime_shortfall": shortfall.pk, "note": "Checkout was down"}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["ground"], body["uptime_shortfall"], body["item"], body["miss"], body["ticket"]) == (
        "uptime",
        shortfall.pk,
        shortfall.item_id,
        None,
        None,
    )
    assert (body["month"], body["status"], body["voucher"]) == ("2026-03", "pending", None)

    approved = api(billing_admin).post(f"/api/v1/claims/{body['id']}/approve/")
    assert approved.status_code == 200, approved.content
    voucher = Voucher.objects.get(claim_id=body["id"])
    assert (voucher.amount, voucher.requested_amount, voucher.capped, voucher.month) == (
        Decimal("100.00"),
        Decimal("100.00"),
        False,
        "2026-03",
    )
    listed = api(customer).get("/api/v1/vouchers/").json()["results"]
    assert [(v["id"], v["uptime_shortfall"], v["miss"]) for v in listed] == [(voucher.pk, shortfall.pk, None)]

    month_close(month="2026-03", actor=billing_admin, now=APRIL + dt.timedelta(hours=1))
    invoice = Invoice.objects.get(account=customer.account, month="2026-03")
    credit = invoice.lines.get(kind=InvoiceLineKind.VOUCHER_CREDIT)
    assert credit.voucher_id == voucher.pk and credit.amount == Decimal("-100.00")
    assert "uptime of Web shop below guarantee (March 2026)" in credit.description
    assert invoice.total == Decimal("900.00")
    assert set(BillingEvent.objects.filter(claim_id=body["id"]).values_list("code", flat=True)) == {
        "claim_opened",
        "claim_approved",
        "voucher_issued",
    }


def test_emails_name_the_item_and_the_month(customer, billing_admin, shortfall, mailoutbox):
    claim = claim_open_uptime(shortfall=shortfall, created_by=customer, now=APRIL)
    notifications.notify_claim_received(claim.pk)
    claim_approve(claim=claim, actor=billing_admin, now=APRIL)
    notifications.notify_claim_decided(claim.pk)
    notifications.notify_voucher_issued(Voucher.objects.get().pk)

    received, decided, voucher = mail.outbox
    assert "uptime of Web shop, 2026-03" in received.subject
    assert "uptime of Web shop in 2026-03" in received.body and "105 minutes" in received.body
    assert "approved" in decided.subject and "100.00 USD" in decided.body and "Web shop" in decided.body
    assert "Web shop" in voucher.body and "ticket #" not in voucher.body


# --- what may be claimed ------------------------------------------------------------------------------


def test_a_running_month_is_not_claimable_yet(customer, account, billing_admin, engineer):
    running = shortfall_of(account, billing_admin, engineer, TWO_HOURS_BEYOND, month_ended=False)
    assert running.active and not running.final

    with pytest.raises(ValidationError) as caught:
        claim_open_uptime(shortfall=running, created_by=customer, now=NOW)
    assert caught.value.message_dict["uptime_shortfall"][0].startswith("March 2026 has not ended")
    assert not Claim.objects.exists()


def test_the_claim_window_closes_like_a_misses(one_month_window, customer, shortfall):
    with pytest.raises(ValidationError) as caught:
        claim_open_uptime(
            shortfall=shortfall, created_by=customer, now=dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
        )
    assert "closed at the end of April 2026" in caught.value.message_dict["uptime_shortfall"][0]
    assert not Claim.objects.exists()


def test_a_shortfall_is_claimed_once(api, customer, shortfall, april):
    first = api(customer).post("/api/v1/claims/", {"uptime_shortfall": shortfall.pk}, format="json")
    again = api(customer).post("/api/v1/claims/", {"uptime_shortfall": shortfall.pk}, format="json")

    assert first.status_code == 201
    assert again.status_code == 409 and again.json()["code"] == "already_claimed"
    assert Claim.objects.count() == 1


def test_a_month_lifted_back_to_its_guarantee_cannot_be_claimed_and_its_pending_claim_is_denied(
    customer, billing_admin, engineer, shortfall
):
    claim = claim_open_uptime(shortfall=shortfall, created_by=customer, now=APRIL)
    downtime = shortfall.item.downtimes.get()
    downtime_void(
        downtime=downtime, actor=engineer, reason="The probe host was down, not the shop", now=APRIL
    )
    shortfall.refresh_from_db()
    assert not shortfall.active and not shortfall.counted

    with pytest.raises(ConflictError) as caught:
        claim_approve(claim=claim, actor=billing_admin, now=APRIL)
    assert caught.value.code == "shortfall_lifted"
    assert not Voucher.objects.exists()
    denied = claim_deny(claim=claim, actor=billing_admin, reason="other", note="Probe fault", now=APRIL)
    assert denied.status == ClaimStatus.DENIED


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "miss"),
        ({"miss": 1, "uptime_shortfall": 1}, "uptime_shortfall"),
        ({"uptime_shortfall": "abc"}, "uptime_shortfall"),
        ({"uptime_shortfall": 10**30}, "uptime_shortfall"),
        ({"uptime_shortfall": -1}, "uptime_shortfall"),
        ({"uptime_shortfall": "1 OR 1=1"}, "uptime_shortfall"),
        ({"uptime_shortfall": "<script>alert(1)</script>"}, "uptime_shortfall"),
        ({"uptime_shortfall": None, "miss": None}, "miss"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(
    api, customer, shortfall, april, payload, field
):
    response = api(customer).post("/api/v1/claims/", payload, format="json")

    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Claim.objects.exists()


def test_an_oversized_note_is_a_400(api, customer, shortfall, april):
    response = api(customer).post(
        "/api/v1/claims/", {"uptime_shortfall": shortfall.pk, "note": "x" * 2001}, format="json"
    )
    assert response.status_code == 400 and not Claim.objects.exists()


def test_another_accounts_shortfall_is_a_404_and_staff_may_not_claim(
    api, customer, engineer, billing_admin, other_shortfall, april
):
    assert (
        api(customer)
        .post("/api/v1/claims/", {"uptime_shortfall": other_shortfall.pk}, format="json")
        .status_code
        == 404
    )
    for staff in (engineer, billing_admin):
        assert (
            api(staff)
            .post("/api/v1/claims/", {"uptime_shortfall": other_shortfall.pk}, format="json")
            .status_code
            == 403
        )
    assert not Claim.objects.exists()


def test_claims_filter_by_ground_and_shortfall(api, customer, billing_admin, shortfall, april):
    uptime_claim = claim_open_uptime(shortfall=shortfall, created_by=customer, now=APRIL)
    miss_claim = claim_open(
        miss=record_misses(customer, 1, start=APRIL - dt.timedelta(days=1))[0], created_by=customer, now=APRIL
    )

    admin = api(billing_admin)
    assert [c["id"] for c in admin.get("/api/v1/claims/?ground=uptime").json()["results"]] == [
        uptime_claim.pk
    ]
    assert [c["id"] for c in admin.get("/api/v1/claims/?ground=miss").json()["results"]] == [miss_claim.pk]
    found = admin.get(f"/api/v1/claims/?uptime_shortfall={shortfall.pk}").json()["results"]
    assert [c["id"] for c in found] == [uptime_claim.pk]
    assert admin.get("/api/v1/claims/?ground=other").status_code == 400


# --- caps ------------------------------------------------------------------------------------------


def approve(claim, admin) -> Voucher:
    claim_approve(claim=claim, actor=admin, now=APRIL)
    return Voucher.objects.get(claim=claim)


def test_the_months_uptime_credits_share_the_50_percent_uptime_cap(
    account, customer, billing_admin, engineer
):
    first = shortfall_of(account, billing_admin, engineer, EIGHT_HOURS_BEYOND, name="Shop")
    second = shortfall_of(account, billing_admin, engineer, TWO_HOURS_BEYOND, name="API")

    shop = approve(claim_open_uptime(shortfall=first, created_by=customer, now=APRIL), billing_admin)
    api_voucher = approve(claim_open_uptime(shortfall=second, created_by=customer, now=APRIL), billing_admin)

    assert (shop.amount, shop.capped) == (Decimal("500.00"), False)
    assert (api_voucher.amount, api_voucher.requested_amount, api_voucher.capped) == (
        Decimal("0.00"),
        Decimal("100.00"),
        True,
    )


def march_term_on_the_latest_version(account):
    """A March term agreed now: it takes the plan version in force (the edits above)."""
    subscription_change(
        account=account,
        starts_on=dt.date(2026, 3, 1),
        plan=account.plan,
        monthly_fee=account.monthly_fee,
        now=NOW,
    )


def march_miss_claims(customer, count):
    misses = record_misses(customer, count)
    return [claim_open(miss=miss, created_by=customer, now=APRIL) for miss in misses]


def test_separate_caps_uptime_credits_and_response_time_vouchers_do_not_use_each_others_cap(
    account, customer, billing_admin, engineer, shortfall
):
    plan_update(plan=account.plan, monthly_cap_percent=Decimal("10.00"))  # 100.00 USD for response times
    march_term_on_the_latest_version(account)
    first, second, third = march_miss_claims(customer, 3)
    assert approve(first, billing_admin).amount == Decimal("50.00")
    assert approve(second, billing_admin).amount == Decimal("50.00")

    uptime_voucher = approve(
        claim_open_uptime(shortfall=shortfall, created_by=customer, now=APRIL), billing_admin
    )
    assert (uptime_voucher.amount, uptime_voucher.capped) == (Decimal("100.00"), False)
    third_voucher = approve(third, billing_admin)  # the miss cap is used up by misses alone
    assert (third_voucher.amount, third_voucher.capped) == (Decimal("0.00"), True)


def test_a_shared_cap_is_used_by_both_in_the_order_they_are_approved(
    account, customer, billing_admin, engineer, shortfall
):
    account.plan = set_uptime_terms(
        account.plan,
        credit_tiers=[
            {"up_to_hours": 4, "percent_per_hour": "5"},
            {"up_to_hours": None, "percent_per_hour": "7.5"},
        ],
        shares_voucher_cap=True,
    )
    plan_update(plan=account.plan, monthly_cap_percent=Decimal("12.00"))  # 120.00 USD shared
    march_term_on_the_latest_version(account)
    first, second = march_miss_claims(customer, 2)
    assert approve(first, billing_admin).amount == Decimal("50.00")

    uptime_voucher = approve(
        claim_open_uptime(shortfall=shortfall, created_by=customer, now=APRIL), billing_admin
    )
    assert (uptime_voucher.amount, uptime_voucher.requested_amount, uptime_voucher.capped) == (
        Decimal("70.00"),
        Decimal("100.00"),
        True,
    )
    second_voucher = approve(second, billing_admin)
    assert (second_voucher.amount, second_voucher.capped) == (Decimal("0.00"), True)


# --- termination --------------------------------------------------------------------------------------


def flagged(account, month="2026-03") -> bool:
    from billing.models import AccountMonth

    row = AccountMonth.objects.filter(account=account, month=month).first()
    return bool(row and row.termination_eligible)


def test_a_shortfall_is_the_sixth_failure_and_voiding_its_downtime_clears_the_flag(
    account, customer, billing_admin, engineer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        record_misses(customer, 5)
    assert not flagged(account)

    with django_capture_on_commit_callbacks(execute=True):
        shortfall = shortfall_of(account, billing_admin, engineer, TWO_HOURS_BEYOND, month_ended=False)
    assert shortfall.counted and flagged(account)
    event = BillingEvent.objects.get(code="termination_eligible")
    assert event.data["counted_misses"] == 6  # every counted failure of the month

    with django_capture_on_commit_callbacks(execute=True):
        downtime_void(downtime=shortfall.item.downtimes.get(), actor=engineer, reason="Wrong item", now=NOW)
    assert not flagged(account)
    assert BillingEvent.objects.filter(code="termination_cleared").exists()


def test_a_plan_whose_uptime_does_not_count_toward_termination(
    account, customer, billing_admin, engineer, django_capture_on_commit_callbacks
):
    account.plan = set_uptime_terms(
        account.plan,
        credit_tiers=[{"up_to_hours": None, "percent_per_hour": "5"}],
        counts_toward_termination=False,
    )
    with django_capture_on_commit_callbacks(execute=True):
        record_misses(customer, 5)
        shortfall = shortfall_of(account, billing_admin, engineer, TWO_HOURS_BEYOND, month_ended=False)

    assert shortfall.active and not shortfall.counted
    assert not flagged(account)


def test_the_sweep_counts_shortfalls(account, customer, billing_admin, engineer):
    record_misses(customer, 5)  # no commit here: no listener ran
    shortfall_of(account, billing_admin, engineer, TWO_HOURS_BEYOND, month_ended=False)
    assert not flagged(account)

    assert termination_sweep(month="2026-03", now=NOW) == 1
    assert flagged(account)
    assert termination_sweep(month="2026-03", now=NOW) == 0


def test_the_month_api_counts_uptime_shortfalls(api, customer, account, billing_admin, engineer):
    shortfall_of(account, billing_admin, engineer, TWO_HOURS_BEYOND, month_ended=False)

    body = api(customer).get(f"/api/v1/accounts/{account.pk}/months/2026-03/").json()
    assert (body["counted_misses"], body["counted_uptime_shortfalls"]) == (0, 1)


# --- pages ------------------------------------------------------------------------------------------


def page_client(client, user):
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("customer", 200),
        ("other_customer", 404),
        ("engineer", 403),
        ("billing_admin", 403),
        ("anonymous", 302),
    ],
)
def test_the_claim_page_matrix(request, client, shortfall, april, role, status):
    user = None if role == "anonymous" else request.getfixturevalue(role)
    response = page_client(client, user).get(f"/billing/uptime-shortfalls/{shortfall.pk}/claim/")

    assert response.status_code == status
    if status == 200:
        html = response.content.decode()
        assert "Web shop" in html and "10% of 2026-03" in html
        assert "Uptime cap</dt><dd>500.00 USD" in html


def test_the_customer_claims_from_the_page_and_a_bad_note_writes_nothing(client, customer, shortfall, april):
    page = page_client(client, customer)
    url = f"/billing/uptime-shortfalls/{shortfall.pk}/claim/"

    refused = page.post(url, {"note": "x" * 2001})
    assert refused.status_code == 400 and not Claim.objects.exists()

    response = page.post(url, {"note": "<b>Checkout</b> was down'; DROP TABLE billing_claim; --"})
    claim = Claim.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/billing/claims/{claim.pk}/"
    assert claim.shortfall_id == shortfall.pk and claim.note.startswith("<b>Checkout</b>")
    shown = page.get(response["Location"]).content.decode()
    assert "&lt;b&gt;Checkout&lt;/b&gt;" in shown and "<b>Checkout</b>" not in shown


def test_the_month_page_and_the_status_page_offer_the_claim_then_show_it(
    client, customer, account, shortfall, april
):
    page = page_client(client, customer)
    claim_url = f"/billing/uptime-shortfalls/{shortfall.pk}/claim/"
    assert claim_url in page.get("/billing/months/2026-03/").content.decode()
    assert claim_url in page.get(f"/uptime/items/{shortfall.item_id}/").content.decode()

    month = page.get("/billing/months/2026-03/").content.decode()
    assert "0.00 of the 500.00 USD uptime cap used" in month
    assert "counted failure: 0 misses, 1 item below its uptime guarantee" in month

    claim = claim_open_uptime(shortfall=shortfall, created_by=customer, now=APRIL)
    month = page.get("/billing/months/2026-03/").content.decode()
    status = page.get(f"/uptime/items/{shortfall.item_id}/").content.decode()
    for html in (month, status):
        assert claim_url not in html and f"/billing/claims/{claim.pk}/" in html


def test_the_review_shows_the_shortfall_and_the_downtime(client, customer, billing_admin, shortfall, april):
    claim = claim_open_uptime(shortfall=shortfall, created_by=customer, now=APRIL)

    html = page_client(client, billing_admin).get(f"/billing/claims/{claim.pk}/").content.decode()
    assert "The uptime shortfall" in html and "Downtime of Web shop" in html
    assert "2 started hours" in html and "Approve and issue voucher" in html
    assert "of the 500.00 USD uptime cap used" in html and "their own cap on this plan" in html
    listed = client.get("/billing/claims/").content.decode()
    assert f"/billing/claims/{claim.pk}/" in listed and "Uptime of Web shop" in listed


def test_another_customer_cannot_see_the_uptime_claim(client, customer, other_customer, shortfall, april):
    claim = claim_open_uptime(shortfall=shortfall, created_by=customer, now=APRIL)

    assert page_client(client, other_customer).get(f"/billing/claims/{claim.pk}/").status_code == 404


def test_the_uptime_api_names_the_claim_on_a_shortfall(api, customer, shortfall, april):
    url = f"/api/v1/uptime/shortfalls/{shortfall.pk}/"
    assert api(customer).get(url).json()["claim"] is None

    claim = claim_open_uptime(shortfall=shortfall, created_by=customer, now=APRIL)
    assert api(customer).get(url).json()["claim"] == claim.pk
    listed = api(customer).get("/api/v1/uptime/shortfalls/").json()["results"]
    assert [(row["id"], row["claim"]) for row in listed] == [(shortfall.pk, claim.pk)]
