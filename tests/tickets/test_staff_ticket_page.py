"""Staff open a ticket on a customer's behalf from a page, naming one of that account's covered items."""

import pytest
from django.urls import reverse

from helpdesk.tickets.models import Ticket, TicketEvent
from tests.factories import AccountFactory, CustomerFactory, MonitoredItemFactory, plan

PAGE = reverse("staff_ticket_new")


@pytest.fixture(autouse=True)
def _plain_http(settings):
    settings.SECURE_SSL_REDIRECT = False


@pytest.fixture
def business_account(db):
    return AccountFactory(plan=plan("business"), name="Werner client")


@pytest.fixture
def caller(business_account):
    return CustomerFactory(account=business_account, first_name="Ada", last_name="Caller")


@pytest.fixture
def shop(business_account):
    return MonitoredItemFactory(account=business_account, name="Web shop", level="critical")


def _form(who, **overrides) -> dict:
    data = {
        "requester": who.pk,
        "channel": "phone",
        "subject": "Shop down",
        "description": "Called at 10:02: checkout fails.",
        "priority": "general",
        "severity": "fatal",
    }
    data.update(overrides)
    return data


def _as(client, request, role):
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    return client


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 302),
        ("customer", 403),
        ("other_customer", 403),
        ("engineer", 200),
        ("billing_admin", 200),
    ],
)
def test_the_page_is_for_support_staff(
    client, request, account, other_account, business_account, role, status
):
    response = _as(client, request, role).get(f"{PAGE}?account={business_account.pk}")

    assert response.status_code == status


def test_the_account_step_lists_accounts_and_the_form_offers_only_that_accounts_items(
    client, engineer, business_account, caller, shop
):
    elsewhere = AccountFactory(plan=business_account.plan, name="Elsewhere Ltd")
    their_item = MonitoredItemFactory(account=elsewhere, name="Their CRM")
    their_customer = CustomerFactory(account=elsewhere, username="theirs")
    retired = MonitoredItemFactory(account=business_account, name="Old FTP", is_active=False)
    client.force_login(engineer)

    chooser = client.get(PAGE).content.decode()
    html = client.get(f"{PAGE}?account={business_account.pk}").content.decode()

    assert "Werner client" in chooser and "Elsewhere Ltd" in chooser
    item_select = html[html.index('name="item"') : html.index("</select>", html.index('name="item"'))]
    requester_select = html[
        html.index('name="requester"') : html.index("</select>", html.index('name="requester"'))
    ]
    assert f'value="{shop.pk}"' in item_select and "Web shop" in item_select
    assert f'value="{their_item.pk}"' not in item_select and f'value="{retired.pk}"' not in item_select
    assert f'value="{caller.pk}"' in requester_select
    assert f'value="{their_customer.pk}"' not in requester_select and their_customer.email not in html


def test_an_engineer_opens_a_phone_ticket_on_the_item(client, engineer, business_account, caller, shop):
    client.force_login(engineer)

    response = client.post(f"{PAGE}?account={business_account.pk}", _form(caller, item=shop.pk))

    ticket = Ticket.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("ticket_detail", args=[ticket.pk])
    assert (ticket.account, ticket.created_by, ticket.channel) == (business_account, caller, "phone")
    assert ticket.item == shop and ticket.work_started_target == 3600  # critical:fatal
    assert TicketEvent.objects.filter(ticket=ticket, code="opened_by_staff", actor=engineer).exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"item": "other"}, "item"),
        ({"item": "abc"}, "item"),
        ({"item": 10**30}, "item"),
        ({"requester": "other"}, "requester"),
        ({"requester": ""}, "requester"),
        ({"channel": "pigeon"}, "channel"),
        ({"subject": ""}, "subject"),
        ({"subject": "x" * 201}, "subject"),
        ({"severity": "apocalyptic"}, "severity"),
        ({"priority": "high", "service_unavailable": ""}, "affected_service"),
        ({"description": "<script>alert(1)</script>" * 2000}, "description"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(
    client, engineer, business_account, caller, shop, overrides, field
):
    elsewhere = AccountFactory(plan=business_account.plan)
    if overrides.get("item") == "other":
        overrides["item"] = MonitoredItemFactory(account=elsewhere).pk
    if overrides.get("requester") == "other":
        overrides["requester"] = CustomerFactory(account=elsewhere).pk
    client.force_login(engineer)

    response = client.post(f"{PAGE}?account={business_account.pk}", _form(caller, **overrides))

    assert response.status_code == 400
    assert f'id="id_{field}_error"' in response.content.decode()
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("value", ["abc", "1 OR 1=1", "9" * 30])
def test_a_malformed_account_is_a_400(client, engineer, value):
    client.force_login(engineer)

    response = client.get(PAGE, {"account": value})

    assert response.status_code == 400 and 'id="id_account_error"' in response.content.decode()


def test_an_unknown_or_ended_account_is_a_404(client, engineer, business_account, caller):
    ended = AccountFactory(plan=business_account.plan, is_active=False)
    client.force_login(engineer)

    assert client.get(PAGE, {"account": 999_999}).status_code == 404
    assert client.post(f"{PAGE}?account={ended.pk}", _form(caller)).status_code == 404
    assert not Ticket.objects.exists()


def test_a_customer_cannot_post_the_form(client, customer, business_account, caller):
    client.force_login(customer)

    response = client.post(f"{PAGE}?account={business_account.pk}", _form(caller))

    assert response.status_code == 403
    assert not Ticket.objects.exists()


def test_the_queue_links_to_the_page(client, engineer):
    client.force_login(engineer)

    assert f'href="{PAGE}"' in client.get(reverse("queue")).content.decode()


def test_the_page_runs_the_same_queries_with_more_items(
    client, engineer, business_account, caller, django_assert_max_num_queries
):
    client.force_login(engineer)
    MonitoredItemFactory(account=business_account)
    client.get(f"{PAGE}?account={business_account.pk}")
    with django_assert_max_num_queries(20) as few:
        client.get(f"{PAGE}?account={business_account.pk}")
    for _ in range(15):
        MonitoredItemFactory(account=business_account)
        CustomerFactory(account=business_account)
    with django_assert_max_num_queries(20) as many:
        client.get(f"{PAGE}?account={business_account.pk}")

    assert len(many.captured_queries) == len(few.captured_queries)
