"""An upload named ".." or "." is kept under a safe name, never dropped."""

import io

import pytest
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
