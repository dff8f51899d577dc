"""Once a staff member has a TOTP device, every sign-in asks for a real code: the login page and the
admin's (a second step), the API token (`otp`); wrong, replayed and missing codes are refused and
django-axes counts the wrong ones like wrong passwords."""

from base64 import b32encode

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken
from rest_framework.test import APIClient

from helpdesk.accounts.services import two_factor
from tests.factories import PASSWORD
from tests.support.totp import START, code_for

TOKEN_URL = "/api/v1/auth/token/"
LOCKED = 429


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def secret(clock, engineer):
    """The engineer enrolled (through the services) at START; the clock then moves to the next step."""
    device = two_factor.totp_enrol_start(user=engineer)
    key = b32encode(device.bin_key).decode()
    two_factor.totp_enrol_confirm(user=engineer, code=code_for(key))
    clock.shift(30)
    return key


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def _password(client, user, path="/login/", **extra):
    return client.post(path, {"username": user.username, "password": PASSWORD, **extra})


def _wrong(key: str) -> str:
    return f"{(int(code_for(key)) + 1) % 1_000_000:06d}"


# --- the login page -------------------------------------------------------------------


def test_the_login_page_asks_for_the_code_after_the_password(engineer, secret):
    client = Client()

    first = _password(client, engineer)

    assert first.status_code == 302
    assert first["Location"] == "/login/code/?next=%2F"
    assert not _signed_in(client)
    assert client.get("/queue/").status_code == 302  # not signed in yet
    page = client.get(first["Location"])
    assert page.status_code == 200 and "Enter your sign-in code" in page.content.decode()

    done = client.post("/login/code/", {"code": code_for(secret), "next": "/"})

    assert done.status_code == 302 and done["Location"] == "/"
    assert _signed_in(client)
    assert client.session[DEVICE_ID_SESSION_KEY] == TOTPDevice.objects.get(user=engineer).persistent_id
    assert client.get("/queue/").status_code == 200


def test_a_wrong_code_is_refused_and_a_right_one_after_it_signs_in(clock, engineer, secret):
    client = Client()
    _password(client, engineer)

    wrong = client.post("/login/code/", {"code": _wrong(secret)})

    assert wrong.status_code == 400
    assert "That code is not right" in wrong.content.decode()
    assert not _signed_in(client)
    clock.shift(2)  # django-otp slows the next try after a wrong one
    assert client.post("/login/code/", {"code": code_for(secret)}).status_code == 302
    assert _signed_in(client)


def test_the_code_used_to_enrol_cannot_be_replayed(clock, engineer):
    device = two_factor.totp_enrol_start(user=engineer)
    key = b32encode(device.bin_key).decode()
    used = code_for(key)
    two_factor.totp_enrol_confirm(user=engineer, code=used)
    client = Client()
    _password(client, engineer)

    response = client.post("/login/code/", {"code": used})

    assert response.status_code == 400
    assert not _signed_in(client)


def test_a_code_signs_in_once(clock, engineer, secret):
    code = code_for(secret)
    first, second = Client(), Client()
    _password(first, engineer)
    _password(second, engineer)

    assert first.post("/login/code/", {"code": code}).status_code == 302
    assert second.post("/login/code/", {"code": code}).status_code == 400
    assert not _signed_in(second)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({}, "This field is required."),
        ({"code": ""}, "This field is required."),
        ({"code": "1" * 5000}, "at most 16 characters"),
        ({"code": "<img src=x onerror=alert(1)>"}, "at most 16 characters"),
        ({"code": "1; DROP TABLE"}, "Enter the 6-digit code"),
    ],
)
def test_a_missing_or_malformed_code_is_a_400(engineer, secret, data, expected):
    client = Client()
    _password(client, engineer)

    response = client.post("/login/code/", data)

    assert response.status_code == 400
    assert expected in response.content.decode()
    assert "<img src=x" not in response.content.decode()
    assert not _signed_in(client)


def test_wrong_codes_count_with_django_axes_until_the_lockout(engineer, secret):
    assert settings.AXES_FAILURE_LIMIT == 5
    client = Client()
    _password(client, engineer)

    statuses = [client.post("/login/code/", {"code": _wrong(secret)}).status_code for _ in range(5)]

    assert statuses == [400, 400, 400, 400, LOCKED]
    # locked out: neither the right code nor the password gets in from this address
    assert client.post("/login/code/", {"code": code_for(secret)}).status_code == LOCKED
    assert _password(Client(), engineer).status_code == LOCKED
    assert not _signed_in(client)


def test_the_code_step_ends(clock, engineer, secret):
    client = Client()
    _password(client, engineer)
    clock.shift(settings.TWO_FACTOR_STEP_SECONDS + 1)

    response = client.post("/login/code/", {"code": code_for(secret)})

    assert response.status_code == 302 and response["Location"] == "/login/"
    assert not _signed_in(client)


def test_the_code_page_without_a_password_first_goes_back_to_sign_in(db):
    assert Client().get("/login/code/")["Location"] == "/login/"
    assert Client().post("/login/code/", {"code": "123456"})["Location"] == "/login/"


def test_a_changed_password_ends_the_code_step(engineer, secret):
    client = Client()
    _password(client, engineer)
    engineer.set_password("another-long-passphrase-7")
    engineer.save()

    response = client.post("/login/code/", {"code": code_for(secret)})

    assert response["Location"] == "/login/"
    assert not _signed_in(client)


