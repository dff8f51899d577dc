"""An upload named ".." or "." is kept under a safe name, never dropped."""

import io

import pytest
from django.test import Client
from django.test.client import MULTIPART_CONTENT, encode_multipart
from rest_framework.test import APIClient

from helpdesk.tickets.models import Attachment


class _Named(io.BytesIO):
    def __init__(self, name: str, data: bytes):
        super().__init__(data)
        self.name = name


@pytest.mark.parametrize("name", ["..", "."])
def test_an_upload_named_dots_is_stored_as_attachment(customer, ticket, name):
    api = APIClient()
    api.force_authenticate(customer)
    body = encode_multipart("BoUnDaRy", {"body": "see attached", "attachments": _Named(name, b"log line\\n")})

    response = api.post(
        f"/api/v1/tickets/{ticket.pk}/messages/",
        body,
        content_type=MULTIPART_CONTENT.replace("BoUnDaRyStRiNg", "BoUnDaRy"),
    )

    assert response.status_code == 201, response.content
    stored = Attachment.objects.get(ticket=ticket)
    assert stored.filename == "attachment"
    assert stored.file.read() == b"log line\\n"


# --- the same through the pages' forms (Django's own parser dropped the file without a word) ---


def _page_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("name", ["..", ".", "../.."])
@pytest.mark.parametrize("author", ["customer", "engineer"])
def test_a_reply_on_the_page_keeps_an_upload_named_dots(request, ticket, author, name):
    user = request.getfixturevalue(author)

    response = _page_client(user).post(
        f"/tickets/{ticket.pk}/reply/",
        {"body": "see attached", "visibility": "public", "attachments": _Named(name, b"log line\n")},
    )

    assert response.status_code == 302, response.content
    stored = Attachment.objects.get(ticket=ticket)
    assert stored.filename == "attachment"
    assert stored.message.author == user
    assert stored.file.read() == b"log line\n"


def test_a_new_ticket_on_the_page_keeps_an_upload_named_dots(customer):
    response = _page_client(customer).post(
        "/portal/tickets/new/",
        {
            "subject": "Checkout returns 502",
            "description": "Since 10:00.",
            "priority": "general",
            "attachments": [_Named("..", b"first"), _Named("trace.txt", b"second")],
        },
    )

    assert response.status_code == 302, response.content
    stored = sorted(Attachment.objects.values_list("filename", flat=True))
    assert stored == ["attachment", "trace.txt"]


def test_a_form_without_a_chosen_file_stores_no_attachment(customer, ticket):
    """A browser sends an empty file part (filename="") when no file is chosen: still nothing stored."""
    body = (
        b"--BoUnDaRy\r\n"
        b'Content-Disposition: form-data; name="body"\r\n\r\nno file\r\n'
        b"--BoUnDaRy\r\n"
        b'Content-Disposition: form-data; name="attachments"; filename=""\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n\r\n"
        b"--BoUnDaRy--\r\n"
    )

    response = _page_client(customer).post(
        f"/tickets/{ticket.pk}/reply/", body, content_type="multipart/form-data; boundary=BoUnDaRy"
    )

    assert response.status_code == 302
    assert ticket.messages.count() == 1
    assert not Attachment.objects.exists()
