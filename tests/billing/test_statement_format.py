"""`GET /api/v1/accounts/{id}/statements/{YYYY-MM}/?format=pdf` is the PDF, as `.../pdf/` is.

DRF reads `format` from the query string before the view runs: `pdf` picks the PDF renderer,
`json` (or none) the JSON, and anything else is a clear 400 naming `format`, never a bare 404.
"""

from decimal import Decimal

import pytest

from billing.services.invoices import month_close
from tests.billing.test_automatic_compensation import CLOSE, H, late_ticket, pdf_text, statement_url
from tests.factories import AccountFactory, CustomerFactory, plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def business_account(db):
    return AccountFactory(plan=plan("business"), monthly_fee=Decimal("1000.00"))


@pytest.fixture
def business_customer(business_account):
    return CustomerFactory(account=business_account)


@pytest.fixture
def closed(business_account, business_customer, engineer):
    late_ticket(business_customer, engineer, started_after=H + 2.5 * H)
    month_close(month="2026-03", now=CLOSE)
    return business_account


def test_format_pdf_is_the_same_pdf_as_the_pdf_path(api, closed, business_customer):
    by_format = api(business_customer).get(statement_url(closed) + "?format=pdf")
    by_path = api(business_customer).get(statement_url(closed) + "pdf/")

    assert by_format.status_code == 200 and by_format["Content-Type"] == "application/pdf"
    assert by_format["Content-Disposition"] == by_path["Content-Disposition"]
    assert pdf_text(by_format.content) == pdf_text(by_path.content)
    assert "SLA statement, March 2026" in pdf_text(by_format.content)


def test_an_accept_header_for_pdf_gets_the_pdf_and_format_json_the_json(api, closed, business_customer):
    accepted = api(business_customer).get(statement_url(closed), HTTP_ACCEPT="application/pdf")
    as_json = api(business_customer).get(statement_url(closed) + "?format=json")

    assert accepted["Content-Type"] == "application/pdf" and accepted.content.startswith(b"%PDF")
    assert as_json.status_code == 200 and as_json.json()["tickets_due"] == 1


@pytest.mark.parametrize("wanted", ["xml", "PDF", "api", "<script>", "pdf' OR 1=1", "x" * 5000, ""])
def test_an_unknown_format_is_a_400_naming_it(api, closed, business_customer, wanted):
    response = api(business_customer).get(statement_url(closed), {"format": wanted})

    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert "format" in response.json()


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
def test_the_pdf_format_has_the_statements_permission_matrix_and_errors_are_json(
    request, api, closed, role, status
):
    user = None if role == "anonymous" else request.getfixturevalue(role)

    response = api(user).get(statement_url(closed) + "?format=pdf")

    assert response.status_code == status
    if status != 200:
        assert response["Content-Type"].startswith("application/json") and response.json()


@pytest.mark.parametrize(("month", "status"), [("2026-02", 404), ("2026-13", 400), ("<b>", 400)])
def test_a_bad_or_unclosed_month_in_pdf_format_is_a_json_error(api, closed, billing_admin, month, status):
    response = api(billing_admin).get(statement_url(closed, month) + "?format=pdf")

    assert response.status_code == status and response["Content-Type"].startswith("application/json")
