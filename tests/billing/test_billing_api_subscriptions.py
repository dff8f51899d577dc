"""The subscriptions API (terms from a month on) and the invoice PDF those terms end up on.

The permission matrix on every endpoint, bad input (400 naming the field, nothing written), a start
in a month whose money has moved, constant list query counts, and the happy paths.
"""

import datetime as dt
import subprocess
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from billing.models import BillingEvent, Invoice, Subscription
from billing.services.claims import claim_approve, claim_open
from billing.services.invoices import month_close
from billing.services.subscriptions import subscription_change
from tests.billing.conftest import NOW, record_misses, user_for
from tests.factories import CustomerFactory, plan

pytestmark = pytest.mark.django_db

SUBSCRIPTIONS = "/api/v1/subscriptions/"
INVOICES = "/api/v1/invoices/"
APRIL_1 = dt.datetime(2026, 4, 1, 0, 5, tzinfo=dt.UTC)
# Measured, and the same at 2 rows and 20: token auth forced (0) + count + page (ids only, no joins).
LIST_QUERIES = 2
HOSTILE = "<img src=x onerror=alert(1)> '; DELETE FROM billing_subscription; --"


def detail(pk) -> str:
    return f"{SUBSCRIPTIONS}{pk}/"


def terms(account, month="2026-04", *, code="premium", fee="2000.00", actor=None, **fields):
    year, number = map(int, month.split("-"))
    return subscription_change(
        account=account,
        starts_on=dt.date(year, number, 1),
        plan=plan(code),
        monthly_fee=Decimal(fee),
        actor=actor,
        now=NOW,
        **fields,
    )


@pytest.fixture
def mine(customer):
    return terms(customer.account, note="Upgrade agreed on the phone")


@pytest.fixture
def theirs(other_customer):
    return terms(other_customer.account, code="standard", fee="300.00")


@pytest.fixture
def payload(customer, plans):
    return {
        "account": customer.account_id,
        "starts_on": "2026-04-01",
        "plan": plans["premium"].pk,
        "monthly_fee": "2000.00",
        "currency": "USD",
        "note": "Premium from April",
    }


def nothing_written(customer):
    customer.account.refresh_from_db()
    assert not Subscription.objects.exists()
    assert not BillingEvent.objects.filter(code="subscription_changed").exists()
    assert (customer.account.plan.code, customer.account.monthly_fee) == ("advanced", Decimal("1000.00"))


# --- reading -----------------------------------------------------------------------------------


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
def test_list_matrix(request, api, mine, theirs, role, status, sees):
    response = api(user_for(request, role)).get(SUBSCRIPTIONS)

    assert response.status_code == status
    if sees is not None:
        names = {mine.pk: "mine", theirs.pk: "theirs"}
        body = response.json()
        assert {names[row["id"]] for row in body["results"]} == sees
        assert body["count"] == len(sees)


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
def test_detail_matrix_and_fields(request, api, customer, plans, mine, role, status):
    response = api(user_for(request, role)).get(detail(mine.pk))

    assert response.status_code == status
    if status == 200:
        assert response.json() == {
            "id": mine.pk,
            "account": customer.account_id,
            "starts_on": "2026-04-01",
            "plan": plans["premium"].pk,
            "plan_version": 1,
            "monthly_fee": "2000.00",
            "currency": "USD",
            "note": "Upgrade agreed on the phone",
            "created_at": "2026-03-20T12:00:00Z",
        }


def test_terms_that_do_not_exist_are_404(api, billing_admin):
    for pk in (999999, 2**63 - 1, 2**70):
        assert api(billing_admin).get(detail(pk)).status_code == 404


def test_admins_filter_by_account(api, billing_admin, customer, other_customer, mine, theirs):
    later = terms(customer.account, "2026-06", fee="2500.00")
    client = api(billing_admin)

    def ids(**params):
        return [row["id"] for row in client.get(SUBSCRIPTIONS, params).json()["results"]]

    assert ids(account=customer.account_id) == [later.pk, mine.pk]  # the latest start first
    assert ids(account=other_customer.account_id) == [theirs.pk]
    assert ids(account=2**63 - 1) == []
    # a customer's filter for another account finds nothing of theirs
    assert api(customer).get(SUBSCRIPTIONS, {"account": other_customer.account_id}).json()["count"] == 0


