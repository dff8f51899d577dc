"""API authentication and the error shapes every endpoint shares."""

import pytest
from django.core.exceptions import ValidationError as DjangoValidationError
from knox.models import AuthToken
from rest_framework.test import APIClient

from helpdesk.kit.api_errors import exception_handler
from helpdesk.kit.errors import ConflictError, field_error
from helpdesk.kit.roles import Denied
from tests.factories import PASSWORD

TOKEN_URL = "/api/v1/auth/token/"


@pytest.fixture(autouse=True)
def _plain_http(settings):
    # DEBUG is off in tests, so production's HTTPS redirect would answer every request with a 301.
    settings.SECURE_SSL_REDIRECT = False


def test_token_for_good_credentials_authenticates_later_requests(customer, ticket):
    response = APIClient().post(TOKEN_URL, {"username": customer.username, "password": PASSWORD})

    assert response.status_code == 200
    token = response.json()["token"]
    assert AuthToken.objects.get(user=customer).token_key == token[:15]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    listed = client.get("/api/v1/tickets/")
    assert listed.status_code == 200
    assert [t["id"] for t in listed.json()["results"]] == [ticket.pk]


def test_each_sign_in_gets_a_token_of_its_own(engineer):
    first = APIClient().post(TOKEN_URL, {"username": engineer.username, "password": PASSWORD})
    second = APIClient().post(TOKEN_URL, {"username": engineer.username, "password": PASSWORD})

    assert first.json()["token"] != second.json()["token"]
    assert AuthToken.objects.filter(user=engineer).count() == 2


@pytest.mark.parametrize("password", ["wrong-password", ""])
def test_token_refused_for_bad_credentials(customer, password):
    response = APIClient().post(
        TOKEN_URL, {"username": customer.username, "password": password}, format="json"
    )

    assert response.status_code == 400
    body = response.json()
    assert ("detail" in body) if password else ("password" in body)
    assert not AuthToken.objects.exists()


def test_token_refused_for_unknown_user_without_saying_which_part_was_wrong(db):
    response = APIClient().post(TOKEN_URL, {"username": "nobody", "password": PASSWORD})

    assert response.status_code == 400
    assert response.json() == {"detail": "Unable to log in with that username and password."}


def test_token_refused_for_a_deactivated_user(customer):
    customer.is_active = False
    customer.save(update_fields=["is_active"])

    response = APIClient().post(TOKEN_URL, {"username": customer.username, "password": PASSWORD})

    assert response.status_code == 400
    assert not AuthToken.objects.exists()


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"password": PASSWORD}, "username"),
        ({"username": "someone"}, "password"),
        ({"username": ["a", "b"], "password": PASSWORD}, "username"),
        ({"username": "x" * 151, "password": PASSWORD}, "username"),
        ({"username": "bad\x00name", "password": PASSWORD}, "username"),
    ],
)
def test_token_request_with_bad_fields_names_the_field(db, payload, field):
    response = APIClient().post(TOKEN_URL, payload, format="json")

    assert response.status_code == 400
    assert field in response.json()


def test_anonymous_request_is_401_with_a_token_challenge(db):
    response = APIClient().get("/api/v1/tickets/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_unknown_token_is_401(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    assert client.get("/api/v1/tickets/").status_code == 401


def test_session_login_works_for_the_api(client, customer, ticket):
    client.force_login(customer)

    response = client.get("/api/v1/tickets/")

    assert response.status_code == 200
    assert response.json()["count"] == 1


# --- the exception handler, directly -------------------------------------------------------


def test_handler_turns_a_service_validation_error_into_field_messages():
    response = exception_handler(field_error("subject", "Too long."), {})

    assert response.status_code == 400
    assert response.data == {"subject": ["Too long."]}


def test_handler_turns_a_non_field_validation_error_into_detail():
    response = exception_handler(DjangoValidationError("Something is off."), {})

    assert response.status_code == 400
    assert response.data == {"detail": "Something is off."}


def test_handler_turns_denied_into_403():
    response = exception_handler(Denied("Only support staff can start work."), {})

    assert response.status_code == 403
    assert response.data == {"detail": "Only support staff can start work."}


def test_handler_turns_conflict_into_409_with_code():
    response = exception_handler(ConflictError("Already decided.", code="decided"), {})

    assert response.status_code == 409
    assert response.data == {"detail": "Already decided.", "code": "decided"}


def test_handler_leaves_unknown_errors_to_django():
    assert exception_handler(RuntimeError("boom"), {}) is None


def test_password_guessing_is_throttled(db, customer):
    # A guesser spreading over usernames meets the throttle; one username meets the lockout first
    # (tests/hardening/test_logins.py).
    client = APIClient()
    answers = [
        client.post("/api/v1/auth/token/", {"username": f"guess{n}", "password": "guess"}).status_code
        for n in range(11)
    ]
    assert answers[:10] == [400] * 10
    assert answers[10] == 429
