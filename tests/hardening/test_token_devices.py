"""API tokens carry a device name (given, or the User-Agent), shown in the API's and the page's lists."""

import pytest
from django.test import Client
from knox.models import AuthToken
from rest_framework.test import APIClient

from tests.factories import PASSWORD

TOKEN_URL = "/api/v1/auth/token/"


def _issue(user, *, user_agent=None, **extra):
    headers = {"HTTP_USER_AGENT": user_agent} if user_agent is not None else {}
    return APIClient().post(
        TOKEN_URL, {"username": user.username, "password": PASSWORD, **extra}, format="json", **headers
    )


def _listed(user) -> list[dict]:
    api = APIClient()
    api.force_authenticate(user)
    response = api.get("/api/v1/auth/tokens/")
    assert response.status_code == 200
    return response.json()


def test_a_named_device_is_listed_by_the_api_and_on_the_profile_page(customer):
    response = _issue(customer, device="  Ops   laptop ", user_agent="curl/8.5.0")
    assert response.status_code == 200
    key = response.json()["token"]

    assert [(t["token_key"], t["device"]) for t in _listed(customer)] == [(key[:15], "Ops laptop")]
    client = Client()
    client.force_login(customer)
    page = client.get("/profile/").content.decode()
    assert "<td>Ops laptop</td>" in page


def test_without_a_name_the_user_agent_names_the_device_cut_short(customer):
    agent = (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
    )

    assert _issue(customer, user_agent=agent).status_code == 200
    assert _issue(customer, device="   ", user_agent="curl/8.5.0").status_code == 200

    names = [t["device"] for t in _listed(customer)]
    assert names[0] == "curl/8.5.0"
    assert len(names[1]) == 64
    assert names[1] == agent[:63] + "…"


def test_a_hostile_user_agent_is_stored_as_plain_text_and_shown_escaped(customer):
    assert _issue(customer, user_agent="<script>alert(1)</script>\x07bot").status_code == 200

    [listed] = _listed(customer)
    assert listed["device"] == "script alert(1) /script bot"
    client = Client()
    client.force_login(customer)
    assert "<script>alert" not in client.get("/profile/").content.decode()


def test_no_name_and_no_user_agent_shows_a_dash(customer):
    assert _issue(customer, user_agent="").status_code == 200

    assert _listed(customer)[0]["device"] == ""
    client = Client()
    client.force_login(customer)
    assert "<td>—</td>" in client.get("/profile/").content.decode()


@pytest.mark.parametrize(
    ("device", "expected"),
    [
        ("x" * 65, "no more than 64 characters"),
        ("<b>laptop</b>", "plain text"),
        ("laptop<script>alert(1)</script>", "plain text"),
        ("lap\u202etop", "plain text"),  # a right-to-left override would disguise the name
        ("lap\x07top", "plain text"),
        ("lap\x00top", "Null characters are not allowed."),
        (["laptop"], "Not a valid string."),
        ({"name": "laptop"}, "Not a valid string."),
    ],
)
def test_a_bad_device_name_is_a_400_and_issues_no_token(customer, device, expected):
    response = _issue(customer, device=device)

    assert response.status_code == 400
    assert expected in " ".join(response.json()["device"])
    assert not AuthToken.objects.exists()


def test_a_wrong_password_with_a_device_name_issues_nothing(customer):
    response = APIClient().post(
        TOKEN_URL, {"username": customer.username, "password": "guess", "device": "laptop"}, format="json"
    )

    assert response.status_code == 400
    assert not AuthToken.objects.exists()


def test_the_token_list_reads_in_a_bounded_number_of_queries(customer, django_assert_max_num_queries):
    for n in range(6):
        assert _issue(customer, device=f"device {n}").status_code == 200
    api = APIClient()
    api.force_authenticate(customer)

    with django_assert_max_num_queries(2):
        response = api.get("/api/v1/auth/tokens/")

    assert sorted(t["device"] for t in response.json()) == [f"device {n}" for n in range(6)]


def test_the_profile_page_lists_devices_in_a_bounded_number_of_queries(
    customer, django_assert_max_num_queries
):
    for n in range(6):
        assert _issue(customer, device=f"device {n}").status_code == 200
    client = Client()
    client.force_login(customer)

    with django_assert_max_num_queries(8):
        page = client.get("/profile/").content.decode()

    assert all(f"<td>device {n}</td>" in page for n in range(6))
