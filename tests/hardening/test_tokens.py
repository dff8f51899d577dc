"""Tokens that end: per device, expiring, revocable, all revoked with a password change; password reset."""

import datetime as dt
import re

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.test import Client
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from tests.factories import PASSWORD

TOKEN_URL = "/api/v1/auth/token/"
NEW_PASSWORD = "a-new-and-long-passphrase-42"


def _token(user, password=PASSWORD) -> str:
    response = APIClient().post(TOKEN_URL, {"username": user.username, "password": password})
    assert response.status_code == 200
    return response.json()["token"]


def _get(token: str, path="/api/v1/tickets/"):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client.get(path)


def test_a_token_stops_working_after_a_password_change_on_the_page(customer):
    token = _token(customer)
    assert _get(token).status_code == 200
    client = Client()
    client.force_login(customer)

    response = client.post(
        "/password/change/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert _get(token).status_code == 401
    assert not AuthToken.objects.filter(user=customer).exists()


def test_any_password_change_revokes_every_token_of_that_user_only(customer, engineer):
    mine, theirs = _token(customer), _token(engineer)

    customer.set_password(NEW_PASSWORD)
    customer.save()

    assert _get(mine).status_code == 401
    assert _get(theirs).status_code == 200


def test_saving_a_user_without_a_new_password_keeps_the_tokens(customer):
    token = _token(customer)
    customer.first_name = "Renamed"
    customer.save()

    assert _get(token).status_code == 200


def test_a_token_ends_at_its_expiry(customer):
    token = _token(customer)

    with time_machine.travel(timezone.now() + settings.REST_KNOX["TOKEN_TTL"] + dt.timedelta(minutes=1)):
        assert _get(token).status_code == 401


def test_each_device_revokes_alone_through_the_api(customer, other_customer):
    laptop, phone = _token(customer), _token(customer)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {laptop}")
    listed = client.get("/api/v1/auth/tokens/").json()
    assert sorted(t["token_key"] for t in listed) == sorted([laptop[:15], phone[:15]])
    assert all("token" not in t for t in listed)

    # another customer cannot revoke it: 404, nothing changed
    other = APIClient()
    other.force_authenticate(other_customer)
    assert other.delete(f"/api/v1/auth/tokens/{phone[:15]}/").status_code == 404
    assert _get(phone).status_code == 200

    assert client.delete(f"/api/v1/auth/tokens/{phone[:15]}/").status_code == 204
    assert _get(phone).status_code == 401
    assert _get(laptop).status_code == 200


def test_token_list_needs_a_signed_in_user(db):
    assert APIClient().get("/api/v1/auth/tokens/").status_code == 401


def test_a_user_holds_a_bounded_number_of_tokens(settings, customer):
    settings.API_TOKENS_PER_USER = 3
    tokens = [_token(customer) for _ in range(4)]

    assert AuthToken.objects.filter(user=customer).count() == 3
    assert _get(tokens[0]).status_code == 401
    assert _get(tokens[-1]).status_code == 200


def test_the_profile_page_lists_and_revokes_tokens(customer):
    token = _token(customer)
    client = Client()
    client.force_login(customer)

    page = client.get("/profile/")
    assert page.status_code == 200
    assert token[:15] in page.content.decode()
    assert token not in page.content.decode()

    response = client.post(f"/profile/tokens/{token[:15]}/revoke/")
    assert response.status_code == 302
    assert _get(token).status_code == 401


def test_the_profile_page_needs_a_sign_in(client, db):
    response = client.get("/profile/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_another_users_token_cannot_be_revoked_from_the_profile_page(customer, other_customer):
    token = _token(customer)
    client = Client()
    client.force_login(other_customer)

    client.post(f"/profile/tokens/{token[:15]}/revoke/")

    assert _get(token).status_code == 200


def test_password_reset_by_email_sets_a_new_password_and_revokes_tokens(customer):
    token = _token(customer)
    client = Client()

    response = client.post("/password/reset/", {"email": customer.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == "Choose a new Pledge password"
    link = re.search(r"https?://[^/\s]+(/password/reset/\S+/)", message.body).group(1)

    form = client.get(link, follow=True)
    assert form.status_code == 200
    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert done.status_code == 302

    customer.refresh_from_db()
    assert customer.check_password(NEW_PASSWORD)
    assert _get(token).status_code == 401


def test_password_reset_for_an_unknown_address_sends_nothing_and_says_the_same(db):
    response = Client().post("/password/reset/", {"email": "nobody@example.com"})

    assert response.status_code == 302
    assert response["Location"] == "/password/reset/sent/"
    assert mail.outbox == []


@pytest.mark.parametrize("path", ["/password/reset/", "/login/"])
def test_the_sign_in_and_reset_pages_render(client, db, path):
    assert client.get(path).status_code == 200
