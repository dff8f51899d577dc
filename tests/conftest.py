"""Shared fixtures: the permission-matrix cast and API clients logged in as each of them."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.factories import (
    AccountFactory,
    BillingAdminFactory,
    CustomerFactory,
    EngineerFactory,
    make_ticket,
    plan,
)

# Real mail servers for the tests about mail: Dovecot (IMAP) and aiosmtpd (SMTP), started on demand.
pytest_plugins = ["tests.support.mailservers"]


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Browser journeys last: Playwright keeps an event loop in the main thread while it runs."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"
    # Hashing is not what these tests are about; PBKDF2 would make factories slow.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The suite speaks plain http to the test client and the live server.
    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    cache.clear()  # throttles count per process; every test starts with none used


@pytest.fixture
def plans(db):
    return {code: plan(code) for code in ("standard", "advanced", "premium")}


@pytest.fixture
def account(plans):
    return AccountFactory(plan=plans["advanced"])


@pytest.fixture
def other_account(plans):
    return AccountFactory(plan=plans["premium"])


@pytest.fixture
def customer(account):
    return CustomerFactory(account=account)


@pytest.fixture
def other_customer(other_account):
    return CustomerFactory(account=other_account)


@pytest.fixture
def engineer(db):
    return EngineerFactory()


@pytest.fixture
def billing_admin(db):
    return BillingAdminFactory()


@pytest.fixture
def ticket(customer):
    return make_ticket(customer=customer)


@pytest.fixture
def high_ticket(customer):
    return make_ticket(customer=customer, priority="high")


def _client_for(user):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user=user)
    return client


@pytest.fixture
def api():
    """api(user) -> an APIClient authenticated as that user (None: anonymous)."""
    return _client_for
