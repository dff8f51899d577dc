"""The billing API: the permission matrix on every endpoint, contract fields, bad input, query counts."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.models import Claim, Invoice, Voucher
from billing.services.claims import claim_approve, claim_open
from billing.services.invoices import month_close
from tests.billing.conftest import NOW, T0, excused_miss, record_misses, user_for
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

CLAIMS = "/api/v1/claims/"
VOUCHERS = "/api/v1/vouchers/"
INVOICES = "/api/v1/invoices/"
CLOSE = "/api/v1/billing/close-month/"
APRIL_1 = dt.datetime(2026, 4, 1, 0, 5, tzinfo=dt.UTC)

# Measured, and the same at 3 rows and 30: session-less token auth (0) + count + page (one query
# with every related row joined) = 2 for claims; vouchers 2; invoices add the prefetched lines = 3.
CLAIM_LIST_QUERIES = 2
VOUCHER_LIST_QUERIES = 2
INVOICE_LIST_QUERIES = 3
MONTH_QUERIES = 6  # the account, its month row, the misses, uptime shortfalls, vouchers and claims aggregated


def month_url(account_id, month="2026-03"):
    return f"/api/v1/accounts/{account_id}/months/{month}/"


@pytest.fixture
def money_trail(customer, other_customer, billing_admin, claim, other_claim):
    """Each account: an approved claim with its voucher, credited on March's invoice."""
    claim_approve(claim=claim, actor=billing_admin, now=NOW)
    claim_approve(claim=other_claim, actor=billing_admin, now=NOW)
    month_close(month="2026-03", now=APRIL_1)
    return {
        "mine": Invoice.objects.get(account=customer.account),
        "theirs": Invoice.objects.get(account=other_customer.account),
        "my_voucher": Voucher.objects.get(account=customer.account),
        "their_voucher": Voucher.objects.get(account=other_customer.account),
    }


# --- claims ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status", "sees"),
    [
        ("anonymous", 401, None),
        ("customer", 200, {"mine"}),
        ("other_customer", 200, {"theirs"}),
        ("engineer", 200, {"mine", "theirs"}),
        ("billing_admin", 200, {"mine", "theirs"}),
    ],
)
def test_claim_list_matrix(request, api, claim, other_claim, role, status, sees):
    response = api(user_for(request, role)).get(CLAIMS)

    assert response.status_code == status
    if sees is not None:
        names = {claim.pk: "mine", other_claim.pk: "theirs"}
        assert {names[row["id"]] for row in response.json()["results"]} == sees


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 401),
        ("customer", 200),
        ("other_customer", 404),
        ("engineer", 200),
        ("billing_admin", 200),
    ],
)
def test_claim_detail_matrix(request, api, claim, role, status):
    response = api(user_for(request, role)).get(f"{CLAIMS}{claim.pk}/")

    assert response.status_code == status
    if status == 200:
        body = response.json()
        assert {"id", "miss", "status", "decision_reason", "voucher"} <= set(body)
        assert (body["miss"], body["status"], body["decision_reason"], body["voucher"]) == (
            claim.miss_id,
            "pending",
            None,
            None,
        )


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 401),
        ("customer", 201),
        ("other_customer", 404),
        ("engineer", 403),
        ("billing_admin", 403),
    ],
)
def test_claim_create_matrix(request, api, miss, role, status):
    response = api(user_for(request, role)).post(
        CLAIMS, {"miss": miss.pk, "note": "Down an hour"}, format="json"
    )

    assert response.status_code == status
    assert Claim.objects.count() == (1 if status == 201 else 0)
    if status == 201:
        assert response.json()["status"] == "pending" and response.json()["note"] == "Down an hour"


@pytest.mark.parametrize("action", ["approve", "deny"])
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
def test_claim_decision_matrix(request, api, claim, action, role, status):
    response = api(user_for(request, role)).post(
        f"{CLAIMS}{claim.pk}/{action}/", {"reason": "custom_code"}, format="json"
    )

    assert response.status_code == status
    claim.refresh_from_db()
    if status == 200:
        assert claim.status == ("approved" if action == "approve" else "denied")
        assert response.json()["status"] == claim.status
    else:
        assert claim.status == "pending" and not Voucher.objects.exists()


