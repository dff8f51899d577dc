"""The termination API: a customer asks on a flagged month, a billing admin confirms or declines.

The permission matrix on every endpoint, bad input (400 naming the field, nothing written), the
409s, constant list query counts, and the happy paths through the real services.
"""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from billing.models import AccountMonth, BillingEvent, TerminationRequest
from billing.services.months import termination_sweep
from billing.services.terminations import termination_decline, termination_request
from tests.billing.conftest import NOW, record_misses, user_for
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

TERMINATIONS = "/api/v1/terminations/"
# Measured, and the same at 2 rows and 20: token auth forced (0) + count + one page query with the
# account and both users joined.
LIST_QUERIES = 2
HOSTILE = "<script>alert('x')</script><b>bold</b> '; DROP TABLE billing_terminationrequest; --"


def detail(pk) -> str:
    return f"{TERMINATIONS}{pk}/"


def flag_march(customer) -> AccountMonth:
    """Six counted misses in March: the month allows termination without penalty."""
    record_misses(customer, 6)
    termination_sweep(month="2026-03", now=NOW)
    row = AccountMonth.objects.get(account=customer.account, month="2026-03")
    assert row.termination_eligible
    return row


@pytest.fixture
def flagged(customer):
    return flag_march(customer)


@pytest.fixture
def other_flagged(other_customer):
    return flag_march(other_customer)


@pytest.fixture
def termination(customer, flagged):
    return termination_request(
        account=customer.account, month="2026-03", requested_by=customer, note="Too many outages", now=NOW
    )


@pytest.fixture
def other_termination(other_customer, other_flagged):
    return termination_request(
        account=other_customer.account, month="2026-03", requested_by=other_customer, now=NOW
    )


# --- asking ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 401),
        ("customer", 201),
        # their own account's March is not flagged: refused on month, and ours is not touched
        ("other_customer", 400),
        ("engineer", 403),
        ("billing_admin", 403),
    ],
)
def test_request_matrix(request, api, customer, other_customer, flagged, role, status):
    response = api(user_for(request, role)).post(
        TERMINATIONS, {"month": "2026-03", "note": "We are leaving"}, format="json"
    )

    assert response.status_code == status
    if status == 201:
        body = response.json()
        created = TerminationRequest.objects.get()
        assert body == {
            "id": created.pk,
            "account": customer.account_id,
            "month": "2026-03",
            "status": "requested",
            "note": "We are leaving",
            "requested_at": "2026-03-20T12:00:00Z",
            "decided_at": None,
            "decision_note": None,
            "ends_on": None,
        }
        assert created.requested_by == customer
    else:
        assert not TerminationRequest.objects.exists()
    if status == 400:
        assert "month" in response.json()


