"""Guarded logins: django-axes on the login page, the admin and the API token, by user and address."""

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from tests.factories import PASSWORD

TOKEN_URL = "/api/v1/auth/token/"


def _page_login(client, path, username, password, address):
    return client.post(path, {"username": username, "password": password}, REMOTE_ADDR=address)


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.parametrize("path", ["/login/", "/admin/login/"])
def test_five_wrong_passwords_lock_the_user_out_from_that_address(billing_admin, path):
    assert settings.AXES_FAILURE_LIMIT == 5
    billing_admin.is_staff = True  # the admin site signs in staff only
    billing_admin.save(update_fields=["is_staff"])
    client = Client()
    for _ in range(5):
        _page_login(client, path, billing_admin.username, "guess", "10.0.0.1")

    locked = _page_login(client, path, billing_admin.username, PASSWORD, "10.0.0.1")

    assert locked.status_code == 429
    assert "Sign-in paused" in locked.content.decode()
    assert int(locked["Retry-After"]) == 15 * 60
    assert not _signed_in(client)
    # the same user from elsewhere is not locked out by a guesser
    elsewhere = Client()
    response = _page_login(elsewhere, path, billing_admin.username, PASSWORD, "10.0.0.2")
    assert response.status_code == 302
    assert _signed_in(elsewhere)


def test_the_lockout_ends_after_the_cool_off(customer):
    client = Client()
    for _ in range(5):
        _page_login(client, "/login/", customer.username, "guess", "10.0.0.1")
    assert _page_login(client, "/login/", customer.username, PASSWORD, "10.0.0.1").status_code == 429

    with time_machine.travel(timezone.now() + settings.AXES_COOLOFF_TIME + dt.timedelta(seconds=5)):
        response = _page_login(client, "/login/", customer.username, PASSWORD, "10.0.0.1")

    assert response.status_code == 302
    assert _signed_in(client)


def test_rotating_x_forwarded_for_does_not_escape_the_token_lockout(customer):
    api = APIClient()
    statuses = [
        api.post(
            TOKEN_URL,
            {"username": customer.username, "password": "guess"},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{attempt}",
        ).status_code
        for attempt in range(5)
    ]
    assert statuses == [400, 400, 400, 400, 429]  # the fifth failure locks

    response = api.post(
        TOKEN_URL,
        {"username": customer.username, "password": PASSWORD},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="198.51.100.99",
    )

    assert response.status_code == 429
    assert response.json()["code"] == "locked_out"
    assert not AuthToken.objects.exists()


def test_rotating_x_forwarded_for_does_not_escape_the_token_throttle(customer):
    """The throttle (10 a minute per address) counts the socket's address, not the header."""
    api = APIClient()
    statuses = [
        api.post(
            TOKEN_URL,
            {"username": f"nobody{n}", "password": "guess"},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
        ).status_code
        for n in range(11)
    ]

    assert statuses == [400] * 10 + [429]


def test_behind_a_trusted_proxy_the_address_is_the_one_it_appended(settings, customer):
    settings.TRUSTED_PROXY_COUNT = 1
    client = Client()
    for n in range(5):
        # the client forges the left part; the proxy appends the real peer, 203.0.113.7
        client.post(
            "/login/",
            {"username": customer.username, "password": "guess"},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, 203.0.113.7",
        )
    locked = client.post(
        "/login/",
        {"username": customer.username, "password": PASSWORD},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="192.0.2.200, 203.0.113.7",
    )
    assert locked.status_code == 429
    # another real client behind the same proxy is someone else
    other = Client()
    response = other.post(
        "/login/",
        {"username": customer.username, "password": PASSWORD},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="203.0.113.8",
    )
    assert response.status_code == 302


def test_x_forwarded_proto_is_not_believed_without_a_trusted_proxy(client, db):
    assert settings.TRUSTED_PROXY_COUNT == 0
    assert settings.SECURE_PROXY_SSL_HEADER is None
