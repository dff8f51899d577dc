"""/api/v1/accounts/: customers read their own, staff read all, billing admins write."""

from decimal import Decimal

import pytest

from helpdesk.accounts.models import Account

URL = "/api/v1/accounts/"


@pytest.fixture(autouse=True)
def _plain_http(settings):
    # DEBUG is off in tests, so production's HTTPS redirect would answer every request with a 301.
    settings.SECURE_SSL_REDIRECT = False


def _user(request, role):
    return None if role == "anonymous" else request.getfixturevalue(role)


def _snapshot(account: Account) -> tuple:
    account.refresh_from_db()
    return account.name, account.plan_id, account.monthly_fee, account.currency, account.is_active


def _payload(plans, **overrides) -> dict:
    payload = {
        "name": "Initech",
        "plan": plans["standard"].pk,
        "monthly_fee": "1000.00",
        "currency": "USD",
    }
    payload.update(overrides)
    return payload


# --- reading -------------------------------------------------------------------------------


def test_customer_lists_only_their_own_account(api, customer, account, other_account):
    response = api(customer).get(URL)

    assert response.status_code == 200
    assert response.json()["count"] == 1
    assert response.json()["results"] == [
        {
            "id": account.pk,
            "name": account.name,
            "plan": account.plan_id,
            "plan_version": None,  # pinned at its first ticket (or its first term)
            "monthly_fee": "1000.00",
            "currency": "USD",
            "is_active": True,
            "started_on": account.started_on.isoformat(),
            "billing_address": "",
            "tax_id": "",
        }
    ]


@pytest.mark.parametrize("role", ["engineer", "billing_admin"])
def test_staff_list_every_account(request, api, account, other_account, role):
    response = api(_user(request, role)).get(URL)

    assert response.status_code == 200
    assert {a["id"] for a in response.json()["results"]} == {account.pk, other_account.pk}


@pytest.mark.parametrize(
    "role, status",
    [
        ("anonymous", 401),
        ("customer", 200),
        ("other_customer", 404),
        ("engineer", 200),
        ("billing_admin", 200),
    ],
)
def test_account_detail_matrix(request, api, account, role, status):
    response = api(_user(request, role)).get(f"{URL}{account.pk}/")

    assert response.status_code == status
    if status == 200:
        assert response.json()["monthly_fee"] == "1000.00"


# --- creating ------------------------------------------------------------------------------


