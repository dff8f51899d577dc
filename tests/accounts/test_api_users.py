"""/api/v1/users/: billing admins list and create the people who log in."""

import pytest

from helpdesk.accounts.models import User
from helpdesk.kit.roles import Role
from tests.factories import PASSWORD

URL = "/api/v1/users/"
GOOD_PASSWORD = "plum-orbit-canyon-42"


@pytest.fixture(autouse=True)
def _plain_http(settings):
    # DEBUG is off in tests, so production's HTTPS redirect would answer every request with a 301.
    settings.SECURE_SSL_REDIRECT = False


def _user(request, role):
    return None if role == "anonymous" else request.getfixturevalue(role)


def _payload(**overrides) -> dict:
    payload = {
        "username": "new.person",
        "password": GOOD_PASSWORD,
        "email": "new.person@example.com",
        "role": "engineer",
    }
    payload.update(overrides)
    return payload


def test_billing_admin_creates_a_customer_of_an_account(api, billing_admin, account):
    response = api(billing_admin).post(
        URL, _payload(role="customer", account=account.pk, first_name="Ada"), format="json"
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["username"] == "new.person"
    assert body["role"] == "customer"
    assert body["account"] == account.pk
    assert "password" not in body
    created = User.objects.get(pk=body["id"])
    assert created.check_password(GOOD_PASSWORD)
    assert GOOD_PASSWORD not in str(body)


@pytest.mark.parametrize("role", ["engineer", "billing_admin"])
def test_billing_admin_creates_staff_without_an_account(api, billing_admin, role):
    response = api(billing_admin).post(URL, _payload(role=role), format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["role"] == role
    assert response.json()["account"] is None


def test_created_user_can_get_a_token(api, billing_admin, account):
    api(billing_admin).post(URL, _payload(role="customer", account=account.pk), format="json")

    response = api(None).post("/api/v1/auth/token/", {"username": "new.person", "password": GOOD_PASSWORD})

    assert response.status_code == 200


@pytest.mark.parametrize(
    "role, status",
    [("anonymous", 401), ("customer", 403), ("other_customer", 403), ("engineer", 403)],
)
def test_user_create_refused_for_other_roles_and_nothing_written(request, api, account, role, status):
    acting = _user(request, role)
    before = User.objects.count()

    response = api(acting).post(URL, _payload(role="billing_admin"), format="json")

    assert response.status_code == status
    assert User.objects.count() == before


@pytest.mark.parametrize(
    "role, status",
    [("anonymous", 401), ("customer", 403), ("engineer", 403), ("billing_admin", 200)],
)
def test_user_list_is_for_billing_admins(request, api, customer, engineer, role, status):
    response = api(_user(request, role)).get(URL)

    assert response.status_code == status
    if status == 200:
        usernames = {u["username"] for u in response.json()["results"]}
        assert {customer.username, engineer.username} <= usernames
        assert all("password" not in u for u in response.json()["results"])


@pytest.mark.parametrize("role, status", [("customer", 403), ("engineer", 403), ("billing_admin", 200)])
def test_user_detail_is_for_billing_admins(request, api, customer, role, status):
    assert api(_user(request, role)).get(f"{URL}{customer.pk}/").status_code == status


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"username": None}, "username"),
        ({"username": ""}, "username"),
        ({"username": "has spaces"}, "username"),
        ({"username": "x" * 151}, "username"),
        ({"username": ["a"]}, "username"),
        ({"username": "nul\x00l"}, "username"),
        ({"password": ""}, "password"),
        ({"password": "password"}, "password"),
        ({"password": "12345678901"}, "password"),
        ({"password": "short"}, "password"),
        ({"password": "new.person1"}, "password"),
        ({"password": "x" * 129}, "password"),
        ({"password": 12345678901234}, "password"),
        ({"email": "not-an-email"}, "email"),
        ({"email": None}, "email"),
        ({"role": "superuser"}, "role"),
        ({"role": ""}, "role"),
        ({"role": "customer"}, "account"),
        ({"role": "engineer", "account": "ACCOUNT"}, "account"),
        ({"role": "customer", "account": 999999}, "account"),
        ({"first_name": "a\x07b"}, "first_name"),
    ],
)
def test_user_create_with_bad_input_is_400_naming_the_field_and_writes_nothing(
    api, billing_admin, overrides, field
):
    before = User.objects.count()

    response = api(billing_admin).post(URL, _payload(**overrides), format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert User.objects.count() == before


def test_staff_cannot_belong_to_an_account(api, billing_admin, account):
    before = User.objects.count()

    response = api(billing_admin).post(URL, _payload(role="engineer", account=account.pk), format="json")

    assert response.status_code == 400
    assert "account" in response.json()
    assert User.objects.count() == before


def test_username_taken_in_another_case_is_refused(api, billing_admin, customer):
    response = api(billing_admin).post(URL, _payload(username=customer.username.upper()), format="json")

    assert response.status_code == 400
    assert "username" in response.json()


def test_password_errors_do_not_echo_the_password(api, billing_admin):
    response = api(billing_admin).post(URL, _payload(password=PASSWORD[:3]), format="json")

    assert response.status_code == 400
    assert PASSWORD[:3] not in str(response.json()["password"])


def test_hostile_names_are_stored_verbatim(api, billing_admin):
    name = "<b>Bobby</b>'); DROP TABLE helpdesk_user;--"

    response = api(billing_admin).post(URL, _payload(first_name=name), format="json")

    assert response.status_code == 201
    assert response.json()["first_name"] == name
    assert User.objects.get(username="new.person").role == Role.ENGINEER


def test_users_cannot_be_deleted_or_edited_through_the_api(api, billing_admin, customer):
    assert api(billing_admin).delete(f"{URL}{customer.pk}/").status_code == 405
    assert api(billing_admin).patch(f"{URL}{customer.pk}/", {"role": "engineer"}).status_code == 405
