"""Attachment downloads: only for those who may see the file, always as a download."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from helpdesk.tickets.services.messages import message_create
from tests.factories import make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def report(customer):
    ticket = make_ticket(
        customer=customer,
        files=[SimpleUploadedFile("crash report.txt", b"Segfault at 0x0", content_type="text/plain")],
    )
    return ticket.attachments.get()


@pytest.fixture
def page(customer):
    """An HTML upload: it must never be served as HTML from our origin."""
    ticket = make_ticket(
        customer=customer,
        files=[SimpleUploadedFile("evil.html", b"<script>alert(1)</script>", content_type="text/html")],
    )
    return ticket.attachments.get()


@pytest.fixture
def internal_file(customer, engineer):
    ticket = make_ticket(customer=customer)
    message = message_create(
        ticket=ticket,
        author=engineer,
        body="Heap dump attached.",
        public=False,
        files=[SimpleUploadedFile("heap.txt", b"heap", content_type="text/plain")],
    )
    return message.attachments.get()


def download(client, attachment):
    return client.get(reverse("attachment_download", args=[attachment.pk]))


def test_customer_downloads_their_attachment_as_a_file(client, customer, report):
    client.force_login(customer)

    response = download(client, report)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain"
    assert response["Content-Disposition"] == 'attachment; filename="crash report.txt"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == b"Segfault at 0x0"


def test_html_upload_downloads_as_octet_stream(client, customer, page):
    client.force_login(customer)

    response = download(client, page)

    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]


def test_ticket_page_links_the_attachment(client, customer, report):
    client.force_login(customer)

    html = client.get(reverse("ticket_detail", args=[report.ticket_id])).content.decode()

    assert f'href="{reverse("attachment_download", args=[report.pk])}"' in html
    assert "crash report.txt" in html


def test_staff_download_any_attachment(client, engineer, report):
    client.force_login(engineer)

    assert download(client, report).status_code == 200


def test_another_accounts_attachment_is_a_404(client, other_customer, report):
    client.force_login(other_customer)

    assert download(client, report).status_code == 404


def test_anonymous_download_is_sent_to_login(client, report):
    response = download(client, report)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_internal_note_attachment_is_a_404_for_the_customer(client, customer, internal_file):
    client.force_login(customer)

    assert download(client, internal_file).status_code == 404
    html = client.get(reverse("ticket_detail", args=[internal_file.ticket_id])).content.decode()
    assert "heap.txt" not in html


def test_internal_note_attachment_downloads_for_staff(client, engineer, internal_file):
    client.force_login(engineer)

    response = download(client, internal_file)

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="heap.txt"'


def test_missing_file_on_disk_is_a_404(client, customer, report):
    report.file.delete(save=False)
    client.force_login(customer)

    assert download(client, report).status_code == 404


def test_unknown_attachment_is_a_404_page(client, customer):
    client.force_login(customer)

    response = client.get(reverse("attachment_download", args=[999_999]))

    assert response.status_code == 404
    assert "We can’t find that page" in response.content.decode()
