"""Bounded requests: oversized bodies refused before they are read, JSON depth bounded, API errors in JSON."""

import asyncio
import json

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from helpdesk.asgi import application, django_asgi_app
from helpdesk.kit.limits import JSON_MAX_DEPTH, BodySizeLimit, json_depth
from helpdesk.tickets.models import Ticket
from helpdesk.tickets.services.attachments import MAX_FILES_PER_MESSAGE

MB = 1024 * 1024
HUGE = 400 * MB


def test_the_limit_is_a_full_message_of_attachments_plus_a_margin():
    largest_message = settings.ATTACHMENT_MAX_BYTES * MAX_FILES_PER_MESSAGE
    assert largest_message < settings.REQUEST_BODY_MAX_BYTES <= largest_message + 2 * MB


@pytest.mark.parametrize("path", ["/api/v1/tickets/", "/portal/tickets/new/", "/login/"])
def test_a_declared_400_mb_body_is_refused_before_it_is_read(client, db, path):
    response = client.post(
        path, data=b"--x--", content_type="multipart/form-data; boundary=x", CONTENT_LENGTH=str(HUGE)
    )

    assert response.status_code == 413
    if path.startswith("/api/"):
        assert response.json()["code"] == "too_large"
    assert not Ticket.objects.exists()


def _asgi_post(app, *, path: str, chunks: int, chunk_size: int = MB, declared: int | None = None):
    """POST `chunks` chunks through an ASGI app; returns (status, body, bytes the app consumed)."""
    consumed = 0
    sent: list[dict] = []
    headers = [(b"host", b"127.0.0.1"), (b"content-type", b"multipart/form-data; boundary=x")]
    if declared is not None:
        headers.append((b"content-length", str(declared).encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
    }
    index = 0

    async def receive():
        nonlocal consumed, index
        if index >= chunks:
            await asyncio.sleep(3600)
        index += 1
        consumed += chunk_size
        return {"type": "http.request", "body": b"x" * chunk_size, "more_body": index < chunks}

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], body, consumed


@pytest.mark.django_db(transaction=True)
def test_asgi_refuses_a_declared_400_mb_body_without_reading_a_byte():
    status, body, consumed = _asgi_post(
        BodySizeLimit(django_asgi_app), path="/api/v1/tickets/", chunks=400, declared=HUGE
    )

    assert status == 413
    assert json.loads(body)["code"] == "too_large"
    assert consumed == 0


@pytest.mark.django_db(transaction=True)
def test_asgi_stops_a_chunked_400_mb_body_at_the_limit():
    """No Content-Length (chunked): the body is counted as it arrives and cut off past the limit."""
    status, body, consumed = _asgi_post(
        BodySizeLimit(django_asgi_app), path="/portal/tickets/new/", chunks=400
    )

    assert status == 413
    assert b"larger than" in body
    assert consumed <= settings.REQUEST_BODY_MAX_BYTES + MB
    assert not Ticket.objects.exists()


def test_the_served_asgi_application_carries_the_guard():
    assert isinstance(application.application_mapping["http"], BodySizeLimit)


def test_json_nested_5000_deep_is_a_400_in_json(customer):
    api = APIClient()
    api.force_authenticate(customer)

    response = api.post("/api/v1/tickets/", "[" * 5000 + "]" * 5000, content_type="application/json")

    assert response.status_code == 400
    assert "deeper" in response.json()["detail"]
    assert not Ticket.objects.exists()


def test_json_depth_ignores_brackets_inside_strings():
    assert json_depth('{"a": "[[[[{{{{", "b": [1, [2]]}') == 3
    assert json_depth("[" * (JSON_MAX_DEPTH + 1) + "]" * (JSON_MAX_DEPTH + 1)) == JSON_MAX_DEPTH + 1


def test_a_json_body_over_2_mb_is_a_413_in_json(customer):
    api = APIClient()
    api.force_authenticate(customer)
    body = json.dumps({"title": "x" * (3 * MB), "description": "d"})

    response = api.post("/api/v1/tickets/", body, content_type="application/json")

    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert "larger than" in response.json()["detail"]
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("body", ["{bad", '{"title": NaN}', "\u00ff".encode("latin-1")])
def test_malformed_json_is_a_400_in_json(customer, body):
    api = APIClient()
    api.force_authenticate(customer)

    response = api.post("/api/v1/tickets/", body, content_type="application/json")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "JSON parse error" in response.json()["detail"]