def test_approve_returns_the_voucher_and_a_second_decision_is_409(api, billing_admin, claim):
    client = api(billing_admin)
    approved = client.post(f"{CLAIMS}{claim.pk}/approve/").json()
    voucher = Voucher.objects.get()
    assert (approved["status"], approved["voucher"], approved["capped"]) == ("approved", voucher.pk, False)

    again = client.post(f"{CLAIMS}{claim.pk}/approve/")
    denied = client.post(f"{CLAIMS}{claim.pk}/deny/", {"reason": "custom_code"}, format="json")

    assert again.status_code == denied.status_code == 409
    assert again.json()["code"] == "already_decided"
    assert Voucher.objects.count() == 1


def test_deny_with_other_needs_a_note(api, billing_admin, claim):
    client = api(billing_admin)
    assert client.post(f"{CLAIMS}{claim.pk}/deny/", {"reason": "other"}, format="json").json() == {
        "note": ["Say why: a denial for another reason needs a note."]
    }
    body = client.post(
        f"{CLAIMS}{claim.pk}/deny/", {"reason": "other", "note": "Reported twice"}, format="json"
    ).json()
    assert (body["status"], body["decision_reason"], body["decision_note"]) == (
        "denied",
        "other",
        "Reported twice",
    )


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "miss"),
        ({"miss": "abc"}, "miss"),
        ({"miss": 2**70}, "miss"),
        ({"miss": [1]}, "miss"),
        ({"miss": -1}, "miss"),
        ({"miss": None}, "miss"),
        ({"note": "no miss"}, "miss"),
        ({"miss": "MISS", "note": "x" * 2001}, "note"),
        ({"miss": "MISS", "note": "ring\x07bell"}, "note"),
        ({"miss": "MISS", "note": "nul\x00"}, "note"),
        ({"miss": "MISS", "note": {"a": 1}}, "note"),
    ],
)
def test_bad_claims_are_400_naming_the_field_and_write_nothing(api, customer, miss, payload, field):
    body = {name: miss.pk if value == "MISS" else value for name, value in payload.items()}
    response = api(customer).post(CLAIMS, body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not Claim.objects.exists()


def test_an_excluded_miss_or_a_closed_window_is_400_on_miss_and_a_duplicate_409(
    one_month_window, api, customer, billing_admin
):
    excluded = excused_miss(customer, billing_admin, kind="cloud_provider", provider="AWS")
    late = record_misses(customer, 1, start=T0 + dt.timedelta(hours=1))[0]
    client = api(customer)

    refused = client.post(CLAIMS, {"miss": excluded.pk}, format="json")
    assert refused.status_code == 400 and "AWS" in refused.json()["miss"][0]
    with time_machine.travel(dt.datetime(2026, 5, 1, 0, 0, 1, tzinfo=dt.UTC), tick=False):
        closed = client.post(CLAIMS, {"miss": late.pk}, format="json")
    assert closed.status_code == 400 and "claim window" in closed.json()["miss"][0]
    assert client.post(CLAIMS, {"miss": late.pk}, format="json").status_code == 201
    duplicate = client.post(CLAIMS, {"miss": late.pk}, format="json")
    assert duplicate.status_code == 409 and duplicate.json()["code"] == "already_claimed"
    assert Claim.objects.count() == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "reason"),
        ({"reason": "bored"}, "reason"),
        ({"reason": ["custom_code"]}, "reason"),
        ({"reason": "custom_code", "note": "x" * 2001}, "note"),
    ],
)
def test_bad_denials_are_400_naming_the_field(api, billing_admin, claim, payload, field):
    response = api(billing_admin).post(f"{CLAIMS}{claim.pk}/deny/", payload, format="json")

    assert response.status_code == 400 and field in response.json()
    claim.refresh_from_db()
    assert claim.status == "pending"


@pytest.mark.parametrize(
    "params", [{"status": "lost"}, {"month": "2026-13"}, {"account": "abc"}, {"ticket": "0"}, {"miss": "1e9"}]
)
def test_bad_claim_filters_are_400(api, billing_admin, params):
    response = api(billing_admin).get(CLAIMS, params)
    assert response.status_code == 400 and set(params) <= set(response.json())