def test_next_is_kept_but_never_leaves_the_site(engineer, secret):
    client = Client()
    first = client.post(
        "/login/?next=https://evil.example/", {"username": engineer.username, "password": PASSWORD}
    )
    assert "evil.example" not in first["Location"]

    done = client.post("/login/code/", {"code": code_for(secret), "next": "https://evil.example/"})

    assert done.status_code == 302 and done["Location"] == "/"


def test_users_without_a_device_sign_in_in_one_step(customer, billing_admin, db):
    for user in (customer, billing_admin):
        client = Client()
        response = _password(client, user)
        assert response.status_code == 302 and "/login/code/" not in response["Location"]
        assert _signed_in(client)


def test_an_unconfirmed_device_asks_nothing(clock, engineer):
    two_factor.totp_enrol_start(user=engineer)
    client = Client()

    assert _password(client, engineer)["Location"] == "/"
    assert _signed_in(client)


# --- the admin site -------------------------------------------------------------------


@pytest.fixture
def admin_engineer(engineer):
    engineer.is_staff = True
    engineer.is_superuser = True
    engineer.save(update_fields=["is_staff", "is_superuser"])
    return engineer


def test_the_admin_login_asks_for_the_code_and_then_lets_in(admin_engineer, secret):
    client = Client()

    first = client.post(
        "/admin/login/?next=/admin/",
        {"username": admin_engineer.username, "password": PASSWORD, "next": "/admin/"},
    )

    assert first.status_code == 302 and first["Location"] == "/login/code/?next=%2Fadmin%2F"
    assert client.get("/admin/").status_code == 302
    done = client.post("/login/code/", {"code": code_for(secret), "next": "/admin/"})
    assert done["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_the_admin_refuses_a_session_not_verified_by_the_device(admin_engineer, secret):
    client = Client()
    client.force_login(admin_engineer)  # a session that never showed a code

    response = client.get("/admin/")

    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_the_admin_lets_in_staff_without_a_device_with_the_password_alone(billing_admin):
    billing_admin.is_staff = True
    billing_admin.save(update_fields=["is_staff"])
    client = Client()

    response = _password(client, billing_admin, path="/admin/login/", next="/admin/")

    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_enrolling_verifies_the_session_it_was_done_in(clock, admin_engineer):
    client = Client()
    client.force_login(admin_engineer)
    client.post("/profile/two-factor/start/")
    key = b32encode(TOTPDevice.objects.get(user=admin_engineer).bin_key).decode()

    client.post("/profile/two-factor/confirm/", {"code": code_for(key)})

    assert client.get("/admin/").status_code == 200


# --- the API token --------------------------------------------------------------------


def _token(user, **extra):
    return APIClient().post(
        TOKEN_URL, {"username": user.username, "password": PASSWORD, **extra}, format="json"
    )


def test_the_api_token_needs_otp_once_a_device_is_on(clock, engineer, secret):
    missing = _token(engineer)
    assert missing.status_code == 401
    assert missing.json()["code"] == "otp_required"
    assert "`otp`" in missing.json()["detail"]

    wrong = _token(engineer, otp=_wrong(secret))
    assert wrong.status_code == 401
    assert wrong.json()["code"] == "otp_invalid"
    assert not AuthToken.objects.exists()

    clock.shift(2)
    code = code_for(secret)
    right = _token(engineer, otp=code)
    assert right.status_code == 200 and right.json()["token"]

    replayed = _token(engineer, otp=code)
    assert replayed.status_code == 401 and replayed.json()["code"] == "otp_invalid"
    assert AuthToken.objects.filter(user=engineer).count() == 1


@pytest.mark.parametrize(
    ("otp", "expected"),
    [
        ("12345", "6 to 8 digits"),
        ("9" * 17, "no more than 16 characters"),
        ("<script>alert(1)</script>", "no more than 16 characters"),
        ("1' OR '1'='1", "6 to 8 digits"),
        (["123456"], "Not a valid string."),
        (123456789012345678901234567890, "no more than 16 characters"),
    ],
)
def test_a_malformed_otp_is_a_400_and_issues_nothing(engineer, secret, otp, expected):
    response = _token(engineer, otp=otp)

    assert response.status_code == 400
    assert expected in " ".join(response.json()["otp"])
    assert not AuthToken.objects.exists()


def test_wrong_api_codes_count_with_django_axes(engineer, secret):
    statuses = [_token(engineer, otp=_wrong(secret)).status_code for _ in range(5)]

    assert statuses == [401, 401, 401, 401, LOCKED]
    assert _token(engineer, otp=code_for(secret)).status_code == LOCKED
    assert not AuthToken.objects.exists()


def test_a_wrong_password_with_a_right_code_is_still_a_wrong_password(engineer, secret):
    response = APIClient().post(
        TOKEN_URL,
        {"username": engineer.username, "password": "guess", "otp": code_for(secret)},
        format="json",
    )

    assert response.status_code == 400
    assert not AuthToken.objects.exists()


def test_customers_sign_in_to_the_api_without_otp(customer):
    assert _token(customer).status_code == 200


def test_the_admin_lists_devices_but_never_shows_a_key(admin_engineer, billing_admin, secret):
    billing_admin.is_staff = True
    billing_admin.is_superuser = True
    billing_admin.save(update_fields=["is_staff", "is_superuser"])
    client = Client()
    client.force_login(billing_admin)  # no device of their own: the password was enough
    device = TOTPDevice.objects.get(user=admin_engineer)

    listing = client.get("/admin/otp_totp/totpdevice/")
    change = client.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/")

    assert listing.status_code == 200 and change.status_code == 200
    for page in (listing.content.decode(), change.content.decode()):
        assert device.key not in page and secret not in page
        assert "qrcode" not in page
