"""Browser pages: sign-in, the role home, the customer portal and the engineer queue."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from helpdesk.tickets.models import Ticket, TicketStatus
from helpdesk.tickets.services.tickets import ticket_start_work, ticket_transition
from tests.factories import PASSWORD, AccountFactory, CustomerFactory, make_ticket

pytestmark = pytest.mark.django_db

# Measured: queue = session, user, plans, accounts, engineers and tags for the filter selects,
# canned replies for the bulk bar (these then kept 30 s in the cache),
# the counters (one aggregate), saved views, the tickets (one query per keyset segment the page
# touches: unstarted, then started; at most 2) = 11; portal = session, user, the tickets, the
# account named in the top bar (4). Never one per row.
QUEUE_MAX_QUERIES = 11
PORTAL_MAX_QUERIES = 4


def logged_in(client, user):
    client.force_login(user)
    return client


def ticket_ids(html: str) -> list[int]:
    """Ticket numbers in the order the page lists them."""
    ids = []
    for chunk in html.split('class="ticket-id">#')[1:]:
        ids.append(int(chunk.split("<", 1)[0]))
    return ids


# --- sign in, sign out, home ----------------------------------------------------------


def test_login_page_has_labelled_fields(client):
    response = client.get(reverse("login"))

    assert response.status_code == 200
    html = response.content.decode()
    assert '<label class="field__label" for="id_username">' in html
    assert '<label class="field__label" for="id_password">' in html
    assert "<main" in html


def test_login_with_the_right_password_lands_on_the_role_home(client, customer):
    response = client.post(reverse("login"), {"username": customer.username, "password": PASSWORD})

    assert response.status_code == 302
    assert client.get(response["Location"])["Location"] == reverse("portal")


def test_login_with_a_wrong_password_says_so(client, customer):
    response = client.post(reverse("login"), {"username": customer.username, "password": "nope"})

    assert response.status_code == 200
    assert "do not match" in response.content.decode()


def test_logout_is_a_post(client, customer):
    logged_in(client, customer)

    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))

    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert client.get(reverse("portal")).status_code == 302


@pytest.mark.parametrize(
    ("role", "home"),
    [("customer", "portal"), ("engineer", "queue"), ("billing_admin", "queue")],
)
def test_home_redirects_by_role(client, request, role, home):
    response = logged_in(client, request.getfixturevalue(role)).get(reverse("home"))

    assert response.status_code == 302
    assert response["Location"] == reverse(home)


@pytest.mark.parametrize("name", ["home", "portal", "queue", "ticket_new"])
def test_anonymous_is_sent_to_login(client, db, name):
    response = client.get(reverse(name))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={reverse(name)}"


def test_top_bar_shows_the_role_navigation_and_a_logout_form(client, customer, engineer):
    customer_html = logged_in(client, customer).get(reverse("portal")).content.decode()
    engineer_html = logged_in(client, engineer).get(reverse("queue")).content.decode()

    assert "New ticket" in customer_html and ">Queue<" not in customer_html
    assert ">Queue<" in engineer_html and "My tickets" not in engineer_html
    for html in (customer_html, engineer_html):
        assert f'<form method="post" action="{reverse("logout")}"' in html
        assert 'aria-label="Main"' in html


# --- portal --------------------------------------------------------------------------


def test_portal_lists_only_the_accounts_tickets(client, customer, other_customer):
    mine = make_ticket(customer=customer, subject="Our mail bounces")
    theirs = make_ticket(customer=other_customer, subject="Their secret outage")

    html = logged_in(client, customer).get(reverse("portal")).content.decode()

    assert mine.subject in html
    assert theirs.subject not in html


def test_portal_shows_deadline_countdown_and_sla_state(client, customer, high_ticket):
    html = logged_in(client, customer).get(reverse("portal")).content.decode()

    deadline = high_ticket.work_started_deadline.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert f'data-deadline="{deadline}"' in html
    assert 'role="timer"' in html
    assert "sla--running" in html and ">Running<" in html
    assert 'aria-live="polite"' in html


def test_portal_filters_open_and_all(client, customer, engineer):
    open_ticket = make_ticket(customer=customer, subject="Still broken")
    done = make_ticket(customer=customer, subject="Fixed already")
    ticket_start_work(ticket=done, actor=engineer)
    ticket_transition(ticket=done, actor=engineer, to_status="resolved")
    logged_in(client, customer)

    default = client.get(reverse("portal")).content.decode()
    everything = client.get(reverse("portal"), {"show": "all"}).content.decode()

    assert open_ticket.subject in default and done.subject not in default
    assert open_ticket.subject in everything and done.subject in everything
    assert ">Met<" in everything


def test_portal_shows_times_in_the_viewers_time_zone(client, customer):
    customer.timezone = "Asia/Tokyo"
    customer.save(update_fields=["timezone"])
    ticket = make_ticket(customer=customer, now=timezone.now().replace(hour=1, minute=5))

    html = logged_in(client, customer).get(reverse("portal")).content.decode()

    tokyo = ticket.work_started_deadline.astimezone(dt.timezone(dt.timedelta(hours=9)))
    assert tokyo.strftime("%H:%M") in html
    assert "Times shown in Asia/Tokyo" in html


@pytest.mark.parametrize("role", ["engineer", "billing_admin"])
def test_portal_is_for_customers_only(client, request, role):
    assert logged_in(client, request.getfixturevalue(role)).get(reverse("portal")).status_code == 403


# --- queue ---------------------------------------------------------------------------


def test_queue_lists_unstarted_tickets_by_deadline_then_started_ones(client, customer, engineer):
    now = timezone.now()
    general_old = make_ticket(customer=customer, now=now - dt.timedelta(hours=1))  # due in 5 h
    high_new = make_ticket(customer=customer, priority="high", now=now)  # due in 30 min
    started = make_ticket(customer=customer, priority="high", now=now - dt.timedelta(minutes=5))
    ticket_start_work(ticket=started, actor=engineer)
    general_new = make_ticket(customer=customer, now=now)  # due in 6 h
    resolved = make_ticket(customer=customer)
    ticket_start_work(ticket=resolved, actor=engineer)
    ticket_transition(ticket=resolved, actor=engineer, to_status="resolved")

    response = logged_in(client, engineer).get(reverse("queue"))

    assert response.status_code == 200
    assert ticket_ids(response.content.decode()) == [
        high_new.pk,
        general_old.pk,
        general_new.pk,
        started.pk,
    ]


def test_queue_marks_at_risk_and_missed_rows_with_text_not_only_colour(client, customer, engineer):
    now = timezone.now()
    at_risk = make_ticket(customer=customer, priority="high", now=now - dt.timedelta(minutes=26))
    missed = make_ticket(customer=customer, priority="high", now=now - dt.timedelta(minutes=45))
    running = make_ticket(customer=customer, now=now)

    html = logged_in(client, engineer).get(reverse("queue")).content.decode()

    rows = {
        pk: html.split(f'class="ticket-id">#{pk}<')[0].rsplit("<tr", 1)[1]
        for pk in (at_risk.pk, missed.pk, running.pk)
    }
    assert "row--at_risk" in rows[at_risk.pk]
    assert "row--missed" in rows[missed.pk]
    assert "row--running" in rows[running.pk]
    assert ">At risk<" in html and ">Missed<" in html
    assert "overdue by 15m" in html


def test_queue_rows_offer_the_one_click_actions(client, customer, engineer):
    new_high = make_ticket(customer=customer, priority="high")
    started = make_ticket(customer=customer)
    ticket_start_work(ticket=started, actor=engineer)

    html = logged_in(client, engineer).get(reverse("queue")).content.decode()

    assert f'action="{reverse("ticket_start_work", args=[new_high.pk])}"' in html
    assert f'href="{reverse("ticket_detail", args=[new_high.pk])}#reply"' in html
    assert f'data-action="{reverse("ticket_downgrade", args=[new_high.pk])}"' in html
    assert f'action="{reverse("ticket_start_work", args=[started.pk])}"' not in html
    assert f'action="{reverse("ticket_transition", args=[started.pk])}"' in html
    assert '<dialog class="dialog" id="downgrade-dialog"' in html
    assert 'name="next" value="/queue/"' in html


def test_queue_filters_by_plan_priority_status_and_account(
    client, customer, other_customer, engineer, other_account
):
    advanced_general = make_ticket(customer=customer, subject="adv-general")
    advanced_high = make_ticket(customer=customer, priority="high", subject="adv-high")
    premium_high = make_ticket(customer=other_customer, priority="high", subject="prem-high")
    ticket_start_work(ticket=premium_high, actor=engineer)
    logged_in(client, engineer)

    def listed(**params):
        response = client.get(reverse("queue"), params)
        assert response.status_code == 200
        return set(ticket_ids(response.content.decode()))

    assert listed(plan="premium") == {premium_high.pk}
    assert listed(plan="advanced") == {advanced_general.pk, advanced_high.pk}
    assert listed(priority="high") == {advanced_high.pk, premium_high.pk}
    assert listed(status="new") == {advanced_general.pk, advanced_high.pk}
    assert listed(status="work_started") == {premium_high.pk}
    assert listed(account=str(other_account.pk)) == {premium_high.pk}
    assert listed(plan="advanced", priority="high") == {advanced_high.pk}
    assert listed(plan="", priority="", status="", account="") == {
        advanced_general.pk,
        advanced_high.pk,
        premium_high.pk,
    }


@pytest.mark.parametrize(
    "params", [{"plan": "gold"}, {"priority": "urgent"}, {"status": "lost"}, {"account": "abc"}]
)
def test_queue_refuses_an_unknown_filter_value(client, engineer, ticket, params):
    response = logged_in(client, engineer).get(reverse("queue"), params)

    assert response.status_code == 400
    html = response.content.decode()
    assert "Select a valid choice" in html
    assert ticket_ids(html) == []


def test_queue_is_for_staff_only(client, customer, ticket):
    response = logged_in(client, customer).get(reverse("queue"))

    assert response.status_code == 403
    assert ticket.subject not in response.content.decode()


def test_queue_start_work_button_returns_to_the_filtered_queue(client, engineer, high_ticket):
    logged_in(client, engineer)
    page = client.get(reverse("queue"), {"priority": "high"}).content.decode()
    assert 'name="next" value="/queue/?priority=high"' in page

    response = client.post(
        reverse("ticket_start_work", args=[high_ticket.pk]), {"next": "/queue/?priority=high"}
    )

    assert response["Location"] == "/queue/?priority=high"
    follow = client.get(response["Location"]).content.decode()
    assert f"Work started on #{high_ticket.pk}." in follow
    assert ">Met<" in follow


# --- a constant number of queries, whatever the row count ------------------------------


def clone_tickets(template: Ticket, count: int, *, accounts) -> None:
    """Many rows fast: copies of a ticket made by the real service, spread over accounts."""
    now = timezone.now()
    copies = []
    for n in range(count):
        copy = Ticket.objects.get(pk=template.pk)
        copy.pk = None
        copy.account = accounts[n % len(accounts)]
        copy.subject = f"Problem {n}"
        copy.created_at = now - dt.timedelta(minutes=n)
        copy.work_started_deadline = copy.created_at + dt.timedelta(minutes=30)
        copy.at_risk_at = copy.created_at + dt.timedelta(minutes=24)
        copies.append(copy)
    Ticket.objects.bulk_create(copies)


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("rows", [5, 500])
def test_queue_query_count_does_not_grow_with_rows(
    client, engineer, customer, high_ticket, plans, rows, django_assert_max_num_queries
):
    accounts = [customer.account] + [AccountFactory(plan=plans["premium"]) for _ in range(3)]
    for account in accounts[1:]:
        CustomerFactory(account=account)
    clone_tickets(high_ticket, rows - 1, accounts=accounts)
    ticket_start_work(ticket=high_ticket, actor=engineer)
    logged_in(client, engineer)

    with django_assert_max_num_queries(QUEUE_MAX_QUERIES):
        response = client.get(reverse("queue"))

    assert len(ticket_ids(response.content.decode())) == min(rows, 25)  # a keyset page of 25


def test_queue_and_portal_run_the_same_queries_at_5_and_500_rows(
    client, engineer, customer, high_ticket, plans
):
    accounts = [customer.account, AccountFactory(plan=plans["premium"])]
    clone_tickets(high_ticket, 4, accounts=[customer.account])
    logged_in(client, engineer)
    queue_small = count_queries(client, reverse("queue"))
    logged_in(client, customer)
    portal_small = count_queries(client, reverse("portal"))

    clone_tickets(high_ticket, 495, accounts=accounts)
    logged_in(client, engineer)
    queue_large = count_queries(client, reverse("queue"))
    logged_in(client, customer)
    portal_large = count_queries(client, reverse("portal"))

    # The small queue's page spills from the unstarted segment into the started one (one more query).
    assert queue_large <= queue_small <= QUEUE_MAX_QUERIES
    assert portal_small == portal_large <= PORTAL_MAX_QUERIES


@pytest.mark.parametrize("rows", [5, 500])
def test_portal_query_count_does_not_grow_with_rows(
    client, customer, ticket, rows, django_assert_max_num_queries
):
    clone_tickets(ticket, rows - 1, accounts=[customer.account])
    logged_in(client, customer)

    with django_assert_max_num_queries(PORTAL_MAX_QUERIES):
        response = client.get(reverse("portal"))

    assert len(ticket_ids(response.content.decode())) == min(rows, 25)  # a keyset page of 25


def test_status_choices_match_the_queue_filter(client, engineer):
    html = logged_in(client, engineer).get(reverse("queue")).content.decode()

    # Every status: resolved and closed tickets are found from the queue too (issue 14).
    for status in TicketStatus:
        assert f'<option value="{status.value}">' in html