def test_claim_filters(api, billing_admin, customer, claim, other_claim):
    client = api(billing_admin)
    assert [row["id"] for row in client.get(CLAIMS, {"ticket": claim.miss.ticket_id}).json()["results"]] == [
        claim.pk
    ]
    assert client.get(CLAIMS, {"miss": other_claim.miss_id}).json()["results"][0]["id"] == other_claim.pk
    assert client.get(CLAIMS, {"status": "pending", "account": customer.account_id}).json()["count"] == 1
    assert client.get(CLAIMS, {"month": "2026-04"}).json()["count"] == 0


def test_claim_list_queries_do_not_grow(api, billing_admin, customer, django_assert_max_num_queries):
    record = lambda n: [claim_open(miss=m, created_by=customer, now=NOW) for m in record_misses(customer, n)]  # noqa: E731
    record(3)
    client = api(billing_admin)

    def measure():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(CLAIMS).status_code == 200
        return len(queries)

    few = measure()
    record(27)
    with django_assert_max_num_queries(CLAIM_LIST_QUERIES):
        assert client.get(CLAIMS).json()["count"] == 30
    assert few == measure() <= CLAIM_LIST_QUERIES


# --- vouchers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status", "sees"),
    [
        ("anonymous", 401, None),
        ("customer", 200, {"mine"}),
        ("other_customer", 200, {"theirs"}),
        ("engineer", 403, None),
        ("billing_admin", 200, {"mine", "theirs"}),
    ],
)
def test_voucher_list_matrix(request, api, money_trail, role, status, sees):
    response = api(user_for(request, role)).get(VOUCHERS)

    assert response.status_code == status
    if sees is not None:
        names = {money_trail["my_voucher"].pk: "mine", money_trail["their_voucher"].pk: "theirs"}
        assert {names[row["id"]] for row in response.json()["results"]} == sees


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 401),
        ("customer", 200),
        ("other_customer", 404),
        ("engineer", 403),
        ("billing_admin", 200),
    ],
)
def test_voucher_detail_matrix_and_fields(request, api, money_trail, claim, role, status):
    voucher = money_trail["my_voucher"]
    response = api(user_for(request, role)).get(f"{VOUCHERS}{voucher.pk}/")

    assert response.status_code == status
    if status == 200:
        body = response.json()
        assert {
            k: body[k] for k in ("id", "account", "claim", "month", "amount", "currency", "capped", "invoice")
        } == {
            "id": voucher.pk,
            "account": voucher.account_id,
            "claim": claim.pk,
            "month": "2026-03",
            "amount": "50.00",
            "currency": "USD",
            "capped": False,
            "invoice": money_trail["mine"].pk,
        }


def test_voucher_list_queries_do_not_grow(api, billing_admin, customer, django_assert_max_num_queries):
    def approve(n):
        for miss in record_misses(customer, n, start=T0 + dt.timedelta(days=Voucher.objects.count() + 1)):
            claim_approve(
                claim=claim_open(miss=miss, created_by=customer, now=NOW), actor=billing_admin, now=NOW
            )

    approve(3)
    client = api(customer)
    with CaptureQueriesContext(connection) as few:
        client.get(VOUCHERS)
    approve(25)
    with django_assert_max_num_queries(VOUCHER_LIST_QUERIES):
        assert client.get(VOUCHERS).json()["count"] == 28
    assert len(few) <= VOUCHER_LIST_QUERIES


