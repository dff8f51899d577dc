"""Staff enrol a TOTP device on their profile (secret, otpauth:// URI, QR code), confirm it with a real
code and remove it with a current one; customers never see the option (403)."""

from urllib.parse import parse_qs, unquote, urlparse

import pytest
import time_machine
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.support.totp import START, code_for, secret_on


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _start(client) -> str:
    """Start enrolment; the base32 key the page shows."""
    assert client.post("/profile/two-factor/start/").status_code == 302
    page = client.get("/profile/two-factor/")
    assert page.status_code == 200
    return secret_on(page.content.decode())


@pytest.mark.parametrize("role", ["engineer", "billing_admin"])
def test_staff_enrol_with_a_real_code_from_the_shown_key(request, clock, role):
    user = request.getfixturevalue(role)
    client = _signed_in(user)
    assert "Set up an authenticator app" in client.get("/profile/").content.decode()

    secret = _start(client)

    page = client.get("/profile/two-factor/").content.decode()
    uri = unquote(page.split('id="totp-uri">')[1].split("<")[0].replace("&amp;", "&"))
    parsed = urlparse(uri)
    assert parsed.scheme == "otpauth" and parsed.netloc == "totp"
    assert parsed.path == f"/Pledge:{user.username}"
    query = parse_qs(parsed.query)
    assert query["secret"] == [secret] and query["issuer"] == ["Pledge"] and query["digits"] == ["6"]
    assert '<svg width="' in page and 'class="segno"' in page
    device = TOTPDevice.objects.get(user=user)
    assert not device.confirmed  # not before a code proves the app holds the key

    response = client.post("/profile/two-factor/confirm/", {"code": code_for(secret)})

    assert response.status_code == 302 and response["Location"] == "/profile/"
    device.refresh_from_db()
    assert device.confirmed
    assert "On: every sign-in asks for a code" in client.get("/profile/").content.decode()


def test_a_wrong_code_does_not_turn_it_on(clock, engineer):
    client = _signed_in(engineer)
    secret = _start(client)
    wrong = f"{(int(code_for(secret)) + 1) % 1_000_000:06d}"

    response = client.post("/profile/two-factor/confirm/", {"code": wrong})

    assert response.status_code == 400
    assert "That code is not right" in response.content.decode()
    assert not TOTPDevice.objects.get(user=engineer).confirmed


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("", "This field is required."),
        ("12345", "Enter the 6-digit code"),
        ("12a456", "Enter the 6-digit code"),
        ("9" * 17, "at most 16 characters"),
        ("1" * 10_000, "at most 16 characters"),
        ("<script>alert(1)</script>", "at most 16 characters"),
        ("' OR 1=1 --", "Enter the 6-digit code"),
        ("１２３４５６", "Enter the 6-digit code"),  # full-width digits are no code
    ],
)
def test_bad_codes_are_a_400_and_change_nothing(clock, engineer, code, expected):
    client = _signed_in(engineer)
    _start(client)
    before = TOTPDevice.objects.values().get(user=engineer)

    response = client.post("/profile/two-factor/confirm/", {"code": code})

    assert response.status_code == 400
    assert expected in response.content.decode()
    assert "<script>alert" not in response.content.decode()
    assert TOTPDevice.objects.values().get(user=engineer) == before


def test_remove_needs_a_current_code_and_refuses_a_replayed_one(clock, engineer):
    client = _signed_in(engineer)
    secret = _start(client)
    first = code_for(secret)
    assert client.post("/profile/two-factor/confirm/", {"code": first}).status_code == 302

    replayed = client.post("/profile/two-factor/remove/", {"code": first})
    assert replayed.status_code == 400
    assert TOTPDevice.objects.filter(user=engineer, confirmed=True).exists()

    clock.shift(30)  # the next step; the replay's failure throttle (1 s) is long over
    response = client.post("/profile/two-factor/remove/", {"code": code_for(secret)})

    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=engineer).exists()
    assert "Off: a password alone signs you in." in client.get("/profile/").content.decode()


def test_starting_again_while_on_keeps_the_device(clock, engineer):
    client = _signed_in(engineer)
    secret = _start(client)
    client.post("/profile/two-factor/confirm/", {"code": code_for(secret)})
    device = TOTPDevice.objects.get(user=engineer)

    response = client.post("/profile/two-factor/start/", follow=True)

    assert "already on" in response.content.decode()
    assert list(TOTPDevice.objects.filter(user=engineer)) == [device]


def test_starting_again_before_confirming_replaces_the_key(clock, engineer):
    client = _signed_in(engineer)
    first = _start(client)
    second = _start(client)

    assert first != second
    assert TOTPDevice.objects.filter(user=engineer).count() == 1
    # the first key no longer confirms anything
    assert client.post("/profile/two-factor/confirm/", {"code": code_for(first)}).status_code == 400


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/profile/two-factor/"),
        ("post", "/profile/two-factor/start/"),
        ("post", "/profile/two-factor/confirm/"),
        ("post", "/profile/two-factor/remove/"),
    ],
)
def test_customers_get_a_403_and_nothing_is_created(customer, method, path):
    client = _signed_in(customer)

    response = getattr(client, method)(path, {"code": "123456"} if method == "post" else None)

    assert response.status_code == 403
    assert not TOTPDevice.objects.exists()


def test_customers_never_see_the_option_on_their_profile(customer):
    page = _signed_in(customer).get("/profile/").content.decode()

    assert "Two-factor" not in page and "/profile/two-factor/" not in page


@pytest.mark.parametrize("path", ["/profile/two-factor/", "/profile/two-factor/start/"])
def test_the_pages_need_a_sign_in(db, path):
    response = Client().post(path) if path.endswith("start/") else Client().get(path)

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    assert not TOTPDevice.objects.exists()


def test_confirm_or_remove_without_a_device_says_so(engineer):
    client = _signed_in(engineer)

    confirm = client.post("/profile/two-factor/confirm/", {"code": "123456"}, follow=True)
    remove = client.post("/profile/two-factor/remove/", {"code": "123456"}, follow=True)

    assert "start the set-up again" in confirm.content.decode()
    assert "Two-factor sign-in is not on." in remove.content.decode()
