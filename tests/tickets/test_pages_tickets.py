"""Browser pages for one ticket: opening it, reading it, and every action on it."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from helpdesk.tickets.models import Attachment, Message, Ticket, TicketEvent, TicketStatus
from helpdesk.tickets.services.messages import message_create
from helpdesk.tickets.services.tickets import ticket_downgrade, ticket_start_work, ticket_transition
from tests.factories import make_ticket

pytestmark = pytest.mark.django_db


def logged_in(client, user):
    client.force_login(user)
    return client


def snapshot(ticket: Ticket) -> tuple:
    """What a refused request must leave exactly as it was."""
    ticket.refresh_from_db()
    return (
        ticket.status,
        ticket.priority,
        ticket.work_started_at,
        ticket.work_started_deadline,
        ticket.downgrade_reason,
        ticket.events.count(),
        ticket.messages.count(),
        Attachment.objects.filter(ticket=ticket).count(),
    )


def new_ticket_data(**overrides):
    data = {
        "subject": "Checkout returns 502",
        "description": "Since 09:10 every checkout fails with a 502 from the gateway.",
        "priority": "general",
        "affected_service": "",
    }
    data.update(overrides)
    return data


def field_errors(html: str, field_id: str) -> str:
    """The error list rendered next to one field (empty when there is none)."""
    marker = f'id="{field_id}_error"'
    if marker not in html:
        return ""
    start = html.index(marker)
    return html[start : html.index("</ul>", start)]


# --- new ticket ----------------------------------------------------------------------


def test_new_ticket_form_explains_high_and_hides_severity(client, customer):
    response = logged_in(client, customer).get(reverse("ticket_new"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "High priority is only for a service that is unavailable" in html
    assert "within <strong>30 minutes</strong>" in html
    assert 'name="severity"' not in html
    assert '<label for="id_service_unavailable">' in html
    assert 'enctype="multipart/form-data"' in html


def test_new_ticket_form_shows_severity_when_the_plan_uses_it(client, customer, account):
    account.plan.uses_severity = True
    account.plan.save(update_fields=["uses_severity"])

    response = logged_in(client, customer).get(reverse("ticket_new"))

    assert 'name="severity"' in response.content.decode()


def test_new_general_ticket_redirects_to_the_ticket_with_its_deadline(client, customer, account):
    before = timezone.now()
    response = logged_in(client, customer).post(reverse("ticket_new"), new_ticket_data())

    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("ticket_detail", args=[ticket.pk])
    assert ticket.account == account and ticket.created_by == customer
    assert ticket.priority == "general"
    assert ticket.work_started_deadline - ticket.created_at == dt.timedelta(hours=6)
    assert ticket.created_at >= before
    page = client.get(response["Location"])
    assert f"Ticket #{ticket.pk} received. We promise work starts by" in page.content.decode()


def test_new_high_ticket_for_a_service_that_is_down_gets_30_minutes(client, customer):
    response = logged_in(client, customer).post(
        reverse("ticket_new"),
        new_ticket_data(
            priority="high",
            affected_service="Web shop",
            service_unavailable="on",
        ),
    )

    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert ticket.priority == "high" and ticket.service_unavailable
    assert ticket.work_started_deadline - ticket.created_at == dt.timedelta(minutes=30)
    page = client.get(response["Location"]).content.decode()
    assert "Running" in page
    assert "in 29m" in page or "in 30m" in page


def test_new_ticket_with_attachments_stores_each_file(client, customer):
    files = [
        SimpleUploadedFile("error.txt", b"502 Bad Gateway\n", content_type="text/plain"),
        SimpleUploadedFile("shot.png", b"\x89PNG fake", content_type="image/png"),
    ]
    logged_in(client, customer).post(reverse("ticket_new"), {**new_ticket_data(), "attachments": files})

    ticket = Ticket.objects.get()
    stored = sorted(ticket.attachments.values_list("filename", "content_type"))
    assert stored == [("error.txt", "text/plain"), ("shot.png", "image/png")]


@pytest.mark.parametrize(
    ("overrides", "field_id", "expected"),
    [
        ({"subject": ""}, "id_subject", "This field is required."),
        ({"description": "   "}, "id_description", "This field is required."),
        ({"priority": ""}, "id_priority", "This field is required."),
        ({"priority": "urgent"}, "id_priority", "Select a valid choice."),
        ({"subject": "x" * 201}, "id_subject", "at most 200 characters"),
        ({"description": "x" * 20_001}, "id_description", "at most 20000 characters"),
        ({"affected_service": "s" * 201}, "id_affected_service", "at most 200 characters"),
        ({"subject": "bell\x07"}, "id_subject", "Contains control characters."),
    ],
)
def test_new_ticket_bad_input_is_a_400_next_to_the_field_and_writes_nothing(
    client, customer, overrides, field_id, expected
):
    response = logged_in(client, customer).post(reverse("ticket_new"), new_ticket_data(**overrides))

    assert response.status_code == 400
    assert expected in field_errors(response.content.decode(), field_id)
    assert Ticket.objects.count() == 0
    assert TicketEvent.objects.count() == 0


def test_new_high_ticket_without_the_declaration_is_refused_next_to_the_fields(client, customer):
    response = logged_in(client, customer).post(reverse("ticket_new"), new_ticket_data(priority="high"))

    assert response.status_code == 400
    html = response.content.decode()
    assert "confirm it is unavailable" in field_errors(html, "id_service_unavailable")
    assert "needs the service that is unavailable" in field_errors(html, "id_affected_service")
    assert 'aria-invalid="true"' in html
    assert Ticket.objects.count() == 0


def test_new_high_ticket_with_the_service_but_unticked_box_is_refused(client, customer):
    response = logged_in(client, customer).post(
        reverse("ticket_new"), new_ticket_data(priority="high", affected_service="Web shop")
    )

    assert response.status_code == 400
    assert "confirm it is unavailable" in field_errors(response.content.decode(), "id_service_unavailable")
    assert Ticket.objects.count() == 0


def test_new_ticket_with_an_oversized_attachment_is_refused_and_writes_nothing(client, customer, settings):
    settings.ATTACHMENT_MAX_BYTES = 16
    big = SimpleUploadedFile("dump.txt", b"x" * 17, content_type="text/plain")

    response = logged_in(client, customer).post(
        reverse("ticket_new"), {**new_ticket_data(), "attachments": [big]}
    )

    assert response.status_code == 400
    assert "dump.txt is larger than" in field_errors(response.content.decode(), "id_attachments")
    assert Ticket.objects.count() == 0
    assert Attachment.objects.count() == 0
    media = settings.MEDIA_ROOT
    assert not media.exists() or not any(path.is_file() for path in media.rglob("*"))


def test_new_ticket_html_is_stored_verbatim_and_rendered_escaped(client, customer):
    script = "<script>alert('x')</script>"
    logged_in(client, customer).post(
        reverse("ticket_new"), new_ticket_data(subject=f"Broken {script}", description=script)
    )

    ticket = Ticket.objects.get()
    assert ticket.subject == f"Broken {script}" and ticket.description == script
    for url in (reverse("ticket_detail", args=[ticket.pk]), reverse("portal") + "?show=all"):
        html = client.get(url).content.decode()
        assert "&lt;script&gt;" in html
        assert "<script>alert" not in html


def test_new_ticket_anonymous_is_sent_to_login(client, account):
    response = client.post(reverse("ticket_new"), new_ticket_data())

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert Ticket.objects.count() == 0


@pytest.mark.parametrize("role", ["engineer", "billing_admin"])
def test_new_ticket_page_is_for_customers_only(client, request, role):
    user = request.getfixturevalue(role)
    logged_in(client, user)

    assert client.get(reverse("ticket_new")).status_code == 403
    assert client.post(reverse("ticket_new"), new_ticket_data()).status_code == 403
    assert Ticket.objects.count() == 0


# --- ticket page ---------------------------------------------------------------------


def test_ticket_page_shows_the_promise_to_its_customer(client, customer, high_ticket):
    response = logged_in(client, customer).get(reverse("ticket_detail", args=[high_ticket.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert high_ticket.subject in html
    assert "Advanced plan" in html
    assert "within 30 minutes" in html
    assert "data-countdown" in html
    deadline = high_ticket.work_started_deadline.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert f'data-deadline="{deadline}"' in html
    assert "Running" in html
    assert "Ticket opened" in html
    assert "Start work" not in html
    assert "Downgrade" not in html


def test_ticket_page_shows_internal_notes_only_to_staff(client, customer, engineer, ticket):
    message_create(ticket=ticket, author=customer, body="Any news?")
    message_create(ticket=ticket, author=engineer, body="Customer runs an old kernel.", public=False)

    customer_html = (
        logged_in(client, customer).get(reverse("ticket_detail", args=[ticket.pk])).content.decode()
    )
    engineer_html = (
        logged_in(client, engineer).get(reverse("ticket_detail", args=[ticket.pk])).content.decode()
    )

    assert "Any news?" in customer_html and "Any news?" in engineer_html
    assert "old kernel" not in customer_html
    assert "Added an internal note" not in customer_html
    assert "old kernel" in engineer_html
    assert "post--internal" in engineer_html and "Internal note · staff only" in engineer_html
    assert 'value="internal"' in engineer_html and 'value="internal"' not in customer_html


def test_ticket_page_tells_the_customer_why_it_was_downgraded(client, customer, engineer, high_ticket):
    ticket_downgrade(ticket=high_ticket, actor=engineer, reason="Only the staging site is slow.")

    html = logged_in(client, customer).get(reverse("ticket_detail", args=[high_ticket.pk])).content.decode()

    assert "Downgraded from High to General" in html
    assert "Only the staging site is slow." in html
    assert engineer.display_name in html


def test_ticket_page_history_names_every_step(client, customer, engineer, ticket):
    ticket_start_work(ticket=ticket, actor=engineer)
    ticket_transition(ticket=ticket, actor=engineer, to_status="waiting_on_customer")
    message_create(ticket=ticket, author=customer, body="Here are the logs.")
    ticket_transition(ticket=ticket, actor=engineer, to_status="resolved")

    html = logged_in(client, customer).get(reverse("ticket_detail", args=[ticket.pk])).content.decode()

    for label in (
        "Ticket opened",
        "Work started",
        "Waiting on customer",
        "Replied",
        "Customer replied; work resumed",
        "Marked resolved",
    ):
        assert label in html
    assert "Close ticket" in html and "Reopen" in html


def test_ticket_page_offers_staff_the_actions_that_fit_the_status(client, engineer, high_ticket):
    html = logged_in(client, engineer).get(reverse("ticket_detail", args=[high_ticket.pk])).content.decode()

    assert "Start work" in html
    assert 'id="downgrade-dialog"' in html
    assert 'id="upgrade-dialog"' not in html
    assert 'value="resolved"' not in html


def test_ticket_page_of_another_account_is_a_404(client, other_customer, ticket):
    response = logged_in(client, other_customer).get(reverse("ticket_detail", args=[ticket.pk]))

    assert response.status_code == 404
    assert ticket.subject not in response.content.decode()


def test_ticket_page_anonymous_is_sent_to_login(client, ticket):
    response = client.get(reverse("ticket_detail", args=[ticket.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- start work ----------------------------------------------------------------------


def test_start_work_stops_the_clock_and_returns_to_next(client, engineer, ticket):
    response = logged_in(client, engineer).post(
        reverse("ticket_start_work", args=[ticket.pk]), {"next": "/queue/?priority=high"}
    )

    ticket.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == "/queue/?priority=high"
    assert ticket.status == TicketStatus.WORK_STARTED
    assert ticket.work_started_by == engineer


@pytest.mark.parametrize("unsafe", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"])
def test_start_work_ignores_a_next_that_leaves_the_site(client, engineer, ticket, unsafe):
    response = logged_in(client, engineer).post(
        reverse("ticket_start_work", args=[ticket.pk]), {"next": unsafe}
    )

    assert response["Location"] == reverse("ticket_detail", args=[ticket.pk])


def test_start_work_by_the_customer_is_a_403_and_changes_nothing(client, customer, ticket):
    before = snapshot(ticket)

    response = logged_in(client, customer).post(reverse("ticket_start_work", args=[ticket.pk]))

    assert response.status_code == 403
    assert snapshot(ticket) == before


def test_start_work_on_another_accounts_ticket_is_a_404(client, other_customer, ticket):
    before = snapshot(ticket)

    response = logged_in(client, other_customer).post(reverse("ticket_start_work", args=[ticket.pk]))

    assert response.status_code == 404
    assert snapshot(ticket) == before


def test_start_work_anonymous_is_sent_to_login_and_changes_nothing(client, ticket):
    before = snapshot(ticket)

    response = client.post(reverse("ticket_start_work", args=[ticket.pk]))

    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert snapshot(ticket) == before


def test_actions_refuse_get(client, engineer, ticket):
    logged_in(client, engineer)
    for name in (
        "ticket_start_work",
        "ticket_reply",
        "ticket_transition",
        "ticket_downgrade",
        "ticket_upgrade",
    ):
        assert client.get(reverse(name, args=[ticket.pk])).status_code == 405
    assert snapshot(ticket)[0] == TicketStatus.NEW


def test_actions_need_the_csrf_token(engineer, ticket):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(engineer)

    response = strict.post(reverse("ticket_start_work", args=[ticket.pk]))

    assert response.status_code == 403
    assert snapshot(ticket)[0] == TicketStatus.NEW


# --- reply ---------------------------------------------------------------------------


def test_customer_reply_is_public_with_its_attachment(client, customer, ticket):
    upload = SimpleUploadedFile("trace.txt", b"traceback", content_type="text/plain")

    response = logged_in(client, customer).post(
        reverse("ticket_reply", args=[ticket.pk]), {"body": "It fails again.", "attachments": upload}
    )

    message = Message.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("ticket_detail", args=[ticket.pk])
    assert message.public and message.author == customer
    assert message.attachments.get().filename == "trace.txt"


def test_first_public_staff_reply_starts_work(client, engineer, ticket):
    logged_in(client, engineer).post(
        reverse("ticket_reply", args=[ticket.pk]), {"body": "Looking now.", "visibility": "public"}
    )

    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.WORK_STARTED
    assert ticket.work_started_by == engineer


def test_internal_note_does_not_start_work(client, engineer, ticket):
    response = logged_in(client, engineer).post(
        reverse("ticket_reply", args=[ticket.pk]), {"body": "Check the LB.", "visibility": "internal"}
    )

    ticket.refresh_from_db()
    assert response.status_code == 302
    assert Message.objects.get().public is False
    assert ticket.work_started_at is None


def test_customer_cannot_post_an_internal_note(client, customer, ticket):
    before = snapshot(ticket)

    response = logged_in(client, customer).post(
        reverse("ticket_reply", args=[ticket.pk]), {"body": "sneaky", "visibility": "internal"}
    )

    assert response.status_code == 403
    assert snapshot(ticket) == before


def test_empty_reply_is_a_400_next_to_the_field(client, customer, ticket):
    before = snapshot(ticket)

    response = logged_in(client, customer).post(reverse("ticket_reply", args=[ticket.pk]), {"body": "  "})

    assert response.status_code == 400
    assert "This field is required." in field_errors(response.content.decode(), "id_body")
    assert snapshot(ticket) == before


def test_reply_with_an_oversized_attachment_writes_nothing(client, customer, ticket, settings):
    settings.ATTACHMENT_MAX_BYTES = 4
    before = snapshot(ticket)

    response = logged_in(client, customer).post(
        reverse("ticket_reply", args=[ticket.pk]),
        {"body": "logs", "attachments": SimpleUploadedFile("big.log", b"12345")},
    )

    assert response.status_code == 400
    assert "big.log is larger than" in field_errors(response.content.decode(), "id_attachments")
    assert snapshot(ticket) == before


def test_a_staff_reply_on_a_closed_ticket_is_a_409(client, customer, engineer, ticket):
    # (A customer's reply opens a follow-up ticket instead: tests/tickets/test_ticket_life.py.)
    ticket_start_work(ticket=ticket, actor=engineer)
    ticket_transition(ticket=ticket, actor=engineer, to_status="resolved")
    ticket_transition(ticket=ticket, actor=customer, to_status="closed")
    before = snapshot(ticket)

    response = logged_in(client, engineer).post(
        reverse("ticket_reply", args=[ticket.pk]), {"body": "One more thing"}
    )

    assert response.status_code == 409
    assert "This ticket is closed" in response.content.decode()
    assert snapshot(ticket) == before


def test_reply_to_another_accounts_ticket_is_a_404(client, other_customer, ticket):
    before = snapshot(ticket)

    response = logged_in(client, other_customer).post(
        reverse("ticket_reply", args=[ticket.pk]), {"body": "hello"}
    )

    assert response.status_code == 404
    assert snapshot(ticket) == before


def test_reply_anonymous_is_sent_to_login(client, ticket):
    before = snapshot(ticket)

    response = client.post(reverse("ticket_reply", args=[ticket.pk]), {"body": "hello"})

    assert response.status_code == 302
    assert snapshot(ticket) == before


# --- transitions ---------------------------------------------------------------------


def test_engineer_resolves_a_started_ticket(client, engineer, ticket):
    ticket_start_work(ticket=ticket, actor=engineer)

    response = logged_in(client, engineer).post(
        reverse("ticket_transition", args=[ticket.pk]), {"status": "resolved"}
    )

    ticket.refresh_from_db()
    assert response.status_code == 302
    assert ticket.status == TicketStatus.RESOLVED and ticket.resolved_at is not None


def test_engineer_sets_waiting_on_customer(client, engineer, ticket):
    ticket_start_work(ticket=ticket, actor=engineer)

    logged_in(client, engineer).post(
        reverse("ticket_transition", args=[ticket.pk]), {"status": "waiting_on_customer"}
    )

    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.WAITING_ON_CUSTOMER


def test_resolving_a_new_ticket_is_a_409_and_changes_nothing(client, engineer, ticket):
    before = snapshot(ticket)

    response = logged_in(client, engineer).post(
        reverse("ticket_transition", args=[ticket.pk]), {"status": "resolved"}
    )

    assert response.status_code == 409
    assert "cannot become resolved" in response.content.decode()
    assert snapshot(ticket) == before


def test_unknown_status_is_a_400(client, engineer, ticket):
    before = snapshot(ticket)

    response = logged_in(client, engineer).post(
        reverse("ticket_transition", args=[ticket.pk]), {"status": "bogus"}
    )

    assert response.status_code == 400
    assert snapshot(ticket) == before


def test_customer_cannot_resolve_their_own_ticket(client, customer, engineer, ticket):
    ticket_start_work(ticket=ticket, actor=engineer)
    before = snapshot(ticket)

    response = logged_in(client, customer).post(
        reverse("ticket_transition", args=[ticket.pk]), {"status": "resolved"}
    )

    assert response.status_code == 403
    assert snapshot(ticket) == before


def test_customer_closes_and_reopens_a_resolved_ticket(client, customer, engineer, ticket):
    ticket_start_work(ticket=ticket, actor=engineer)
    ticket_transition(ticket=ticket, actor=engineer, to_status="resolved")
    logged_in(client, customer)

    client.post(reverse("ticket_transition", args=[ticket.pk]), {"status": "work_started"})
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.WORK_STARTED
    assert ticket.events.filter(code="reopened").exists()

    ticket_transition(ticket=ticket, actor=engineer, to_status="resolved")
    client.post(reverse("ticket_transition", args=[ticket.pk]), {"status": "closed"})
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CLOSED


def test_transition_on_another_accounts_ticket_is_a_404(client, other_customer, engineer, ticket):
    ticket_start_work(ticket=ticket, actor=engineer)
    ticket_transition(ticket=ticket, actor=engineer, to_status="resolved")
    before = snapshot(ticket)

    response = logged_in(client, other_customer).post(
        reverse("ticket_transition", args=[ticket.pk]), {"status": "closed"}
    )

    assert response.status_code == 404
    assert snapshot(ticket) == before


# --- downgrade and upgrade -----------------------------------------------------------


def test_engineer_downgrades_with_a_reason(client, engineer, high_ticket):
    response = logged_in(client, engineer).post(
        reverse("ticket_downgrade", args=[high_ticket.pk]),
        {"reason": "The shop is up; one image is slow.", "next": "/queue/"},
    )

    high_ticket.refresh_from_db()
    assert response.status_code == 302 and response["Location"] == "/queue/"
    assert high_ticket.priority == "general"
    assert high_ticket.downgrade_reason == "The shop is up; one image is slow."
    assert high_ticket.work_started_deadline - high_ticket.created_at == dt.timedelta(hours=6)


def test_downgrade_without_a_reason_is_a_400_with_the_dialog_open(client, engineer, high_ticket):
    before = snapshot(high_ticket)

    response = logged_in(client, engineer).post(
        reverse("ticket_downgrade", args=[high_ticket.pk]), {"reason": ""}
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "This field is required." in field_errors(html, "downgrade_reason")
    assert 'id="downgrade-dialog" aria-labelledby="downgrade-dialog-title" data-open-on-load' in html
    assert snapshot(high_ticket) == before


def test_downgrading_a_general_ticket_is_a_400(client, engineer, ticket):
    before = snapshot(ticket)

    response = logged_in(client, engineer).post(
        reverse("ticket_downgrade", args=[ticket.pk]), {"reason": "why not"}
    )

    assert response.status_code == 400
    assert "Only a High priority ticket can be downgraded." in response.content.decode()
    assert snapshot(ticket) == before


def test_customer_cannot_downgrade(client, customer, high_ticket):
    before = snapshot(high_ticket)

    response = logged_in(client, customer).post(
        reverse("ticket_downgrade", args=[high_ticket.pk]), {"reason": "changed my mind"}
    )

    assert response.status_code == 403
    assert snapshot(high_ticket) == before


def test_downgrade_of_another_accounts_ticket_is_a_404(client, other_customer, high_ticket):
    response = logged_in(client, other_customer).post(
        reverse("ticket_downgrade", args=[high_ticket.pk]), {"reason": "x"}
    )

    assert response.status_code == 404


def test_engineer_upgrades_with_reason_and_service(client, engineer, ticket):
    before = timezone.now()

    response = logged_in(client, engineer).post(
        reverse("ticket_upgrade", args=[ticket.pk]),
        {"reason": "Checkout is down for everyone.", "affected_service": "Checkout"},
    )

    ticket.refresh_from_db()
    assert response.status_code == 302
    assert ticket.priority == "high" and ticket.affected_service == "Checkout"
    assert ticket.work_started_deadline >= before + dt.timedelta(minutes=30)


def test_upgrade_without_a_service_is_a_400_next_to_the_field(client, engineer, ticket):
    before = snapshot(ticket)

    response = logged_in(client, engineer).post(
        reverse("ticket_upgrade", args=[ticket.pk]), {"reason": "Down", "affected_service": ""}
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "needs the service that is unavailable" in field_errors(html, "upgrade_affected_service")
    assert snapshot(ticket) == before


def test_customer_cannot_upgrade(client, customer, ticket):
    before = snapshot(ticket)

    response = logged_in(client, customer).post(
        reverse("ticket_upgrade", args=[ticket.pk]), {"reason": "Urgent!", "affected_service": "X"}
    )

    assert response.status_code == 403
    assert snapshot(ticket) == before


def test_upgrade_anonymous_is_sent_to_login(client, ticket):
    before = snapshot(ticket)

    response = client.post(reverse("ticket_upgrade", args=[ticket.pk]), {"reason": "x"})

    assert response.status_code == 302
    assert snapshot(ticket) == before


def test_billing_admin_may_work_a_ticket_too(client, billing_admin, customer):
    ticket = make_ticket(customer=customer)

    logged_in(client, billing_admin).post(reverse("ticket_start_work", args=[ticket.pk]))

    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.WORK_STARTED


# --- the refusal matrix for every action ----------------------------------------------

ACTIONS = [
    ("ticket_start_work", {}),
    ("ticket_reply", {"body": "hello"}),
    ("ticket_transition", {"status": "resolved"}),
    ("ticket_downgrade", {"reason": "not an outage"}),
    ("ticket_upgrade", {"reason": "outage", "affected_service": "Shop"}),
]


@pytest.mark.parametrize(("name", "data"), ACTIONS)
def test_every_action_sends_anonymous_to_login_and_changes_nothing(client, high_ticket, name, data):
    before = snapshot(high_ticket)

    response = client.post(reverse(name, args=[high_ticket.pk]), data)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert snapshot(high_ticket) == before


@pytest.mark.parametrize(("name", "data"), ACTIONS)
def test_every_action_on_another_accounts_ticket_is_a_404(client, other_customer, high_ticket, name, data):
    before = snapshot(high_ticket)

    response = logged_in(client, other_customer).post(reverse(name, args=[high_ticket.pk]), data)

    assert response.status_code == 404
    assert snapshot(high_ticket) == before


@pytest.mark.parametrize(("name", "data"), ACTIONS[:1] + ACTIONS[2:])
def test_every_staff_action_by_the_customer_is_a_403(client, customer, high_ticket, name, data):
    before = snapshot(high_ticket)

    response = logged_in(client, customer).post(reverse(name, args=[high_ticket.pk]), data)

    assert response.status_code == 403
    assert snapshot(high_ticket) == before


def test_missing_ticket_is_a_404(client, engineer):
    assert logged_in(client, engineer).get(reverse("ticket_detail", args=[999_999])).status_code == 404