# --- invoices ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status", "sees"),
    [
        ("anonymous", 401, None),
        ("customer", 200, {"mine"}),
        ("other_customer", 200, {"theirs"}),
        ("engineer", 403, None),
        ("billing_admin", 200, {"mine", "theirs"}),
    ],
)
def test_invoice_list_matrix(request, api, money_trail, role, status, sees):
    response = api(user_for(request, role)).get(INVOICES)

    assert response.status_code == status
    if sees is not None:
        names = {money_trail["mine"].pk: "mine", money_trail["theirs"].pk: "theirs"}
        assert {names[row["id"]] for row in response.json()["results"]} == sees


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 401),
        ("customer", 200),
        ("other_customer", 404),
        ("engineer", 403),
        ("billing_admin", 200),
    ],
)
def test_invoice_detail_matrix_and_contract_fields(request, api, money_trail, role, status):
    invoice = money_trail["mine"]
    response = api(user_for(request, role)).get(f"{INVOICES}{invoice.pk}/")

    assert response.status_code == status
    if status == 200:
        body = response.json()
        assert {k: body[k] for k in ("id", "account", "month", "total", "currency")} == {
            "id": invoice.pk,
            "account": invoice.account_id,
            "month": "2026-03",
            "total": "950.00",
            "currency": "USD",
        }
        assert body["lines"] == [
            {
                "kind": "subscription",
                "description": "Advanced plan, March 2026",
                "amount": "1000.00",
                "voucher": None,
            },
            {
                "kind": "voucher_credit",
                "description": body["lines"][1]["description"],
                "amount": "-50.00",
                "voucher": money_trail["my_voucher"].pk,
            },
        ]
        assert body["issued_at"].startswith("2026-04-01T") and body["paid"] is False


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
def test_mark_paid_matrix(request, api, money_trail, role, status):
    invoice = money_trail["mine"]
    response = api(user_for(request, role)).post(f"{INVOICES}{invoice.pk}/mark-paid/")

    assert response.status_code == status
    invoice.refresh_from_db()
    assert (invoice.paid_at is not None) is (status == 200)
    if status == 200:
        assert api(user_for(request, role)).post(f"{INVOICES}{invoice.pk}/mark-paid/").status_code == 409


def test_invoice_filters(api, billing_admin, money_trail):
    client = api(billing_admin)
    assert client.get(INVOICES, {"month": "2026-03", "status": "unpaid"}).json()["count"] == 2
    assert client.get(INVOICES, {"status": "paid"}).json()["count"] == 0
    with time_machine.travel(dt.datetime(2026, 4, 20, tzinfo=dt.UTC), tick=False):
        assert client.get(INVOICES, {"status": "overdue"}).json()["count"] == 2
    assert client.get(INVOICES, {"status": "late"}).status_code == 400


def test_invoice_list_queries_do_not_grow(api, billing_admin, django_assert_max_num_queries):
    for _ in range(3):
        CustomerFactory()
    month_close(month="2026-03", now=APRIL_1)
    client = api(billing_admin)
    with CaptureQueriesContext(connection) as few:
        client.get(INVOICES)
    for _ in range(30):
        CustomerFactory()
    month_close(month="2026-04", now=dt.datetime(2026, 5, 1, 1, tzinfo=dt.UTC))
    with django_assert_max_num_queries(INVOICE_LIST_QUERIES):
        assert client.get(INVOICES).json()["count"] == 36
    assert len(few) <= INVOICE_LIST_QUERIES


# --- close-month -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 401),
        ("customer", 403),
        ("other_customer", 403),
        ("engineer", 403),
        ("billing_admin", 200),
    ],
)
def test_close_month_matrix(request, api, customer, other_customer, role, status):
    with time_machine.travel(APRIL_1, tick=False):
        response = api(user_for(request, role)).post(CLOSE, {"month": "2026-03"}, format="json")

    assert response.status_code == status
    assert Invoice.objects.count() == (2 if status == 200 else 0)


def test_close_month_returns_the_invoices_and_is_idempotent(api, billing_admin, customer, other_customer):
    client = api(billing_admin)
    with time_machine.travel(APRIL_1, tick=False):
        first = client.post(CLOSE, {"month": "2026-03"}, format="json").json()
        second = client.post(CLOSE, {"month": "2026-03"}, format="json").json()

    assert (first["issued"], first["already_issued"], first["count"]) == (2, 0, 2)
    assert (second["issued"], second["already_issued"], second["count"]) == (0, 2, 2)
    assert [row["id"] for row in first["results"]] == [row["id"] for row in second["results"]]
    assert first["next"] is None and Invoice.objects.count() == 2


def test_a_month_that_has_not_ended_is_a_409_naming_when_and_writes_nothing(
    settings, api, billing_admin, customer
):
    settings.SUPPORT_TIME_ZONE = "America/New_York"
    # 03:00 UTC on April 1st is still March 31st in New York
    with time_machine.travel(dt.datetime(2026, 4, 1, 3, 0, tzinfo=dt.UTC), tick=False):
        response = api(billing_admin).post(CLOSE, {"month": "2026-03"}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "month_not_ended"
    assert "2026-04-01 00:00" in response.json()["detail"]
    assert not Invoice.objects.exists()


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"month": ""},
        {"month": "2026-13"},
        {"month": "9999-01"},
        {"month": "1999-12"},
        {"month": 202603},
        {"month": "2026-04"},
        {"month": "2026-03-01"},
        {"month": "<script>"},
        {"month": "2" * 10_000},
    ],
)
def test_bad_months_are_400_naming_month_and_write_nothing(api, billing_admin, customer, payload):
    response = api(billing_admin).post(CLOSE, payload, format="json")

    assert response.status_code == 400 and "month" in response.json()
    assert not Invoice.objects.exists()


