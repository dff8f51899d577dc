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


# --- the prepared user query (helpdesk.kit.prepared) -------------------------------------------


def _fields(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in type(instance)._meta.concrete_fields}


def test_the_backend_returns_the_user_and_account_the_orm_would(account, django_assert_num_queries):
    from helpdesk.accounts.backends import AccountModelBackend
    from helpdesk.accounts.models import User

    customer = CustomerFactory(account=account, timezone="Europe/Berlin")
    expected = User.objects.select_related("account").get(pk=customer.pk)

    with django_assert_num_queries(1):
        user = AccountModelBackend().get_user(customer.pk)
        assert user.account.name == account.name  # joined: no second query

    assert type(user) is User and _fields(user) == _fields(expected)
    assert _fields(user.account) == _fields(expected.account)
    assert user.account.monthly_fee == account.monthly_fee and user.date_joined.tzinfo is not None
    assert user._state.adding is False and user._state.db == "default"


def test_the_backend_loads_staff_without_an_account_and_each_user_afresh(account):
    from helpdesk.accounts.backends import AccountModelBackend
    from tests.factories import EngineerFactory

    engineer, customer = EngineerFactory(), CustomerFactory(account=account)
    backend = AccountModelBackend()

    assert backend.get_user(engineer.pk).account is None
    assert backend.get_user(customer.pk).pk == customer.pk  # the same prepared query, a new value
    customer.first_name = "Renamed"
    customer.save()
    assert backend.get_user(customer.pk).first_name == "Renamed"  # read again, never kept


def test_the_backend_finds_nobody_for_unknown_hostile_or_huge_ids(account):
    from helpdesk.accounts.backends import AccountModelBackend

    backend = AccountModelBackend()
    for user_id in (0, -1, 10**6, 2**63, -(2**70), "1 OR 1=1", "<b>", None, "", 3.5):
        assert backend.get_user(user_id) is None, user_id


def test_a_prepared_get_takes_only_plain_querysets_with_the_value_once(account):
    import pytest
    from django.db.models import F

    from helpdesk.accounts.models import User
    from helpdesk.kit.prepared import PreparedGet

    customer = CustomerFactory(account=account)
    assert PreparedGet(lambda pk: User.objects.filter(pk=pk)).get(customer.pk) == customer
    for build in (
        lambda pk: User.objects.filter(pk=pk).annotate(two=F("pk") + 1),
        lambda pk: User.objects.filter(pk=pk).only("username"),
        lambda pk: User.objects.filter(pk=pk, account_id=pk),
        lambda pk: User.objects.filter(username="nobody"),
    ):
        with pytest.raises(ValueError):
            PreparedGet(build).get(customer.pk)
