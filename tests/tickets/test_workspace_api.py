"""The ticket list API works the queue: keyset pages, the queue's order, filters, search, assignment."""

import datetime as dt

import pytest
from django.utils import timezone

from helpdesk.kit import keyset
from helpdesk.tickets.models import Tag, Ticket, TicketEvent
from helpdesk.tickets.services.tickets import ticket_start_work
from tests.factories import EngineerFactory, make_ticket

pytestmark = pytest.mark.django_db
URL = "/api/v1/tickets/"


def _user(request, role):
    return None if role == "anonymous" else request.getfixturevalue(role)


def _spread(customer, count: int, *, start_every: int = 0, engineer=None) -> list[Ticket]:
    """`count` tickets with distinct deadlines (some sharing one, to exercise the tiebreaker)."""
    now = timezone.now()
    made = []
    for n in range(count):
        ticket = make_ticket(customer=customer, subject=f"Case {n}")
        deadline = now + dt.timedelta(minutes=10 + (n // 2))  # pairs share a deadline
        Ticket.objects.filter(pk=ticket.pk).update(
            work_started_deadline=deadline, at_risk_at=deadline - dt.timedelta(minutes=5)
        )
        if start_every and n % start_every == 0:
            ticket_start_work(ticket=ticket, actor=engineer)
        made.append(ticket)
    return made


def _walk(client, query) -> list[int]:
    ids, url, pages = [], URL, 0
    response = client.get(url, query)
    while True:
        assert response.status_code == 200, response.json()
        ids += [row["id"] for row in response.json()["results"]]
        pages += 1
        url = response.json()["next"]
        if not url:
            return ids
        response = client.get(url)


def test_deadline_ordering_lists_unstarted_first_then_soonest_deadline(api, engineer, customer):
    _spread(customer, 9, start_every=3, engineer=engineer)
    rows = api(engineer).get(URL, {"ordering": "deadline"}).json()["results"]

    started = [row["work_started_at"] is not None for row in rows]
    assert started == sorted(started)  # every unstarted ticket before any started one
    unstarted = [row for row in rows if row["work_started_at"] is None]
    keys = [(row["work_started_deadline"], row["id"]) for row in unstarted]
    assert keys == sorted(keys)


@pytest.mark.parametrize("ordering", ["deadline", "newest"])
def test_cursor_pages_walk_every_ticket_once(api, engineer, customer, ordering, settings):
    made = _spread(customer, 120, start_every=7, engineer=engineer)
    ids = _walk(api(engineer), {"ordering": ordering})

    assert sorted(ids) == sorted(t.pk for t in made)
    assert len(ids) == len(set(ids))


def test_previous_goes_back_to_the_page_before(api, engineer, customer):
    _spread(customer, 120, start_every=5, engineer=engineer)
    client = api(engineer)
    first = client.get(URL, {"ordering": "deadline"}).json()
    second = client.get(first["next"]).json()
    third = client.get(second["next"]).json()

    back = client.get(third["previous"]).json()

    assert first["previous"] is None
    assert [r["id"] for r in back["results"]] == [r["id"] for r in second["results"]]
    assert first["count"] == second["count"] == 120


def test_a_deep_page_runs_as_many_queries_as_the_first(
    api, engineer, customer, django_assert_max_num_queries
):
    _spread(customer, 160, start_every=4, engineer=engineer)
    client = api(engineer)
    page = client.get(URL, {"ordering": "deadline", "page_size": 50}).json()
    for _ in range(2):
        page = client.get(page["next"]).json()

    # count, the rows of the (at most two) keyset segments the page touches
    with django_assert_max_num_queries(3):
        response = client.get(page["next"])

    assert response.status_code == 200 and len(response.json()["results"]) == 10


@pytest.mark.parametrize(
    "query",
    [
        {"colour": "red"},
        {"ordering": "priority"},
        {"ordering": "-created_at"},
        {"page": "2"},
        {"cursor": "not-a-cursor"},
        {"cursor": "eyJzIjo5LCJrIjpbXSwiYiI6ZmFsc2V9"},  # a segment that does not exist
        {"sla_state": "late"},
        {"assignee": "someone"},
        {"assignee": "99999999999999999999"},
        {"tag": "<script>"},
        {"q": "x" * 201},
        {"view": "everything"},
    ],
)
def test_unknown_or_bad_filters_are_400(api, engineer, ticket, query):
    response = api(engineer).get(URL, query)

    assert response.status_code == 400, response.json()
    assert set(response.json()) & (set(query) | {"detail"})


@pytest.mark.parametrize("ordering", ["newest", "deadline"])
@pytest.mark.parametrize(
    "position",
    [
        ["2026-01-01T00:00:00+00:00", 10**30],  # an id past any column's range
        ["2026-01-01T00:00:00+00:00", -(10**30)],
        [12345, 1],  # a number where a date-time stands
        ["not a date", 1],
        ["10000-01-01T00:00:00+00:00", 1],  # past the calendar
        ["2026-01-01T00:00:00+00:00", "1; DROP TABLE tickets_ticket"],
        ["2026-01-01T00:00:00+00:00", 1.5],
    ],
)
def test_a_forged_cursor_is_a_400_or_a_page_never_an_error(api, engineer, ticket, ordering, position):
    segment = 1 if ordering == "deadline" else 0  # deadline: started tickets; newest: the one list
    cursor = keyset._encode(segment, position, False)

    response = api(engineer).get(URL, {"ordering": ordering, "cursor": cursor})

    assert response.status_code in (200, 400), response.content[:300]
    assert Ticket.objects.filter(pk=ticket.pk).exists()


@pytest.mark.parametrize("position", [["a rank", 1], [None, 1], [1.0, "x"], [1.0, 10**30]])
def test_a_forged_search_cursor_is_a_400_or_a_page_never_an_error(api, engineer, customer, position):
    make_ticket(customer=customer, subject="Printer on fire")
    cursor = keyset._encode(0, position, False)

    response = api(engineer).get(URL, {"q": "printer", "cursor": cursor})

    assert response.status_code in (200, 400), response.content[:300]


def test_pages_walk_backwards_to_where_they_started(api, engineer, customer):
    _spread(customer, 70, start_every=3, engineer=engineer)
    client = api(engineer)
    for ordering in ("newest", "deadline"):
        pages = [client.get(URL, {"ordering": ordering, "page_size": 20}).json()]
        while pages[-1]["next"]:
            pages.append(client.get(pages[-1]["next"]).json())
        back = client.get(pages[-1]["previous"]).json()

        assert [row["id"] for row in back["results"]] == [row["id"] for row in pages[-2]["results"]]
        assert sum(len(page["results"]) for page in pages) == 70


def test_sla_state_filter_matches_what_each_ticket_reports(api, engineer, customer):
    now = timezone.now()
    running = make_ticket(customer=customer)
    at_risk = make_ticket(customer=customer)
    Ticket.objects.filter(pk=at_risk.pk).update(at_risk_at=now - dt.timedelta(minutes=1))
    missed = make_ticket(customer=customer)
    Ticket.objects.filter(pk=missed.pk).update(
        work_started_deadline=now - dt.timedelta(minutes=1), at_risk_at=now - dt.timedelta(minutes=9)
    )
    met = make_ticket(customer=customer)
    ticket_start_work(ticket=met, actor=engineer)
    client = api(engineer)

    for state, ticket in [("running", running), ("at_risk", at_risk), ("missed", missed), ("met", met)]:
        rows = client.get(URL, {"sla_state": state}).json()["results"]
        assert [row["id"] for row in rows] == [ticket.pk]
        assert rows[0]["sla_state"] == state


def test_assignee_and_tag_filters(api, engineer, customer, other_customer, ticket):
    colleague = EngineerFactory()
    mine = make_ticket(customer=customer)
    theirs = make_ticket(customer=other_customer)
    client = api(engineer)
    client.post(f"{URL}{mine.pk}/assign/", {"assignee": engineer.pk}, format="json")
    client.post(f"{URL}{theirs.pk}/assign/", {"assignee": colleague.pk}, format="json")
    vip = Tag.objects.create(name="vip")
    Tag.objects.create(name="grumpy", internal=True).tickets.add(theirs)
    vip.tickets.add(mine)

    def ids(query, who=client):
        return {row["id"] for row in who.get(URL, query).json()["results"]}

    assert ids({"assignee": "me"}) == {mine.pk}
    assert ids({"assignee": "none"}) == {ticket.pk}
    assert ids({"assignee": str(colleague.pk)}) == {theirs.pk}
    assert ids({"tag": "vip"}) == {mine.pk}
    assert ids({"tag": "grumpy"}) == {theirs.pk}
    # A customer never finds tickets through an internal tag, nor sees who works them.
    assert ids({"tag": "grumpy"}, api(other_customer)) == set()
    assert "assignee" not in api(customer).get(URL).json()["results"][0]


def test_q_searches_subject_description_messages_and_requester_in_every_state(api, engineer, customer):
    by_subject = make_ticket(customer=customer, subject="Invoice printer jammed")
    by_text = make_ticket(customer=customer, description="The printer shows error 42")
    by_message = make_ticket(customer=customer)
    api(customer).post(f"{URL}{by_message.pk}/messages/", {"body": "Now the printer smokes"}, format="json")
    closed = make_ticket(customer=customer, subject="Printer again")
    ticket_start_work(ticket=closed, actor=engineer)
    api(engineer).post(f"{URL}{closed.pk}/transition/", {"status": "resolved"}, format="json")
    make_ticket(customer=customer, subject="Unrelated")

    rows = api(engineer).get(URL, {"q": "printer"}).json()
    found = {row["id"] for row in rows["results"]}

    assert found == {by_subject.pk, by_text.pk, by_message.pk, closed.pk}
    assert rows["count"] == 4
    assert {r["id"] for r in api(engineer).get(URL, {"q": customer.username}).json()["results"]} >= found


@pytest.mark.parametrize("q", ["'; DROP TABLE tickets_ticket; --", "<script>alert(1)</script>", "%_%", "!!!"])
def test_hostile_search_words_are_just_words(api, engineer, ticket, q):
    response = api(engineer).get(URL, {"q": q})

    assert response.status_code == 200
    assert Ticket.objects.filter(pk=ticket.pk).exists()


# --- assignment ---------------------------------------------------------------------------


def test_assign_reassign_and_unassign_write_events(api, engineer, ticket):
    colleague = EngineerFactory()
    client = api(engineer)

    assert (
        client.post(f"{URL}{ticket.pk}/assign/", {"assignee": engineer.pk}, format="json").json()["assignee"]
        == engineer.pk
    )
    again = client.post(f"{URL}{ticket.pk}/assign/", {"assignee": engineer.pk}, format="json")
    moved = client.post(f"{URL}{ticket.pk}/assign/", {"assignee": colleague.pk}, format="json")
    dropped = client.post(f"{URL}{ticket.pk}/assign/", {"assignee": None}, format="json")

    assert again.status_code == moved.status_code == dropped.status_code == 200
    assert moved.json()["assignee"] == colleague.pk and dropped.json()["assignee"] is None
    events = list(
        TicketEvent.objects.filter(ticket=ticket, code__endswith="assigned").values_list("code", "data")
    )
    assert [code for code, _ in events] == ["assigned", "reassigned", "unassigned"]
    assert events[1][1] == {"assignee": colleague.pk, "previous_assignee": engineer.pk}


@pytest.mark.parametrize("role, status", [("anonymous", 401), ("customer", 403), ("other_customer", 404)])
def test_assign_refused_and_nothing_changed(request, api, engineer, ticket, role, status):
    response = api(_user(request, role)).post(
        f"{URL}{ticket.pk}/assign/", {"assignee": engineer.pk}, format="json"
    )

    assert response.status_code == status
    ticket.refresh_from_db()
    assert ticket.assignee_id is None
    assert not TicketEvent.objects.filter(ticket=ticket, code="assigned").exists()


def test_billing_admin_may_assign(api, billing_admin, ticket):
    response = api(billing_admin).post(
        f"{URL}{ticket.pk}/assign/", {"assignee": billing_admin.pk}, format="json"
    )

    assert response.status_code == 200 and response.json()["assignee"] == billing_admin.pk


@pytest.mark.parametrize("assignee", ["customer", "abc", 10**30, -1, [1], {"id": 1}])
def test_assign_to_no_staff_member_is_400(request, api, engineer, ticket, assignee):
    value = request.getfixturevalue("customer").pk if assignee == "customer" else assignee

    response = api(engineer).post(f"{URL}{ticket.pk}/assign/", {"assignee": value}, format="json")

    assert response.status_code == 400
    ticket.refresh_from_db()
    assert ticket.assignee_id is None


def test_assign_needs_an_assignee_key(api, engineer, ticket):
    assert api(engineer).post(f"{URL}{ticket.pk}/assign/", {}, format="json").status_code == 400


# --- staff open tickets for customers -------------------------------------------------------


@pytest.mark.parametrize("channel", ["phone", "email", "web", "chat"])
def test_staff_open_a_ticket_for_a_customer_who_phoned(api, engineer, customer, channel):
    response = api(engineer).post(
        URL,
        {
            "account": customer.account_id,
            "requester": customer.pk,
            "channel": channel,
            "subject": "Caller says the VPN is down",
            "description": "Phoned at 10:02.",
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    ticket = Ticket.objects.get(pk=response.json()["id"])
    assert (ticket.created_by, ticket.channel, ticket.account_id) == (customer, channel, customer.account_id)
    assert ticket.plan_id == customer.account.plan_id
    assert TicketEvent.objects.filter(ticket=ticket, code="opened_by_staff", actor=engineer).exists()
    # The customer sees it as theirs, without who works it
    mine = api(customer).get(f"{URL}{ticket.pk}/").json()
    assert mine["channel"] == channel and "assignee" not in mine


@pytest.mark.parametrize(
    "change, field",
    [
        ({"requester": "other_customer"}, "requester"),
        ({"requester": "engineer"}, "requester"),
        ({"requester": 10**12}, "requester"),
        ({"channel": "pigeon"}, "channel"),
    ],
)
def test_opening_for_a_customer_refuses_a_wrong_requester_or_channel(
    request, api, engineer, customer, change, field
):
    payload = {
        "account": customer.account_id,
        "requester": customer.pk,
        "channel": "phone",
        "subject": "Call",
        "description": "Call",
    }
    value = change.get("requester")
    if isinstance(value, str):
        change = {"requester": request.getfixturevalue(value).pk}
    payload.update(change)

    response = api(engineer).post(URL, payload, format="json")

    assert response.status_code == 400 and field in response.json()
    assert not Ticket.objects.exists()


def test_customers_cannot_choose_a_channel_or_requester(api, customer, other_customer):
    response = api(customer).post(
        URL,
        {"subject": "Hi", "description": "Hi", "requester": other_customer.pk, "channel": "phone"},
        format="json",
    )

    assert response.status_code == 201
    ticket = Ticket.objects.get(pk=response.json()["id"])
    assert (ticket.created_by, ticket.channel) == (customer, "web")


# --- tags -------------------------------------------------------------------------------------


def test_staff_tag_tickets_and_the_list_filters_by_tag(api, engineer, ticket):
    Tag.objects.create(name="vip")
    Tag.objects.create(name="billing")
    client = api(engineer)

    response = client.post(f"{URL}{ticket.pk}/tags/", {"tags": ["vip", "billing"]}, format="json")

    assert response.status_code == 200 and response.json() == {"tags": ["billing", "vip"]}
    assert [row["id"] for row in client.get(URL, {"tag": "vip"}).json()["results"]] == [ticket.pk]
    assert TicketEvent.objects.filter(ticket=ticket, code="tags_changed").count() == 1


@pytest.mark.parametrize(
    "payload",
    [{"tags": ["nope"]}, {"tags": "vip"}, {"tags": ["<b>"]}, {"tags": [f"t{n}" for n in range(11)]}, {}],
)
def test_bad_tags_are_400(api, engineer, ticket, payload):
    Tag.objects.create(name="vip")

    assert api(engineer).post(f"{URL}{ticket.pk}/tags/", payload, format="json").status_code == 400
    assert not ticket.tags.exists()


@pytest.mark.parametrize("role, status", [("anonymous", 401), ("customer", 403), ("other_customer", 404)])
def test_tagging_is_for_staff(request, api, ticket, role, status):
    Tag.objects.create(name="vip")

    response = api(_user(request, role)).post(f"{URL}{ticket.pk}/tags/", {"tags": ["vip"]}, format="json")

    assert response.status_code == status and not ticket.tags.exists()


@pytest.mark.parametrize(
    "query",
    [
        {"view": "waiting"},
        {"view": "resolved"},
        {"view": "at_risk"},
        {"view": "overdue"},
        {"status": "work_started"},
        {"sla_state": "met"},
        {"sla_state": "running"},
        {"view": "all"},
    ],
)
def test_views_of_one_kind_page_through_one_segment_in_the_queue_order(api, engineer, customer, query):
    """A view only started (or unstarted) tickets can match reads one keyset segment, same order."""
    made = _spread(customer, 60, start_every=3, engineer=engineer)
    now = timezone.now()
    for ticket in made[::4]:
        # some overdue or at risk, some waiting on the customer or resolved
        Ticket.objects.filter(pk=ticket.pk).update(
            work_started_deadline=now - dt.timedelta(minutes=1), at_risk_at=now - dt.timedelta(minutes=9)
        )
    for ticket in made[1::4]:
        Ticket.objects.filter(pk=ticket.pk).update(at_risk_at=now - dt.timedelta(minutes=1))
    for n, ticket in enumerate(made[::6]):  # the others started stay Work started
        Ticket.objects.filter(pk=ticket.pk).update(status="waiting_on_customer" if n % 2 else "resolved")
    client = api(engineer)
    ids = _walk(client, {"ordering": "deadline", **query})

    expected = set(_walk(client, {"ordering": "newest", **query}))
    assert sorted(ids) == sorted(expected) and len(ids) == len(set(ids))
    rows = {t.pk: t for t in Ticket.objects.filter(pk__in=ids)}
    keys = [(rows[i].work_started_at is not None, rows[i].work_started_deadline, i) for i in ids]
    assert keys == sorted(keys)
    if query != {"view": "all"}:
        assert ids, query  # each view matches some of the tickets made
