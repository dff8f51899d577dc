"""CSAT: a resolved ticket is rated once, from the e-mail link, the ticket page or the API."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from helpdesk.accounts.models import Account
from helpdesk.kit.months import month_of
from helpdesk.mailbox import notifications
from helpdesk.tickets.models import TicketRating, TicketStatus
from helpdesk.tickets.services.messages import message_create
from helpdesk.tickets.services.tickets import ticket_transition
from sla.clocks.selectors import sla_report
from tests.factories import CustomerFactory


@pytest.fixture
def resolved(ticket, engineer):
    message_create(ticket=ticket, author=engineer, body="Fixed.")
    return ticket_transition(ticket=ticket, actor=engineer, to_status=TicketStatus.RESOLVED)


def url(ticket) -> str:
    return f"/api/v1/tickets/{ticket.pk}/rating/"


def test_a_rating_from_the_email_link_is_stored_once_and_shown_in_the_report(
    resolved, customer, client, mailoutbox
):
    assert notifications.notify_resolved(resolved.pk) == 1
    (mail,) = mailoutbox
    assert mail.to == [customer.email] and f"[#{resolved.pk}]" in mail.subject
    good_link = re.search(r"http://\S+\?rating=good", mail.body).group(0)
    path = good_link.split("8000", 1)[1]

    # Opening the link (a mail scanner does too) only shows the choice: nothing is stored yet.
    page = client.get(path)
    assert page.status_code == 200 and b'value="good"' in page.content
    assert not TicketRating.objects.exists()

    stored = client.post(path.split("?")[0], {"rating": "good", "comment": "Quick and clear."})
    assert stored.status_code == 200 and b'data-rating="good"' in stored.content
    again = client.post(path.split("?")[0], {"rating": "bad"})
    assert again.status_code == 200 and b'data-rating="good"' in again.content

    rating = TicketRating.objects.get()
    assert (rating.rating, rating.comment, rating.rated_by_id) == ("good", "Quick and clear.", customer.pk)
    (row,) = sla_report(
        month=month_of(timezone.now()), accounts_qs=Account.objects.filter(pk=resolved.account_id)
    )
    assert (row.ratings, row.good_ratings, row.good_rating_percent) == (1, 1, 100)
    assert notifications.notify_resolved(resolved.pk) == 0  # rated: no second request


def test_a_forged_or_foreign_rating_link_is_a_404(resolved, client):
    assert client.get("/rate/not-a-token/").status_code == 404
    assert client.post("/rate/not-a-token/", {"rating": "bad"}).status_code == 404
    assert not TicketRating.objects.exists()


def test_the_customer_rates_on_the_ticket_page_and_sees_it(resolved, customer, engineer, client):
    client.force_login(customer)
    page = client.get(f"/tickets/{resolved.pk}/")
    assert b'action="/tickets/%d/rating/"' % resolved.pk in page.content

    response = client.post(f"/tickets/{resolved.pk}/rating/", {"rating": "bad", "comment": "Too slow."})
    assert response.status_code == 302
    client.force_login(engineer)
    shown = client.get(f"/tickets/{resolved.pk}/").content
    assert b'data-rating="bad"' in shown and b"Too slow." in shown


def test_the_api_matrix(resolved, api, customer, other_customer, engineer, billing_admin):
    assert api(None).post(url(resolved), {"rating": "good"}).status_code == 401
    assert api(other_customer).post(url(resolved), {"rating": "good"}).status_code == 404
    assert api(other_customer).get(url(resolved)).status_code == 404
    assert api(engineer).post(url(resolved), {"rating": "good"}).status_code == 403
    assert api(billing_admin).post(url(resolved), {"rating": "good"}).status_code == 403
    assert not TicketRating.objects.exists()
    assert api(engineer).get(url(resolved)).status_code == 404  # not rated yet

    created = api(customer).post(url(resolved), {"rating": "good", "comment": "Thanks"}, format="json")
    assert created.status_code == 201
    assert created.json()["rating"] == "good" and created.json()["rated_by"]["id"] == customer.pk
    second = api(customer).post(url(resolved), {"rating": "bad"}, format="json")
    assert second.status_code == 409 and second.json()["code"] == "already_rated"
    assert api(engineer).get(url(resolved)).json()["rating"] == "good"
    assert TicketRating.objects.get().rating == "good"


def test_only_the_requester_rates(resolved, api, account):
    colleague = CustomerFactory(account=account)
    response = api(colleague).post(url(resolved), {"rating": "good"}, format="json")
    assert response.status_code == 403
    assert not TicketRating.objects.exists()


def test_an_open_ticket_cannot_be_rated(ticket, api, customer):
    response = api(customer).post(url(ticket), {"rating": "good"}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "not_resolved"
    assert not TicketRating.objects.exists()


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"rating": "excellent"},
        {"rating": 1},
        {"rating": ["good"]},
        {"rating": "good", "comment": "x" * 2001},
        {"rating": "good'; DROP TABLE tickets_ticketrating; --"},
        {"rating": "<script>alert(1)</script>"},
        {"rating": "good", "comment": {"nested": True}},
    ],
)
def test_bad_input_is_a_400_that_stores_nothing(resolved, api, customer, payload):
    response = api(customer).post(url(resolved), payload, format="json")
    assert response.status_code == 400
    assert not TicketRating.objects.exists()


def test_a_rating_of_a_later_month_counts_in_that_month(resolved, customer):
    TicketRating.objects.create(
        ticket=resolved,
        account=resolved.account,
        rating="bad",
        rated_by=customer,
        created_at=timezone.now() + dt.timedelta(days=40),
    )
    (row,) = sla_report(
        month=month_of(timezone.now()), accounts_qs=Account.objects.filter(pk=resolved.account_id)
    )
    assert (row.ratings, row.good_rating_percent) == (0, None)