def test_a_month_that_is_not_flagged_is_400_on_month(api, customer):
    record_misses(customer, 5)  # five counted misses: at the threshold, not above it
    termination_sweep(month="2026-03", now=NOW)

    response = api(customer).post(TERMINATIONS, {"month": "2026-03"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"month": ["March 2026 does not allow termination without penalty."]}
    assert not TerminationRequest.objects.exists()


def test_a_second_open_request_is_409_and_writes_nothing(api, customer, flagged):
    client = api(customer)
    assert client.post(TERMINATIONS, {"month": "2026-03"}, format="json").status_code == 201

    again = client.post(TERMINATIONS, {"month": "2026-03", "note": "Once more"}, format="json")

    assert again.status_code == 409
    assert again.json()["code"] == "termination_already_requested"
    assert TerminationRequest.objects.count() == 1
    assert BillingEvent.objects.filter(code="termination_requested").count() == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "month"),
        ({"note": "no month"}, "month"),
        ({"month": None}, "month"),
        ({"month": ""}, "month"),
        ({"month": "2026-3"}, "month"),
        ({"month": "2026-13"}, "month"),
        ({"month": "9999-12"}, "month"),
        ({"month": "1999-12"}, "month"),
        ({"month": 202603}, "month"),
        ({"month": ["2026-03"]}, "month"),
        ({"month": {"year": 2026}}, "month"),
        ({"month": "2026-03' OR '1'='1"}, "month"),
        ({"month": "2026-02"}, "month"),  # a real month, not flagged
        ({"month": "2026-03", "note": "x" * 2001}, "note"),
        ({"month": "2026-03", "note": ["a list"]}, "note"),
        ({"month": "2026-03", "note": {"a": 1}}, "note"),
        ({"month": "2026-03", "note": "nul\x00byte"}, "note"),
        ({"month": "2026-03", "note": "ring\x07bell"}, "note"),
    ],
)
def test_bad_requests_are_400_naming_the_field_and_write_nothing(api, customer, flagged, payload, field):
    response = api(customer).post(TERMINATIONS, payload, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not TerminationRequest.objects.exists()
    assert not BillingEvent.objects.filter(code="termination_requested").exists()


def test_a_note_of_2000_characters_is_the_most_accepted(api, customer, flagged):
    response = api(customer).post(TERMINATIONS, {"month": "2026-03", "note": "y" * 2000}, format="json")

    assert response.status_code == 201
    assert TerminationRequest.objects.get().note == "y" * 2000


def test_html_and_sql_in_notes_are_stored_and_returned_as_text(api, customer, billing_admin, flagged):
    created = api(customer).post(TERMINATIONS, {"month": "2026-03", "note": HOSTILE}, format="json")
    assert created.status_code == 201 and created.json()["note"] == HOSTILE

    declined = api(billing_admin).post(
        f"{detail(created.json()['id'])}decline/", {"note": HOSTILE}, format="json"
    )

    assert declined.status_code == 200 and declined.json()["decision_note"] == HOSTILE
    stored = TerminationRequest.objects.get()  # the table is still there, with the text as given
    assert (stored.note, stored.decision_note) == (HOSTILE, HOSTILE)
    assert api(customer).get(detail(stored.pk)).json()["note"] == HOSTILE


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
def test_list_matrix(request, api, termination, other_termination, role, status, sees):
    response = api(user_for(request, role)).get(TERMINATIONS)

    assert response.status_code == status
    if sees is not None:
        names = {termination.pk: "mine", other_termination.pk: "theirs"}
        body = response.json()
        assert {names[row["id"]] for row in body["results"]} == sees
        assert body["count"] == len(sees) and {"next", "previous"} <= set(body)


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
def test_detail_matrix(request, api, customer, termination, role, status):
    response = api(user_for(request, role)).get(detail(termination.pk))

    assert response.status_code == status
    if status == 200:
        body = response.json()
        assert set(body) == {
            "id",
            "account",
            "month",
            "status",
            "note",
            "requested_at",
            "decided_at",
            "decision_note",
            "ends_on",
        }
        assert (body["id"], body["account"], body["month"], body["status"], body["note"]) == (
            termination.pk,
            customer.account_id,
            "2026-03",
            "requested",
            "Too many outages",
        )


def test_a_request_that_does_not_exist_is_404(api, billing_admin, customer):
    for pk in (999999, 2**63 - 1, 2**70):
        assert api(billing_admin).get(detail(pk)).status_code == 404
        assert api(customer).get(detail(pk)).status_code == 404


def test_admins_filter_by_status(api, billing_admin, termination, other_termination):
    termination_decline(request=other_termination, actor=billing_admin, note="Excluded since", now=NOW)
    client = api(billing_admin)

    def ids(**params):
        return [row["id"] for row in client.get(TERMINATIONS, params).json()["results"]]

    assert ids(status="requested") == [termination.pk]
    assert ids(status="declined") == [other_termination.pk]
    assert ids(status="confirmed") == []
    assert sorted(ids()) == sorted([termination.pk, other_termination.pk])


@pytest.mark.parametrize("params", [{"status": "lost"}, {"status": "REQUESTED"}, {"status": "requested'--"}])
def test_bad_filters_are_400_naming_the_filter(api, billing_admin, termination, params):
    response = api(billing_admin).get(TERMINATIONS, params)

    assert response.status_code == 400 and "status" in response.json()


def test_list_queries_do_not_grow(api, customer, billing_admin, flagged, django_assert_max_num_queries):
    """Declined requests pile up (each can be asked again): 2 rows, then 20, in the same queries."""

    def ask_and_decline(count):
        for _ in range(count):
            asked = termination_request(
                account=customer.account, month="2026-03", requested_by=customer, now=NOW
            )
            termination_decline(request=asked, actor=billing_admin, note="Not this time", now=NOW)

    client = api(billing_admin)

    def measure(rows):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(TERMINATIONS).json()["count"] == rows
        return len(queries)

    ask_and_decline(2)
    with django_assert_max_num_queries(LIST_QUERIES):
        few = measure(2)
    ask_and_decline(18)
    with django_assert_max_num_queries(LIST_QUERIES):
        many = measure(20)
    assert few == many
    with django_assert_max_num_queries(LIST_QUERIES):
        assert len(api(customer).get(TERMINATIONS).json()["results"]) == 20


# --- deciding ----------------------------------------------------------------------------------


@pytest.mark.parametrize("decision", ["confirm", "decline"])
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
def test_decision_matrix(request, api, termination, decision, role, status):
    response = api(user_for(request, role)).post(
        f"{detail(termination.pk)}{decision}/", {"note": "Reviewed the month"}, format="json"
    )

    assert response.status_code == status
    termination.refresh_from_db()
    if status == 200:
        assert termination.status == ("confirmed" if decision == "confirm" else "declined")
        assert response.json()["status"] == termination.status
    else:
        assert (termination.status, termination.decided_at, termination.ends_on) == ("requested", None, None)
        assert not BillingEvent.objects.filter(
            code__in=["termination_confirmed", "termination_declined"]
        ).exists()


def test_request_then_confirm_sets_the_end_of_the_period(api, customer, billing_admin, flagged):
    created = api(customer).post(TERMINATIONS, {"month": "2026-03", "note": "Leaving"}, format="json").json()

    confirmed = api(billing_admin).post(f"{detail(created['id'])}confirm/", format="json")

    assert confirmed.status_code == 200
    body = confirmed.json()
    assert (body["status"], body["ends_on"], body["decided_at"], body["decision_note"]) == (
        "confirmed",
        "2026-03-31",  # the month running when it was confirmed, invoiced as usual and nothing after
        "2026-03-20T12:00:00Z",
        None,
    )
    seen = api(customer).get(detail(created["id"])).json()
    assert (seen["status"], seen["ends_on"]) == ("confirmed", "2026-03-31")
    stored = TerminationRequest.objects.get()
    assert (stored.decided_by, stored.ends_on) == (billing_admin, dt.date(2026, 3, 31))


def test_confirm_keeps_an_optional_note(api, billing_admin, termination):
    body = (
        api(billing_admin)
        .post(
            f"{detail(termination.pk)}confirm/",
            {"note": "Six misses in March, none excluded."},
            format="json",
        )
        .json()
    )

    assert (body["status"], body["decision_note"]) == ("confirmed", "Six misses in March, none excluded.")


@pytest.mark.parametrize("payload", [{}, {"note": ""}, {"note": "   \n "}, {"note": None}])
def test_decline_needs_a_note(api, billing_admin, termination, payload):
    response = api(billing_admin).post(f"{detail(termination.pk)}decline/", payload, format="json")

    assert response.status_code == 400 and "note" in response.json()
    termination.refresh_from_db()
    assert (termination.status, termination.decided_at) == ("requested", None)


@pytest.mark.parametrize("decision", ["confirm", "decline"])
@pytest.mark.parametrize(
    "payload",
    [
        {"note": "x" * 2001},
        {"note": ["a list"]},
        {"note": {"a": 1}},
        {"note": "nul\x00byte"},
        {"note": "ring\x07bell"},
    ],
)
def test_bad_decision_notes_are_400_naming_note_and_change_nothing(
    api, billing_admin, termination, decision, payload
):
    response = api(billing_admin).post(f"{detail(termination.pk)}{decision}/", payload, format="json")

    assert response.status_code == 400 and "note" in response.json()
    termination.refresh_from_db()
    assert (termination.status, termination.decided_at, termination.ends_on) == ("requested", None, None)


def test_deciding_twice_is_409_and_changes_nothing(api, billing_admin, termination):
    client = api(billing_admin)
    assert client.post(f"{detail(termination.pk)}confirm/", format="json").status_code == 200

    again = client.post(f"{detail(termination.pk)}confirm/", format="json")
    declined = client.post(f"{detail(termination.pk)}decline/", {"note": "Changed our mind"}, format="json")

    assert again.status_code == declined.status_code == 409
    assert again.json()["code"] == declined.json()["code"] == "already_decided"
    termination.refresh_from_db()
    assert (termination.status, termination.ends_on, termination.decision_note) == (
        "confirmed",
        dt.date(2026, 3, 31),
        "",
    )
    assert BillingEvent.objects.filter(code="termination_confirmed").count() == 1


def test_declined_the_customer_may_ask_again_but_not_while_one_is_confirmed(
    api, customer, billing_admin, termination
):
    admin, client = api(billing_admin), api(customer)
    declined = admin.post(
        f"{detail(termination.pk)}decline/", {"note": "An exclusion applies"}, format="json"
    )
    assert declined.json()["status"] == "declined"
    assert declined.json()["decision_note"] == "An exclusion applies"
    assert declined.json()["ends_on"] is None

    again = client.post(TERMINATIONS, {"month": "2026-03"}, format="json")
    assert again.status_code == 201
    assert admin.post(f"{detail(again.json()['id'])}confirm/", format="json").status_code == 200

    third = client.post(TERMINATIONS, {"month": "2026-03"}, format="json")
    assert third.status_code == 409 and third.json()["code"] == "termination_already_requested"
    assert list(TerminationRequest.objects.order_by("id").values_list("status", flat=True)) == [
        "declined",
        "confirmed",
    ]


def test_a_customer_of_another_account_cannot_ask_for_ours(api, customer, flagged):
    stranger = CustomerFactory()  # their account has no flagged month

    response = api(stranger).post(TERMINATIONS, {"month": "2026-03"}, format="json")

    assert response.status_code == 400 and "month" in response.json()
    assert not TerminationRequest.objects.exists()


def test_the_schema_publishes_terminations(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    for path, methods in {
        "/api/v1/terminations/": {"get", "post"},
        "/api/v1/terminations/{id}/": {"get"},
        "/api/v1/terminations/{id}/confirm/": {"post"},
        "/api/v1/terminations/{id}/decline/": {"post"},
    }.items():
        assert methods == set(paths[path]) - {"parameters"}, path
    assert {
        "id",
        "account",
        "month",
        "status",
        "note",
        "requested_at",
        "decided_at",
        "decision_note",
        "ends_on",
    } == set(schema["components"]["schemas"]["TerminationRequest"]["properties"])
    assert "status" in {param["name"] for param in paths["/api/v1/terminations/"]["get"]["parameters"]}