# --- the account's month -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 401),
        ("customer", 200),
        ("other_customer", 404),
        ("engineer", 200),
        ("billing_admin", 200),
    ],
)
def test_account_month_matrix(request, api, customer, claim, role, status):
    response = api(user_for(request, role)).get(month_url(customer.account_id))
    assert response.status_code == status


def test_account_month_numbers(api, customer, billing_admin, django_assert_max_num_queries):
    misses = record_misses(customer, 3)
    claim_approve(
        claim=claim_open(miss=misses[0], created_by=customer, now=NOW), actor=billing_admin, now=NOW
    )
    claim_open(miss=misses[1], created_by=customer, now=NOW)

    with django_assert_max_num_queries(MONTH_QUERIES):
        body = api(customer).get(month_url(customer.account_id)).json()

    assert {
        k: body[k]
        for k in (
            "misses",
            "counted_misses",
            "termination_eligible",
            "vouchers_total",
            "cap",
            "currency",
        )
    } == {
        "misses": 3,
        "counted_misses": 3,
        "termination_eligible": False,
        "vouchers_total": "50.00",
        "cap": "1000.00",
        "currency": "USD",
    }
    assert (body["cap_used"], body["cap_remaining"], body["termination_threshold"]) == ("50.00", "950.00", 5)
    assert body["claims"] == {"pending": 1, "approved": 1, "denied": 0}


@pytest.mark.parametrize("month", ["9999-01", "2026-13", "1999-12", "abc", "2026-3", "2026-03-01"])
def test_account_month_bad_months_are_400(api, customer, month):
    response = api(customer).get(month_url(customer.account_id, month))
    assert response.status_code == 400 and "month" in response.json()


def test_a_month_of_an_account_that_does_not_exist_is_404(api, billing_admin):
    assert api(billing_admin).get(month_url(999_999)).status_code == 404


def test_a_future_month_is_empty_not_an_error(api, customer):
    body = api(customer).get(month_url(customer.account_id, "2030-01")).json()
    assert (body["misses"], body["vouchers_total"], body["cap"]) == (0, "0.00", "1000.00")


def test_money_is_shown_in_the_currencys_minor_unit(api, billing_admin):
    yen = CustomerFactory(account__monthly_fee=Decimal("12345.00"), account__currency="JPY")
    claim_approve(
        claim=claim_open(miss=record_misses(yen, 1)[0], created_by=yen, now=NOW), actor=billing_admin, now=NOW
    )
    assert api(yen).get(VOUCHERS).json()["results"][0]["amount"] == "617"
    assert api(yen).get(month_url(yen.account_id)).json()["cap"] == "12345"


def test_the_schema_publishes_billing(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    for path, methods in {
        "/api/v1/claims/": {"get", "post"},
        "/api/v1/claims/{id}/approve/": {"post"},
        "/api/v1/claims/{id}/deny/": {"post"},
        "/api/v1/vouchers/": {"get"},
        "/api/v1/invoices/": {"get"},
        "/api/v1/billing/close-month/": {"post"},
        "/api/v1/accounts/{account_id}/months/{month}/": {"get"},
    }.items():
        assert methods <= set(paths[path]), path
    components = schema["components"]["schemas"]
    assert {"id", "miss", "status", "decision_reason", "voucher"} <= set(components["Claim"]["properties"])
    assert {"id", "account", "claim", "month", "amount", "currency", "capped", "invoice"} <= set(
        components["Voucher"]["properties"]
    )
    assert {"id", "account", "month", "lines", "total", "currency", "issued_at"} <= set(
        components["Invoice"]["properties"]
    )
    assert {"misses", "counted_misses", "termination_eligible", "vouchers_total", "cap", "currency"} <= set(
        components["AccountMonth"]["properties"]
    )