def test_billing_admin_creates_an_account(api, billing_admin, plans):
    response = api(billing_admin).post(
        URL, _payload(plans, monthly_fee="2500.50", currency="EUR"), format="json"
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["name"] == "Initech"
    assert body["plan"] == plans["standard"].pk
    assert body["monthly_fee"] == "2500.50"
    assert body["currency"] == "EUR"
    assert Account.objects.get(pk=body["id"]).monthly_fee == Decimal("2500.50")


def test_currency_defaults_to_usd(api, billing_admin, plans):
    payload = _payload(plans)
    del payload["currency"]

    response = api(billing_admin).post(URL, payload, format="json")

    assert response.status_code == 201
    assert response.json()["currency"] == "USD"


@pytest.mark.parametrize(
    "role, status",
    [("anonymous", 401), ("customer", 403), ("other_customer", 403), ("engineer", 403)],
)
def test_account_create_refused_for_other_roles_and_nothing_written(
    request, api, plans, account, role, status
):
    acting = _user(request, role)
    before = Account.objects.count()

    response = api(acting).post(URL, _payload(plans), format="json")

    assert response.status_code == status
    assert Account.objects.count() == before


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"name": None}, "name"),
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": ["Initech"]}, "name"),
        ({"name": "Ini\x00tech"}, "name"),
        ({"name": "Ini\x1btech"}, "name"),
        ({"name": "Two\nlines"}, "name"),
        ({"plan": None}, "plan"),
        ({"plan": 999999}, "plan"),
        ({"plan": "standard"}, "plan"),
        ({"plan": 10**30}, "plan"),
        ({"monthly_fee": None}, "monthly_fee"),
        ({"monthly_fee": "-0.01"}, "monthly_fee"),
        ({"monthly_fee": "12.345"}, "monthly_fee"),
        ({"monthly_fee": "lots"}, "monthly_fee"),
        ({"monthly_fee": "1e30"}, "monthly_fee"),
        ({"monthly_fee": 10**30}, "monthly_fee"),
        ({"monthly_fee": "10000000000.00"}, "monthly_fee"),
        ({"monthly_fee": "Infinity"}, "monthly_fee"),
        ({"monthly_fee": ["1000"]}, "monthly_fee"),
        ({"currency": "usd"}, "currency"),
        ({"currency": "US"}, "currency"),
        ({"currency": "DOLLARS"}, "currency"),
        ({"currency": "U$D"}, "currency"),
        ({"currency": 840}, "currency"),
        ({"is_active": "perhaps"}, "is_active"),
    ],
)
def test_account_create_with_bad_input_is_400_naming_the_field_and_writes_nothing(
    api, billing_admin, plans, account, overrides, field
):
    before = Account.objects.count()

    response = api(billing_admin).post(URL, _payload(plans, **overrides), format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert Account.objects.count() == before


def test_account_name_must_be_unique_ignoring_case(api, billing_admin, plans, account):
    response = api(billing_admin).post(URL, _payload(plans, name=account.name.upper()), format="json")

    assert response.status_code == 400
    assert "name" in response.json()


def test_hostile_account_name_is_stored_and_returned_verbatim(api, billing_admin, plans):
    name = "<script>alert('x')</script> Robert'); DROP TABLE helpdesk_account;--"

    response = api(billing_admin).post(URL, _payload(plans, name=name), format="json")

    assert response.status_code == 201
    assert response.json()["name"] == name
    assert Account.objects.filter(name=name).exists()


# --- updating ------------------------------------------------------------------------------


def test_billing_admin_changes_fee_and_plan(api, billing_admin, plans, account):
    response = api(billing_admin).patch(
        f"{URL}{account.pk}/", {"monthly_fee": "1200.00", "plan": plans["premium"].pk}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert response.json()["monthly_fee"] == "1200.00"
    assert response.json()["plan"] == plans["premium"].pk
    account.refresh_from_db()
    assert account.monthly_fee == Decimal("1200.00")


def test_billing_admin_replaces_an_account_with_put(api, billing_admin, plans, account):
    response = api(billing_admin).put(
        f"{URL}{account.pk}/", _payload(plans, name="Renamed", currency="GBP"), format="json"
    )

    assert response.status_code == 200
    assert (response.json()["name"], response.json()["currency"]) == ("Renamed", "GBP")


@pytest.mark.parametrize(
    "role, status",
    [("anonymous", 401), ("customer", 403), ("other_customer", 404), ("engineer", 403)],
)
def test_account_update_refused_and_nothing_changed(request, api, account, role, status):
    before = _snapshot(account)

    response = api(_user(request, role)).patch(f"{URL}{account.pk}/", {"monthly_fee": "0.00"}, format="json")

    assert response.status_code == status
    assert _snapshot(account) == before


def test_account_update_with_a_bad_currency_changes_nothing(api, billing_admin, account):
    before = _snapshot(account)

    response = api(billing_admin).patch(
        f"{URL}{account.pk}/", {"monthly_fee": "5.00", "currency": "eur"}, format="json"
    )

    assert response.status_code == 400
    assert "currency" in response.json()
    assert _snapshot(account) == before


def test_account_update_to_a_taken_name_is_refused(api, billing_admin, account, other_account):
    response = api(billing_admin).patch(f"{URL}{account.pk}/", {"name": other_account.name}, format="json")

    assert response.status_code == 400
    assert "name" in response.json()


def test_unknown_account_is_404(api, billing_admin):
    assert api(billing_admin).get(f"{URL}999999/").status_code == 404
    assert api(billing_admin).patch(f"{URL}999999/", {}, format="json").status_code == 404


def test_accounts_cannot_be_deleted_through_the_api(api, billing_admin, account):
    assert api(billing_admin).delete(f"{URL}{account.pk}/").status_code == 405
    assert Account.objects.filter(pk=account.pk).exists()
