"""/api/v1/tickets/{id}/messages/: the conversation, internal notes and attachments."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from helpdesk.tickets.models import Attachment, Message
from helpdesk.tickets.services.messages import message_create
from helpdesk.tickets.services.tickets import ticket_start_work, ticket_transition


@pytest.fixture(autouse=True)
def _plain_http(settings):
    # DEBUG is off in tests, so production's HTTPS redirect would answer every request with a 301.
    settings.SECURE_SSL_REDIRECT = False


def _user(request, role):
    return None if role == "anonymous" else request.getfixturevalue(role)


def _url(ticket) -> str:
    return f"/api/v1/tickets/{ticket.pk}/messages/"


def _file(name="log.txt", content=b"error at line 3\n", content_type="text/plain"):
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.fixture
def conversation(ticket, customer, engineer):
    """A public question, a public answer and an internal note."""
    return [
        message_create(ticket=ticket, author=customer, body="It is broken."),
        message_create(ticket=ticket, author=engineer, body="Looking now.", public=True),
        message_create(ticket=ticket, author=engineer, body="Customer misconfigured it.", public=False),
    ]


# --- reading -------------------------------------------------------------------------------


def test_customer_sees_public_messages_only(api, customer, engineer, conversation):
    engineer.first_name, engineer.last_name = "Grace", "Hopper"
    engineer.save(update_fields=["first_name", "last_name"])

    response = api(customer).get(_url(conversation[0].ticket))

    assert response.status_code == 200
    results = response.json()["results"]
    assert [m["body"] for m in results] == ["It is broken.", "Looking now."]
    assert results[1]["author"] == {"id": engineer.pk, "name": "Grace Hopper"}
    assert results[1]["public"] is True
    assert set(results[0]) == {"id", "author", "body", "public", "created_at", "attachments"}


@pytest.mark.parametrize("role", ["engineer", "billing_admin"])
def test_staff_see_internal_notes_too(request, api, conversation, role):
    response = api(_user(request, role)).get(_url(conversation[0].ticket))

    assert [m["public"] for m in response.json()["results"]] == [True, True, False]


@pytest.mark.parametrize("role, status", [("anonymous", 401), ("other_customer", 404)])
def test_messages_of_a_ticket_outside_reach(request, api, conversation, role, status):
    response = api(_user(request, role)).get(_url(conversation[0].ticket))

    assert response.status_code == status
    assert "results" not in response.json()


def test_messages_of_an_unknown_ticket_are_404(api, engineer):
    assert api(engineer).get("/api/v1/tickets/999999/messages/").status_code == 404


def test_message_list_queries_do_not_grow_with_messages(api, engineer, customer, ticket):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api(engineer).get(_url(ticket)).status_code == 200
        return len(captured)

    message_create(ticket=ticket, author=customer, body="One", files=[_file()])
    few = queries()
    for n in range(30):
        message_create(ticket=ticket, author=customer, body=f"More {n}", files=[_file(f"{n}.txt")])

    assert queries() == few <= 5


# --- writing -------------------------------------------------------------------------------


def test_customer_replies_publicly(api, customer, ticket):
    response = api(customer).post(_url(ticket), {"body": "Any news?"}, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["body"] == "Any news?"
    assert body["public"] is True
    assert body["author"]["id"] == customer.pk
    assert body["attachments"] == []
    ticket.refresh_from_db()
    assert ticket.work_started_at is None


def test_public_staff_reply_starts_work(api, engineer, ticket):
    response = api(engineer).post(_url(ticket), {"body": "On it."}, format="json")

    assert response.status_code == 201
    ticket.refresh_from_db()
    assert ticket.status == "work_started"
    assert ticket.work_started_by == engineer


def test_internal_note_does_not_start_work(api, engineer, ticket):
    response = api(engineer).post(_url(ticket), {"body": "Check logs.", "public": False}, format="json")

    assert response.status_code == 201
    assert response.json()["public"] is False
    ticket.refresh_from_db()
    assert ticket.work_started_at is None


def test_customer_cannot_write_an_internal_note(api, customer, ticket):
    response = api(customer).post(_url(ticket), {"body": "Secret", "public": False}, format="json")

    assert response.status_code == 403
    assert not Message.objects.exists()


@pytest.mark.parametrize("role, status", [("anonymous", 401), ("other_customer", 404)])
def test_reply_refused_outside_reach_and_nothing_written(request, api, ticket, role, status):
    response = api(_user(request, role)).post(_url(ticket), {"body": "Hello"}, format="json")

    assert response.status_code == status
    assert not Message.objects.exists()


def test_other_customer_cannot_post_an_internal_note_either(api, other_customer, ticket):
    response = api(other_customer).post(_url(ticket), {"body": "x", "public": False}, format="json")

    assert response.status_code == 404
    assert not Message.objects.exists()


def test_reply_on_a_closed_ticket_is_409(api, engineer, customer, ticket):
    ticket_start_work(ticket=ticket, actor=engineer)
    ticket_transition(ticket=ticket, actor=engineer, to_status="resolved")
    ticket_transition(ticket=ticket, actor=engineer, to_status="closed")

    response = api(customer).post(_url(ticket), {"body": "Still broken"}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "ticket_closed"
    assert not Message.objects.exists()


@pytest.mark.parametrize(
    "payload, field",
    [
        ({}, "body"),
        ({"body": ""}, "body"),
        ({"body": "   "}, "body"),
        ({"body": "x" * 20_001}, "body"),
        ({"body": ["a", "list"]}, "body"),
        ({"body": "nul\x00l"}, "body"),
        ({"body": "bell\x07"}, "body"),
        ({"body": "ok", "public": "maybe"}, "public"),
        ({"body": "ok", "attachments": "not-a-file"}, "attachments"),
    ],
)
def test_reply_with_bad_input_is_400_naming_the_field_and_writes_nothing(
    api, customer, ticket, payload, field
):
    response = api(customer).post(_url(ticket), payload, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not Message.objects.exists()


def test_hostile_body_is_stored_and_returned_verbatim(api, customer, ticket):
    body = "<script>fetch('/api/v1/users/')</script>\n' OR 1=1; --"

    response = api(customer).post(_url(ticket), {"body": body}, format="json")

    assert response.status_code == 201
    assert response.json()["body"] == body
    assert Message.objects.get().body == body


# --- attachments ---------------------------------------------------------------------------


def test_reply_with_files_lists_them_with_a_download_path(api, engineer, ticket):
    response = api(engineer).post(
        _url(ticket),
        {"body": "Logs attached.", "attachments": [_file(), _file("shot.png", b"\x89PNG", "image/png")]},
        format="multipart",
    )

    assert response.status_code == 201, response.json()
    attachments = response.json()["attachments"]
    stored = list(Attachment.objects.order_by("id"))
    assert attachments == [
        {
            "id": a.pk,
            "filename": a.filename,
            "size": a.size,
            "content_type": a.content_type,
            "url": f"/attachments/{a.pk}/",
        }
        for a in stored
    ]
    assert [a["filename"] for a in attachments] == ["log.txt", "shot.png"]
    assert attachments[0]["size"] == len(b"error at line 3\n")
    assert response.json()["public"] is True  # a form without "public" is a public reply


def test_attachment_list_is_visible_to_the_customer(api, customer, engineer, ticket):
    api(engineer).post(_url(ticket), {"body": "See file", "attachments": [_file()]}, format="multipart")

    response = api(customer).get(_url(ticket))

    assert response.json()["results"][0]["attachments"][0]["filename"] == "log.txt"


def test_oversized_attachment_is_400_and_nothing_written(api, customer, ticket, settings):
    settings.ATTACHMENT_MAX_BYTES = 10

    response = api(customer).post(
        _url(ticket),
        {"body": "Huge file", "attachments": [_file(content=b"x" * 11)]},
        format="multipart",
    )

    assert response.status_code == 400
    assert "attachments" in response.json()
    assert not Message.objects.exists()
    assert not Attachment.objects.exists()


def test_too_many_attachments_are_400(api, customer, ticket):
    files = [_file(f"{n}.txt") for n in range(11)]

    response = api(customer).post(_url(ticket), {"body": "Many", "attachments": files}, format="multipart")

    assert response.status_code == 400
    assert "attachments" in response.json()
    assert not Message.objects.exists()


def test_empty_attachment_is_400(api, customer, ticket):
    response = api(customer).post(
        _url(ticket), {"body": "Empty", "attachments": [_file(content=b"")]}, format="multipart"
    )

    assert response.status_code == 400
    assert "attachments" in response.json()
    assert not Message.objects.exists()


def test_hostile_filename_is_kept_as_data_only(api, customer, ticket):
    response = api(customer).post(
        _url(ticket),
        {"body": "File", "attachments": [_file('../../etc/<script>"passwd.html', b"x", "text/html")]},
        format="multipart",
    )

    assert response.status_code == 201
    attachment = response.json()["attachments"][0]
    assert "/" not in attachment["filename"] and "<" not in attachment["filename"]
    assert attachment["content_type"] == "application/octet-stream"
