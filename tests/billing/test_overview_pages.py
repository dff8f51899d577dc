"""The account page, the engineer page and the list of accounts: who may see them, what they show,
bad input, and queries that do not grow with the tickets."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from billing.models import Subscription, Voucher
from billing.services.claims import claim_approve, claim_open
from billing.services.subscriptions import subscription_change
from helpdesk.chat.services.escalation import chat_log_phone
from helpdesk.tickets.models import Tag, Ticket, TicketEvent, TicketStatus
from helpdesk.tickets.services.messages import message_create
from helpdesk.tickets.services.ratings import ticket_rate
from helpdesk.tickets.services.tickets import ticket_start_work, ticket_transition
from helpdesk.tickets.services.workspace import ticket_assign, ticket_set_tags
from sla.terms.services.plans import plan_update
from sla.uptime.services.items import item_create
from tests.billing.conftest import NOW, T0, record_misses, user_for
from tests.factories import AccountFactory, CustomerFactory, EngineerFactory, make_ticket

pytestmark = pytest.mark.django_db

# Measured; the same at a few tickets and at many. Session and user (2), base's account (1), then:
# account, term, counts, open (+ tags), recent, summary (6), misses, vouchers, items, chats, people,
# ratings share and comments.
ACCOUNT_PAGE_QUERIES = 20
# engineer, open count and rows, resolved, misses count and rows, ratings by month and comments
ENGINEER_PAGE_QUERIES = 10
ACCOUNT_LIST_QUERIES = 4  # session, user, count, the page with its numbers

ROLES = ["anonymous", "customer", "other_customer", "engineer", "billing_admin"]
HOSTILE_MONTHS = [
    "2026-13",
    "march",
    "9999-01",  # far in the future
    "1900-01",  # far in the past
    "<script>alert(1)</script>",
    "2026-03' OR '1'='1",
    "2026-03" * 200,  # oversized
    "99999999999999999999",  # a huge number
]


def matrix(*statuses):
    return pytest.mark.parametrize(("role", "status"), list(zip(ROLES, statuses, strict=True)))


def as_user(client, user):
    if user is not None:
        client.force_login(user)
    return client


def expect(response, status):
    if status == "login":
        assert response.status_code == 302 and response.url.startswith(reverse("login"))
    else:
        assert response.status_code == status, response.content[:500]


def resolved_and_rated(customer, engineer, *, rating="good", comment="", subject="Fixed quickly"):
    ticket = make_ticket(customer=customer, subject=subject)
    ticket_assign(ticket=ticket, actor=engineer, assignee=engineer)
    message_create(ticket=ticket, author=engineer, body="Restart the agent.")
    ticket = ticket_transition(ticket=ticket, actor=engineer, to_status=TicketStatus.RESOLVED)
    ticket_rate(ticket=ticket, user=customer, rating=rating, comment=comment)
    return ticket


@pytest.fixture
def lived_in(customer, engineer, billing_admin):
    """An account with a bit of everything: people, tickets in every state, a miss with its
    voucher, a monitored item, a phone call, ratings."""
    account = customer.account
    CustomerFactory(account=account, first_name="Grace", last_name="Hopper")
    owner = EngineerFactory(first_name="Ada", last_name="Lovelace")
    internal = Tag.objects.create(name="vip-watch", internal=True)
    Tag.objects.create(name="billing")
    open_ticket = make_ticket(customer=customer, subject="Exports are slow")
    ticket_assign(ticket=open_ticket, actor=engineer, assignee=owner)
    ticket_set_tags(ticket=open_ticket, actor=engineer, names=[internal.name, "billing"])
    (miss,) = record_misses(customer, 1, subject="Checkout is down")
    claim_approve(claim=claim_open(miss=miss, created_by=customer), actor=billing_admin, now=NOW)
    resolved_and_rated(customer, owner, comment="Quick and kind", subject="Password reset")
    resolved_and_rated(customer, owner, rating="bad", comment="Took <b>ages</b>", subject="Slow answer")
    item_create(created_by=billing_admin, account=account, name="Web shop")
    chat_log_phone(
        account=account,
        logged_by=engineer,
        caller="Grace",
        started_at=NOW - dt.timedelta(hours=1),
        duration=300,
    )
    return {"account": account, "owner": owner, "open": open_ticket, "miss": miss}


# --- the account page ---------------------------------------------------------------------------


@matrix("login", 200, 404, 200, 200)
def test_account_page_matrix(request, client, customer, role, status):
    response = as_user(client, user_for(request, role)).get(
        reverse("account_detail", args=[customer.account_id])
    )
    expect(response, status)


def test_the_account_page_of_an_account_that_does_not_exist_is_404(client, engineer):
    page = as_user(client, engineer)
    assert page.get("/accounts/987654/").status_code == 404
    assert page.get("/accounts/99999999999999999999/").status_code == 404
    assert page.get("/accounts/-1/").status_code == 404
    assert page.get("/accounts/abc/").status_code == 404


def test_staff_see_plan_people_tickets_misses_credits_items_chats_and_ratings(client, engineer, lived_in):
    account = lived_in["account"]
    response = as_user(client, engineer).get(reverse("account_detail", args=[account.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    page = response.context["page"]
    assert f"{account.plan.name} plan (version {account.plan.version})" in html
    assert "1000.00 USD a month" in html
    assert "Grace Hopper" in html
    assert {t.pk for t in page.open_tickets} == {lived_in["open"].pk, lived_in["miss"].ticket_id}
    assert f'data-open-ticket="{lived_in["open"].pk}"' in html
    assert "Ada Lovelace" in html and reverse("engineer_detail", args=[lived_in["owner"].pk]) in html
    assert "vip-watch" in html and "billing" in html  # staff see every tag
    assert {t.subject for t in page.recent_tickets} == {"Password reset", "Slow answer"}
    assert f'data-miss="{lived_in["miss"].pk}"' in html
    voucher = Voucher.objects.get(miss=lived_in["miss"])
    assert page.summary.vouchers_total == voucher.amount == Decimal("50.000")
    assert page.summary.cap_remaining == Decimal("950.00")
    assert "950.00" in html
    assert [item.name for item in page.items] == ["Web shop"] and "Not probed yet" in html
    assert len(page.chats) == 1 and "Phone call" in html
    assert (page.ratings.ratings, page.ratings.good, page.ratings.good_percent) == (2, 1, 50)
    assert "Quick and kind" in html
    assert "Took &lt;b&gt;ages&lt;/b&gt;" in html and "<b>ages</b>" not in html  # escaped


def test_a_customer_sees_their_own_account_without_assignees_or_tags(client, customer, lived_in):
    response = as_user(client, customer).get(reverse("account_detail", args=[customer.account_id]))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Exports are slow" in html and "Checkout is down" in html
    assert "Ada Lovelace" not in html and "/engineers/" not in html
    assert "vip-watch" not in html and ">billing<" not in html
    assert "Assignee" not in html
    assert f'href="{reverse("account_list")}"' not in html  # the breadcrumb leads to their portal instead
    # the month's money is theirs to see, as on their month page
    assert "950.00" in html and "Quick and kind" in html


def test_the_account_page_shows_the_subscription_term_in_force(client, billing_admin, customer, plans):
    subscription_change(
        account=customer.account,
        starts_on=dt.date(2026, 3, 1),
        plan=plans["premium"],
        monthly_fee=Decimal("2500.00"),
        currency="EUR",
        actor=billing_admin,
    )
    response = as_user(client, billing_admin).get(reverse("account_detail", args=[customer.account_id]))

    html = response.content.decode()
    assert f"{plans['premium'].name} plan (version {plans['premium'].version})" in html
    assert "2500.00 EUR a month" in html
    assert "since March 2026" in html


def test_the_account_page_names_the_pinned_plan_version_not_the_latest_edit(
    client, billing_admin, customer, plans
):
    premium = plans["premium"]
    subscription_change(
        account=customer.account,
        starts_on=dt.date(2026, 3, 1),
        plan=premium,
        monthly_fee=Decimal("2500.00"),
        currency="EUR",
        actor=billing_admin,
    )
    pinned = Subscription.objects.get(account=customer.account).plan_version.version
    plan_update(plan=premium, name="Premium Plus", actor=billing_admin)  # a later edit: a new version
    premium.refresh_from_db()
    assert premium.version == pinned + 1

    response = as_user(client, billing_admin).get(reverse("account_detail", args=[customer.account_id]))

    assert f"plan (version {pinned})" in response.content.decode()


def test_another_month_shows_that_months_misses(client, engineer, customer):
    record_misses(customer, 2, start=T0 - dt.timedelta(days=30))  # February
    page = as_user(client, engineer)

    march = page.get(reverse("account_detail", args=[customer.account_id]))
    february = page.get(reverse("account_detail", args=[customer.account_id]), {"month": "2026-02"})

    assert march.context["page"].summary.misses == 0
    assert february.status_code == 200 and february.context["page"].summary.misses == 2
    assert 'href="?month=2026-03"' in february.content.decode()  # the way back to this month


@pytest.mark.parametrize("month", HOSTILE_MONTHS)
def test_a_bad_month_is_a_400_naming_the_field_and_writes_nothing(client, engineer, customer, month):
    make_ticket(customer=customer)
    before = (Ticket.objects.count(), TicketEvent.objects.count())

    response = as_user(client, engineer).get(
        reverse("account_detail", args=[customer.account_id]), {"month": month}
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "That month is not valid" in html and "YYYY-MM" in html
    assert f'<a href="{reverse("account_detail", args=[customer.account_id])}">Show this month</a>' in html
    assert "<script>alert(1)</script>" not in html
    assert (Ticket.objects.count(), TicketEvent.objects.count()) == before


@pytest.mark.parametrize("url", ["account_detail", "engineer_detail"])
def test_the_pages_refuse_writes(client, engineer, customer, url):
    pk = customer.account_id if url == "account_detail" else engineer.pk
    response = as_user(client, engineer).post(reverse(url, args=[pk]), {"month": "2026-03"})
    assert response.status_code == 405


def _queries(page, url, **params) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert page.get(url, params).status_code == 200
    return len(queries)


def _grow(customer, owner, engineer, n):
    for i in range(n):
        ticket = make_ticket(customer=customer, subject=f"Ticket {i}")
        ticket_assign(ticket=ticket, actor=engineer, assignee=owner)
        if i % 3 == 0:
            ticket_start_work(ticket=ticket, actor=owner)
            message_create(ticket=ticket, author=owner, body="Done.")
            ticket = ticket_transition(ticket=ticket, actor=owner, to_status=TicketStatus.RESOLVED)
            ticket_rate(ticket=ticket, user=customer, rating="good", comment=f"Thanks {i}")
    record_misses(customer, n // 2, start=T0 + dt.timedelta(days=1))


@pytest.mark.parametrize("role", ["engineer", "customer"])
def test_account_page_queries_do_not_grow_with_the_tickets(
    request, client, engineer, customer, lived_in, role
):
    page = as_user(client, request.getfixturevalue(role))
    url = reverse("account_detail", args=[customer.account_id])
    few = _queries(page, url)
    _grow(customer, lived_in["owner"], engineer, 40)
    assert _queries(page, url) == few
    assert few <= ACCOUNT_PAGE_QUERIES


# --- the engineer page --------------------------------------------------------------------------


@matrix("login", 403, 403, 200, 200)
def test_engineer_page_matrix(request, client, engineer, customer, role, status):
    owner = EngineerFactory()
    before = TicketEvent.objects.count()
    response = as_user(client, user_for(request, role)).get(reverse("engineer_detail", args=[owner.pk]))
    expect(response, status)
    assert TicketEvent.objects.count() == before


def test_only_staff_have_an_engineer_page(client, engineer, billing_admin, customer):
    page = as_user(client, engineer)
    assert page.get(reverse("engineer_detail", args=[customer.pk])).status_code == 404  # a customer
    assert page.get(reverse("engineer_detail", args=[billing_admin.pk])).status_code == 200
    assert page.get(reverse("engineer_detail", args=[engineer.pk])).status_code == 200  # their own
    assert page.get("/engineers/987654/").status_code == 404
    assert page.get("/engineers/99999999999999999999/").status_code == 404


def test_the_engineer_page_shows_open_resolved_ratings_and_misses(client, engineer, customer, lived_in):
    owner = lived_in["owner"]
    ticket_assign(ticket=Ticket.objects.get(pk=lived_in["miss"].ticket_id), actor=engineer, assignee=owner)
    someone_elses = make_ticket(customer=customer, subject="Not theirs")

    response = as_user(client, engineer).get(reverse("engineer_detail", args=[owner.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    page = response.context["page"]
    assert {t.pk for t in page.open_tickets} == {lived_in["open"].pk, lived_in["miss"].ticket_id}
    assert someone_elses.pk not in {t.pk for t in page.open_tickets} and "Not theirs" not in html
    assert {t.subject for t in page.resolved_tickets} == {"Password reset", "Slow answer"}
    march = page.ratings[0]
    assert (march.month, march.ratings, march.good, march.good_percent) == ("2026-03", 2, 1, 50)
    assert [share.month for share in page.ratings] == [
        "2026-03",
        "2026-02",
        "2026-01",
        "2025-12",
        "2025-11",
        "2025-10",
    ]
    assert "Quick and kind" in html and "Took &lt;b&gt;ages&lt;/b&gt;" in html
    assert [m.pk for m in page.misses] == [lived_in["miss"].pk] and page.misses_counted == 1
    assert reverse("account_detail", args=[customer.account_id]) in html


def test_the_engineer_page_of_another_month(client, engineer, customer, lived_in):
    response = as_user(client, engineer).get(
        reverse("engineer_detail", args=[lived_in["owner"].pk]), {"month": "2026-02"}
    )
    page = response.context["page"]
    assert response.status_code == 200 and page.misses == [] and page.ratings[0].ratings == 0
    assert page.ratings[1].month == "2026-01"


@pytest.mark.parametrize("month", HOSTILE_MONTHS)
def test_a_bad_month_on_the_engineer_page_is_a_400(client, engineer, month):
    response = as_user(client, engineer).get(reverse("engineer_detail", args=[engineer.pk]), {"month": month})
    assert response.status_code == 400
    html = response.content.decode()
    assert "That month is not valid" in html
    assert f'<a href="{reverse("engineer_detail", args=[engineer.pk])}">Show this month</a>' in html


def test_engineer_page_queries_do_not_grow_with_the_tickets(client, engineer, customer, lived_in):
    page = as_user(client, engineer)
    url = reverse("engineer_detail", args=[lived_in["owner"].pk])
    few = _queries(page, url)
    _grow(customer, lived_in["owner"], engineer, 40)
    assert _queries(page, url) == few
    assert few <= ENGINEER_PAGE_QUERIES


# --- the list of accounts -----------------------------------------------------------------------


@matrix("login", 403, 403, 200, 200)
def test_account_list_matrix(request, client, customer, other_customer, role, status):
    response = as_user(client, user_for(request, role)).get(reverse("account_list"))
    expect(response, status)


def test_the_list_links_each_account_with_its_numbers(client, engineer, customer, other_customer):
    record_misses(customer, 2)
    make_ticket(customer=other_customer)

    response = as_user(client, engineer).get(reverse("account_list"))

    html = response.content.decode()
    rows = {account.pk: account for account in response.context["page"].object_list}
    assert rows[customer.account_id].open_tickets == 2 and rows[customer.account_id].month_misses == 2
    assert (
        rows[other_customer.account_id].open_tickets == 1
        and rows[other_customer.account_id].month_misses == 0
    )
    assert rows[customer.account_id].people == 1
    for account_id in rows:
        assert reverse("account_detail", args=[account_id]) in html


def test_the_list_finds_accounts_by_name(client, engineer, plans):
    AccountFactory(name="Acme Widgets", plan=plans["standard"])
    AccountFactory(name="Globex", plan=plans["standard"])
    response = as_user(client, engineer).get(reverse("account_list"), {"q": "acme"})
    assert [a.name for a in response.context["page"].object_list] == ["Acme Widgets"]


@pytest.mark.parametrize(
    "params",
    [
        {"q": "x" * 101},
        {"page": "abc"},
        {"page": "0"},
        {"page": "-3"},
        {"page": "99999999999999999999"},
        {"page": "1.5"},
    ],
)
def test_bad_list_input_is_a_400_naming_the_field(client, engineer, customer, params):
    response = as_user(client, engineer).get(reverse("account_list"), params)
    assert response.status_code == 400
    assert "field--invalid" in response.content.decode() or "Page:" in response.content.decode()


def test_hostile_search_text_is_only_text(client, engineer, customer):
    response = as_user(client, engineer).get(
        reverse("account_list"), {"q": "'; DROP TABLE accounts_account; --"}
    )
    assert response.status_code == 200 and list(response.context["page"].object_list) == []
    response = as_user(client, engineer).get(reverse("account_list"), {"q": "<script>x</script>"})
    assert response.status_code == 200 and "<script>x</script>" not in response.content.decode()


def test_a_page_past_the_end_shows_the_last_page(client, engineer, customer):
    response = as_user(client, engineer).get(reverse("account_list"), {"page": "500"})
    assert response.status_code == 200 and response.context["page"].number == 1


def test_account_list_queries_do_not_grow(client, engineer, plans):
    page = as_user(client, engineer)
    AccountFactory(plan=plans["standard"])
    few = _queries(page, reverse("account_list"))
    for _ in range(30):
        customer = CustomerFactory(account=AccountFactory(plan=plans["standard"]))
        make_ticket(customer=customer)
    assert _queries(page, reverse("account_list")) == few <= ACCOUNT_LIST_QUERIES


# --- where the pages are linked from ------------------------------------------------------------


def test_queue_rows_link_the_account_and_the_assignee(client, engineer, customer):
    ticket = make_ticket(customer=customer)
    ticket_assign(ticket=ticket, actor=engineer, assignee=engineer)

    html = as_user(client, engineer).get(reverse("queue")).content.decode()

    assert f'href="/accounts/{customer.account_id}/"' in html
    assert f'href="/engineers/{engineer.pk}/"' in html
    assert reverse("account_detail", args=[customer.account_id]) == f"/accounts/{customer.account_id}/"
    assert reverse("engineer_detail", args=[engineer.pk]) == f"/engineers/{engineer.pk}/"


def test_the_ticket_page_links_the_account_for_staff_only(client, engineer, customer):
    ticket = make_ticket(customer=customer)
    ticket_assign(ticket=ticket, actor=engineer, assignee=engineer)
    account_url = reverse("account_detail", args=[customer.account_id])

    staff_html = as_user(client, engineer).get(reverse("ticket_detail", args=[ticket.pk])).content.decode()
    assert account_url in staff_html and reverse("engineer_detail", args=[engineer.pk]) in staff_html

    client.logout()
    customer_html = as_user(client, customer).get(reverse("ticket_detail", args=[ticket.pk])).content.decode()
    assert "/engineers/" not in customer_html


def test_the_sla_report_and_the_menu_link_the_accounts(client, engineer, customer):
    html = as_user(client, engineer).get(reverse("sla_report")).content.decode()
    assert reverse("account_detail", args=[customer.account_id]) in html
    assert f'href="{reverse("account_list")}"' in html


def test_a_customer_reaches_their_account_page_from_the_menu(client, customer):
    html = as_user(client, customer).get(reverse("portal")).content.decode()
    assert reverse("account_detail", args=[customer.account_id]) in html
    assert f'href="{reverse("account_list")}"' not in html
