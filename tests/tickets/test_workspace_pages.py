"""The queue as a workspace: views, keyset pages, counters, search, take, bulk actions, saved views."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from helpdesk.tickets.models import SavedView, Ticket, TicketEvent
from helpdesk.tickets.services.tickets import ticket_start_work, ticket_transition
from helpdesk.tickets.services.workspace import ticket_assign
from tests.factories import AccountFactory, CustomerFactory, EngineerFactory, make_ticket

pytestmark = pytest.mark.django_db


def logged_in(client, user):
    client.force_login(user)
    return client


def ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'class="ticket-id">#(\d+)<', html)]


def counters(html: str) -> dict:
    return {name: int(value) for name, value in re.findall(r'data-counter="(\w+)">(\d+)<', html)}


@pytest.fixture
def cast(customer, other_customer, engineer):
    """One ticket in each state the views tell apart."""
    now = timezone.now()
    colleague = EngineerFactory()
    t = {
        "mine": make_ticket(customer=customer, subject="mine"),
        "theirs": make_ticket(customer=other_customer, subject="theirs"),
        "free": make_ticket(customer=customer, subject="free"),
        "at_risk": make_ticket(customer=customer, subject="at risk"),
        "overdue": make_ticket(customer=customer, subject="overdue"),
        "waiting": make_ticket(customer=customer, subject="waiting"),
        "resolved": make_ticket(customer=customer, subject="resolved"),
        "closed": make_ticket(customer=customer, subject="closed"),
    }
    ticket_assign(ticket=t["mine"], actor=engineer, assignee=engineer)
    for name in ("theirs", "at_risk", "overdue", "waiting", "resolved", "closed"):
        ticket_assign(ticket=t[name], actor=engineer, assignee=colleague)
    Ticket.objects.filter(pk=t["at_risk"].pk).update(at_risk_at=now - dt.timedelta(minutes=1))
    Ticket.objects.filter(pk=t["overdue"].pk).update(
        work_started_deadline=now - dt.timedelta(minutes=1), at_risk_at=now - dt.timedelta(minutes=5)
    )
    for name, steps in (
        ("waiting", ["waiting_on_customer"]),
        ("resolved", ["resolved"]),
        ("closed", ["resolved", "closed"]),
    ):
        ticket_start_work(ticket=t[name], actor=engineer)
        for step in steps:
            ticket_transition(
                ticket=Ticket.objects.get(pk=t[name].pk), actor=engineer, to_status=step, reason=""
            )
    return t


@pytest.mark.parametrize(
    "view, expected",
    [
        ("mine", {"mine"}),
        ("unassigned", {"free"}),
        ("at_risk", {"at_risk"}),
        ("overdue", {"overdue"}),
        ("waiting", {"waiting"}),
        ("resolved", {"resolved"}),
        ("closed", {"closed"}),
        ("open", {"mine", "theirs", "free", "at_risk", "overdue", "waiting"}),
        ("all", {"mine", "theirs", "free", "at_risk", "overdue", "waiting", "resolved", "closed"}),
    ],
)
def test_each_view_lists_its_tickets(client, engineer, cast, view, expected):
    response = logged_in(client, engineer).get(reverse("queue"), {"view": view})

    assert response.status_code == 200
    assert set(ids(response.content.decode())) == {cast[name].pk for name in expected}


def test_counters_come_from_one_aggregate_and_are_right(
    client, engineer, cast, django_assert_max_num_queries
):
    logged_in(client, engineer)
    with django_assert_max_num_queries(11):
        html = client.get(reverse("queue")).content.decode()

    assert counters(html) == {
        "open": 6,
        "waiting": 1,
        "at_risk": 1,
        "overdue": 1,
        "unassigned": 1,
        "mine": 1,
    }


def test_counters_endpoint_follows_changes(client, engineer, cast):
    logged_in(client, engineer)
    before = client.get(reverse("queue_counters")).json()
    ticket_start_work(ticket=cast["overdue"], actor=engineer)
    newcomer = make_ticket(customer=cast["free"].created_by)

    after = client.get(reverse("queue_counters")).json()

    assert before["overdue"] == 1 and after["overdue"] == 0
    assert after["open"] == before["open"] + 1 and after["newest"] == newcomer.pk


@pytest.mark.parametrize("role, status", [("customer", 403), ("other_customer", 403)])
def test_counters_are_for_staff(request, client, role, status):
    assert (
        logged_in(client, request.getfixturevalue(role)).get(reverse("queue_counters")).status_code == status
    )


def test_anonymous_is_sent_to_sign_in(client):
    for name in ("queue", "queue_counters"):
        assert client.get(reverse(name)).status_code == 302


def test_next_links_walk_the_queue_without_gaps(client, engineer, customer):
    made = {make_ticket(customer=customer, subject=f"Case {n}").pk for n in range(60)}
    logged_in(client, engineer)
    seen, url = [], reverse("queue")
    while url:
        html = client.get(url).content.decode()
        seen += ids(html)
        found = re.search(r'rel="next" href="([^"]+)"', html)
        url = reverse("queue") + found.group(1).replace("&amp;", "&") if found else None

    assert len(seen) == len(set(seen)) == 60 and set(seen) == made


def test_a_page_stays_small(client, engineer, customer):
    for _ in range(30):
        make_ticket(customer=customer, priority="high", subject="A long subject line " * 9)

    html = logged_in(client, engineer).get(reverse("queue")).content

    assert len(ids(html.decode())) == 25 and len(html) < 200_000


@pytest.mark.parametrize("cursor", ["garbage", "e30", "x" * 600])
def test_a_cursor_the_queue_never_gave_out_is_400(client, engineer, ticket, cursor):
    assert logged_in(client, engineer).get(reverse("queue"), {"cursor": cursor}).status_code == 400


def test_search_finds_closed_tickets_and_marks_the_words(client, engineer, cast, customer):
    Ticket.objects.filter(pk=cast["closed"].pk).update(subject="Broken <b>printer</b> tray")

    html = logged_in(client, engineer).get(reverse("queue"), {"q": "printer"}).content.decode()

    assert ids(html) == [cast["closed"].pk]
    assert "<mark>printer</mark>" in html and "<b>printer" not in html


def test_take_assigns_to_me_and_returns_to_the_queue(client, engineer, ticket):
    response = logged_in(client, engineer).post(
        reverse("ticket_assign", args=[ticket.pk]), {"assignee": "me", "next": "/queue/?view=mine"}
    )

    assert response.status_code == 302 and response["Location"] == "/queue/?view=mine"
    ticket.refresh_from_db()
    assert ticket.assignee == engineer
    assert TicketEvent.objects.filter(ticket=ticket, code="assigned", actor=engineer).exists()


@pytest.mark.parametrize("role, status", [("customer", 403), ("other_customer", 404)])
def test_take_refused_and_nothing_changed(request, client, ticket, role, status):
    response = logged_in(client, request.getfixturevalue(role)).post(
        reverse("ticket_assign", args=[ticket.pk]), {"assignee": "me"}
    )

    assert response.status_code == status
    ticket.refresh_from_db()
    assert ticket.assignee_id is None


@pytest.mark.parametrize("assignee", ["someone", "1 OR 1=1", "9" * 30, "<script>"])
def test_take_with_a_bad_assignee_is_400(client, engineer, ticket, assignee):
    response = logged_in(client, engineer).post(
        reverse("ticket_assign", args=[ticket.pk]), {"assignee": assignee}
    )

    assert response.status_code == 400
    ticket.refresh_from_db()
    assert ticket.assignee_id is None


def test_bulk_assign_and_start(client, engineer, customer):
    tickets = [make_ticket(customer=customer) for _ in range(3)]
    logged_in(client, engineer)
    chosen = [str(t.pk) for t in tickets[:2]]

    assert client.post(reverse("queue_bulk"), {"ticket": chosen, "action": "assign_me"}).status_code == 302
    assert client.post(reverse("queue_bulk"), {"ticket": chosen, "action": "start_work"}).status_code == 302

    rows = {t.pk: t for t in Ticket.objects.all()}
    assert [rows[t.pk].assignee_id for t in tickets] == [engineer.pk, engineer.pk, None]
    assert [rows[t.pk].status for t in tickets] == ["work_started", "work_started", "new"]


@pytest.mark.parametrize(
    "data",
    [
        {"action": "assign_me"},
        {"ticket": ["abc"], "action": "assign_me"},
        {"ticket": [str(n) for n in range(1, 102)], "action": "assign_me"},
        {"ticket": ["1"], "action": "delete_everything"},
        {"ticket": ["1"], "action": "assign:999999"},
    ],
)
def test_bulk_bad_input_is_400_and_writes_nothing(client, engineer, ticket, data):
    response = logged_in(client, engineer).post(reverse("queue_bulk"), data)

    assert response.status_code == 400
    ticket.refresh_from_db()
    assert ticket.assignee_id is None


def test_bulk_cannot_touch_another_accounts_tickets_as_a_customer(client, customer, ticket):
    response = logged_in(client, customer).post(
        reverse("queue_bulk"), {"ticket": [ticket.pk], "action": "assign_me"}
    )

    assert response.status_code == 403


def test_saved_views_are_remembered_and_personal(client, engineer, cast, django_capture_on_commit_callbacks):
    logged_in(client, engineer)
    client.get(reverse("queue"))  # the queue's lists are kept a while: saving a view must renew them
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("saved_view_create"), {"name": "My overdue", "query": "view=overdue&priority="}
        )

    assert response.status_code == 302
    saved = SavedView.objects.get(owner=engineer)
    assert saved.query == {"view": "overdue"}
    html = client.get(reverse("queue")).content.decode()
    assert 'href="?view=overdue">My overdue<' in html
    other = EngineerFactory()
    assert "My overdue" not in logged_in(client, other).get(reverse("queue")).content.decode()
    assert client.post(reverse("saved_view_delete", args=[saved.pk])).status_code == 404
    assert SavedView.objects.filter(pk=saved.pk).exists()

    with django_capture_on_commit_callbacks(execute=True):
        assert (
            logged_in(client, engineer).post(reverse("saved_view_delete", args=[saved.pk])).status_code == 302
        )
    assert "My overdue" not in client.get(reverse("queue")).content.decode()


@pytest.mark.parametrize(
    "data",
    [
        {"name": "", "query": "view=mine"},
        {"name": "x" * 61, "query": "view=mine"},
        {"name": "Bad", "query": "view=everything"},
        {"name": "Bad", "query": "priority=urgent"},
        {"name": "Long", "query": "q=" + "a" * 3000},
    ],
)
def test_saved_view_bad_input_is_400(client, engineer, data):
    assert logged_in(client, engineer).post(reverse("saved_view_create"), data).status_code == 400
    assert not SavedView.objects.exists()


def test_customers_have_no_saved_views(client, customer):
    response = logged_in(client, customer).post(
        reverse("saved_view_create"), {"name": "x", "query": "view=mine"}
    )

    assert response.status_code == 403 and not SavedView.objects.exists()


def test_portal_pages_with_a_cursor(client, customer):
    made = {make_ticket(customer=customer, subject=f"Mine {n}").pk for n in range(30)}
    logged_in(client, customer)
    first = client.get(reverse("portal")).content.decode()
    following = re.search(r'rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    second = client.get(reverse("portal") + following).content.decode()

    assert set(ids(first)) | set(ids(second)) == made and len(ids(first)) == 25
    assert client.get(reverse("portal"), {"cursor": "nonsense"}).status_code == 400


def test_rows_name_an_account_and_an_assignee_newer_than_the_kept_lists(
    client, engineer, ticket, django_assert_max_num_queries
):
    logged_in(client, engineer).get(reverse("queue"))  # the lists are kept from here on
    newcomer = CustomerFactory(account=AccountFactory(name="Brand New Ltd"))
    fresh = make_ticket(customer=newcomer)
    helper = EngineerFactory(first_name="Grace", last_name="Hopper")
    ticket_assign(ticket=fresh, actor=engineer, assignee=helper)
    helper.is_active = False  # no longer among the staff the lists hold, still the assignee
    helper.save()

    with django_assert_max_num_queries(9):
        html = client.get(reverse("queue")).content.decode()

    assert "Brand New Ltd" in html and "Grace Hopper" in html
