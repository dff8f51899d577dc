"""Signing in with a password, and the signed-in user loaded with their account in one query."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import CustomerFactory


def _sign_in(client, username: str, password: str):
    return client.post("/login/", {"username": username, "password": password})


def test_a_customers_page_reads_the_account_with_the_user_not_in_a_query_of_its_own(
    client, account, settings
):
    settings.SECURE_SSL_REDIRECT = False
    customer = CustomerFactory(account=account, username="ada")
    customer.set_password("a long enough password 1")
    customer.save()
    assert _sign_in(client, "ada", "a long enough password 1").status_code == 302

    with CaptureQueriesContext(connection) as queries:
        response = client.get("/portal/")

    assert response.status_code == 200 and account.name in response.content.decode()
    account_reads = [q["sql"] for q in queries.captured_queries if 'FROM "accounts_account"' in q["sql"]]
    assert account_reads == []  # it came joined to the user
    user_read = next(q["sql"] for q in queries.captured_queries if 'FROM "accounts_user"' in q["sql"])
    assert 'JOIN "accounts_account"' in user_read


def test_a_wrong_password_signs_nobody_in(client, account, settings):
    settings.SECURE_SSL_REDIRECT = False
    customer = CustomerFactory(account=account, username="grace")
    customer.set_password("the right password 22")
    customer.save()

    assert _sign_in(client, "grace", "not the password").status_code == 200  # the form again
    assert client.get("/portal/").status_code == 302


def test_a_deactivated_user_is_signed_out_on_the_next_request(client, account, settings):
    settings.SECURE_SSL_REDIRECT = False
    customer = CustomerFactory(account=account)
    client.force_login(customer)
    assert client.get("/portal/").status_code == 200

    customer.is_active = False
    customer.save()

    assert client.get("/portal/").status_code == 302