@pytest.mark.parametrize(
    "params", [{"account": "abc"}, {"account": "0"}, {"account": str(2**70)}, {"account": "1.5"}]
)
def test_bad_filters_are_400_naming_the_filter(api, billing_admin, params):
    response = api(billing_admin).get(SUBSCRIPTIONS, params)

    assert response.status_code == 400 and "account" in response.json()


def test_list_queries_do_not_grow(api, billing_admin, customer, django_assert_max_num_queries):
    months = [f"{year}-{number:02d}" for year in (2026, 2027) for number in range(1, 13)][3:]
    client = api(billing_admin)

    def measure(rows):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(SUBSCRIPTIONS).json()["count"] == rows
        return len(queries)

    for month in months[:2]:
        terms(customer.account, month)
    with django_assert_max_num_queries(LIST_QUERIES):
        few = measure(2)
    for month in months[2:20]:
        terms(customer.account, month)
    with django_assert_max_num_queries(LIST_QUERIES):
        many = measure(20)
    assert few == many
    with django_assert_max_num_queries(LIST_QUERIES):
        assert len(api(customer).get(SUBSCRIPTIONS).json()["results"]) == 20


# --- creating ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 401),
        ("customer", 403),
        ("other_customer", 403),
        ("engineer", 403),
        ("billing_admin", 201),
    ],
)
def test_create_matrix(request, api, customer, payload, role, status):
    response = api(user_for(request, role)).post(SUBSCRIPTIONS, payload, format="json")

    assert response.status_code == status
    if status == 201:
        created = Subscription.objects.get()
        assert response.json()["id"] == created.pk
        assert created.created_by == request.getfixturevalue("billing_admin")
    else:
        nothing_written(customer)


def test_new_terms_are_used_by_the_next_months_terms_and_invoice(
    api, billing_admin, customer, plans, payload
):
    admin = api(billing_admin)
    created = admin.post(SUBSCRIPTIONS, payload, format="json")

    assert created.status_code == 201
    body = created.json()
    assert {k: body[k] for k in ("account", "starts_on", "plan", "monthly_fee", "currency", "note")} == {
        "account": customer.account_id,
        "starts_on": "2026-04-01",
        "plan": plans["premium"].pk,
        "monthly_fee": "2000.00",
        "currency": "USD",
        "note": "Premium from April",
    }
    month = "/api/v1/accounts/{}/months/{}/".format
    march = api(customer).get(month(customer.account_id, "2026-03")).json()
    april = api(customer).get(month(customer.account_id, "2026-04")).json()
    assert (march["plan"], march["monthly_fee"]) == ("Advanced", "1000.00")  # this month keeps its terms
    assert (april["plan"], april["monthly_fee"], april["cap"]) == ("Premium", "2000.00", "2000.00")
    assert api(customer).get(SUBSCRIPTIONS).json()["results"][0]["id"] == body["id"]

    for closing, closed in ((APRIL_1, "2026-03"), (dt.datetime(2026, 5, 1, 0, 5, tzinfo=dt.UTC), "2026-04")):
        with time_machine.travel(closing, tick=False):
            assert (
                admin.post("/api/v1/billing/close-month/", {"month": closed}, format="json").status_code
                == 200
            )
    invoices = {row["month"]: row for row in api(customer).get(INVOICES).json()["results"]}
    assert invoices["2026-03"]["subscription_amount"] == "1000.00"
    assert invoices["2026-04"]["subscription_amount"] == "2000.00"


def test_terms_from_this_month_apply_to_the_account_at_once(api, billing_admin, customer, plans, payload):
    response = api(billing_admin).post(
        SUBSCRIPTIONS,
        {**payload, "starts_on": "2026-03-01", "plan": plans["standard"].pk, "monthly_fee": "500.00"},
        format="json",
    )

    assert response.status_code == 201
    customer.account.refresh_from_db()
    assert (customer.account.plan.code, customer.account.monthly_fee) == ("standard", Decimal("500.00"))


def test_the_currency_defaults_to_the_accounts(api, billing_admin, payload):
    yen = CustomerFactory(account__currency="JPY", account__monthly_fee=Decimal("100000.00"))
    del payload["currency"]

    body = (
        api(billing_admin)
        .post(SUBSCRIPTIONS, {**payload, "account": yen.account_id, "monthly_fee": "120000"}, format="json")
        .json()
    )

    assert (body["currency"], body["monthly_fee"]) == ("JPY", "120000.00")


def test_a_start_in_a_month_whose_money_has_moved_is_400_on_starts_on(api, billing_admin, customer, payload):
    claim_approve(
        claim=claim_open(miss=record_misses(customer, 1)[0], created_by=customer, now=NOW),
        actor=billing_admin,
        now=NOW,
    )  # a March voucher: March is billed

    response = api(billing_admin).post(SUBSCRIPTIONS, {**payload, "starts_on": "2026-03-01"}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "starts_on": [
            "March 2026 is already billed (vouchers or an invoice): new terms may start from April 2026 on."
        ]
    }
    nothing_written(customer)
    assert api(billing_admin).post(SUBSCRIPTIONS, payload, format="json").status_code == 201


def test_a_closed_account_takes_no_new_terms(api, billing_admin, customer, payload):
    customer.account.is_active = False  # its termination was confirmed and its last month closed
    customer.account.save(update_fields=["is_active"])

    response = api(billing_admin).post(SUBSCRIPTIONS, payload, format="json")

    assert response.status_code == 400 and "is closed" in response.json()["account"][0]
    nothing_written(customer)


def test_an_invoiced_month_refuses_new_terms_too(api, billing_admin, customer, payload):
    month_close(month="2026-03", now=APRIL_1)

    response = api(billing_admin).post(SUBSCRIPTIONS, {**payload, "starts_on": "2026-02-01"}, format="json")

    assert response.status_code == 400 and "April 2026" in response.json()["starts_on"][0]
    assert not Subscription.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"account": None}, "account"),
        ({"account": "abc"}, "account"),
        ({"account": True}, "account"),
        ({"account": [1]}, "account"),
        ({"account": 999999}, "account"),
        ({"account": 2**70}, "account"),
        ({"starts_on": None}, "starts_on"),
        ({"starts_on": "2026-04-15"}, "starts_on"),
        ({"starts_on": "2026-13-01"}, "starts_on"),
        ({"starts_on": "01/04/2026"}, "starts_on"),
        ({"starts_on": 20260401}, "starts_on"),
        ({"starts_on": "9999-12-01"}, "starts_on"),
        ({"starts_on": "1999-12-01"}, "starts_on"),
        ({"starts_on": "2026-04-01T00:00:00Z"}, "starts_on"),
        ({"starts_on": "2026-04-01'; DROP TABLE billing_subscription; --"}, "starts_on"),
        ({"plan": None}, "plan"),
        ({"plan": "premium"}, "plan"),
        ({"plan": 999999}, "plan"),
        ({"plan": 2**70}, "plan"),
        ({"monthly_fee": None}, "monthly_fee"),
        ({"monthly_fee": 2000}, "monthly_fee"),
        ({"monthly_fee": 10.5}, "monthly_fee"),
        ({"monthly_fee": "ten"}, "monthly_fee"),
        ({"monthly_fee": "-1.00"}, "monthly_fee"),
        ({"monthly_fee": "1.001"}, "monthly_fee"),
        ({"monthly_fee": "10000000000.00"}, "monthly_fee"),
        ({"monthly_fee": "1e400"}, "monthly_fee"),
        ({"monthly_fee": "9" * 400}, "monthly_fee"),
        ({"monthly_fee": "NaN"}, "monthly_fee"),
        ({"monthly_fee": "Infinity"}, "monthly_fee"),
        ({"monthly_fee": ["1.00"]}, "monthly_fee"),
        ({"currency": "usd"}, "currency"),
        ({"currency": "US"}, "currency"),
        ({"currency": "USDX"}, "currency"),
        ({"currency": 840}, "currency"),
        ({"currency": ["USD"]}, "currency"),
        ({"note": "x" * 201}, "note"),
        ({"note": "x" * 2001}, "note"),
        ({"note": {"a": 1}}, "note"),
        ({"note": "nul\x00byte"}, "note"),
        ({"note": "ring\x07bell"}, "note"),
    ],
)
def test_bad_terms_are_400_naming_the_field_and_write_nothing(
    api, billing_admin, customer, payload, changes, field
):
    response = api(billing_admin).post(SUBSCRIPTIONS, {**payload, **changes}, format="json")

    assert response.status_code == 400
    assert field in response.json()
    nothing_written(customer)


@pytest.mark.parametrize("field", ["account", "starts_on", "plan", "monthly_fee"])
def test_each_required_field_is_named_when_missing(api, billing_admin, customer, payload, field):
    del payload[field]

    response = api(billing_admin).post(SUBSCRIPTIONS, payload, format="json")

    assert response.status_code == 400 and list(response.json()) == [field]
    nothing_written(customer)


def test_html_and_sql_in_the_note_are_stored_and_returned_as_text(api, billing_admin, customer, payload):
    response = api(billing_admin).post(SUBSCRIPTIONS, {**payload, "note": HOSTILE}, format="json")

    assert response.status_code == 201 and response.json()["note"] == HOSTILE
    assert Subscription.objects.get().note == HOSTILE
    assert api(customer).get(detail(response.json()["id"])).json()["note"] == HOSTILE


# --- the invoice PDF ---------------------------------------------------------------------------


@pytest.fixture
def invoices(customer, other_customer):
    month_close(month="2026-03", now=APRIL_1)
    return {
        "mine": Invoice.objects.get(account=customer.account),
        "theirs": Invoice.objects.get(account=other_customer.account),
    }


def pdf_text(content: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=content, capture_output=True, check=True
    ).stdout.decode()


def pdf_url(invoice) -> str:
    return f"{INVOICES}{invoice.pk}/pdf/"


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
def test_pdf_matrix(request, api, invoices, role, status):
    response = api(user_for(request, role)).get(pdf_url(invoices["mine"]))

    assert response.status_code == status
    if status == 200:
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")
        assert response["Content-Disposition"] == (
            f'attachment; filename="pledge-invoice-{invoices["mine"].pk}-2026-03.pdf"'
        )
    else:
        assert not response.content.startswith(b"%PDF")
        assert "detail" in response.json()


def test_the_pdf_is_the_same_file_as_the_pages(api, customer, billing_admin, invoices):
    claim_approve(
        claim=claim_open(miss=record_misses(customer, 1)[0], created_by=customer, now=NOW),
        actor=billing_admin,
        now=NOW,
    )
    month_close(month="2026-04", now=dt.datetime(2026, 5, 1, 0, 5, tzinfo=dt.UTC))  # with a credit line
    customer.timezone = "Asia/Tokyo"  # the page prints times in the viewer's zone; so does the API
    customer.save(update_fields=["timezone"])
    page = Client()
    page.force_login(customer)

    for invoice in Invoice.objects.filter(account=customer.account):
        from_page = page.get(f"/billing/invoices/{invoice.pk}/pdf/")
        from_api = api(customer).get(pdf_url(invoice))

        assert from_page.status_code == from_api.status_code == 200
        # The same document (WeasyPrint names its font subsets afresh each time, so compare the text).
        assert pdf_text(from_api.content) == pdf_text(from_page.content)
        assert from_api["Content-Disposition"] == from_page["Content-Disposition"]
        assert from_api.content.startswith(b"%PDF-") and from_api.content.rstrip().endswith(b"%%EOF")


def test_the_pdf_is_sent_whatever_the_client_accepts_and_errors_stay_json(api, customer, invoices):
    client = api(customer)

    for accept in ("application/pdf", "application/json", "text/html", "*/*"):
        response = client.get(pdf_url(invoices["mine"]), HTTP_ACCEPT=accept)
        assert response.status_code == 200 and response.content.startswith(b"%PDF"), accept
    refused = client.get(pdf_url(invoices["theirs"]), HTTP_ACCEPT="application/pdf")
    assert refused.status_code == 404 and refused["Content-Type"] == "application/json"


def test_a_pdf_of_an_invoice_that_does_not_exist_is_404(api, billing_admin):
    for pk in (999999, 2**70):
        assert api(billing_admin).get(f"{INVOICES}{pk}/pdf/").status_code == 404


def test_the_schema_publishes_subscriptions_and_the_pdf(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    for path, methods in {
        "/api/v1/subscriptions/": {"get", "post"},
        "/api/v1/subscriptions/{id}/": {"get"},
        "/api/v1/invoices/{id}/pdf/": {"get"},
    }.items():
        assert methods == set(paths[path]) - {"parameters"}, path
    components = schema["components"]["schemas"]
    assert {
        "id",
        "account",
        "starts_on",
        "plan",
        "plan_version",
        "monthly_fee",
        "currency",
        "note",
        "created_at",
    } == set(components["Subscription"]["properties"])
    assert components["SubscriptionCreateRequest"]["properties"]["monthly_fee"]["type"] == "string"
    assert set(paths["/api/v1/invoices/{id}/pdf/"]["get"]["responses"]["200"]["content"]) == {
        "application/pdf"
    }
