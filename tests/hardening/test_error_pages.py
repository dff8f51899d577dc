"""Pledge's own 404 and 500 (JSON under /api/), even under DEBUG; a 403 logs one line, no traceback."""

import logging

import pytest
from django.test import RequestFactory

from helpdesk.kit.error_pages import PledgeErrorPagesMiddleware


@pytest.fixture(params=[True, False], ids=["debug", "production"])
def debug(settings, request):
    settings.DEBUG = request.param
    return request.param


def test_an_unknown_page_is_pledges_404_not_the_url_list(client, db, debug):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    text = response.content.decode()
    assert "We can’t find that page" in text
    assert "URLconf" not in text and "api/v1/" not in text


def test_an_unknown_api_path_is_a_json_404(client, db, debug):
    response = client.get("/api/v1/no-such-thing/")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


@pytest.mark.parametrize("path", ["/portal/", "/api/v1/tickets/"])
def test_a_crash_is_pledges_500_without_a_traceback(settings, path, caplog):
    settings.DEBUG = True
    request = RequestFactory().get(path)
    middleware = PledgeErrorPagesMiddleware(lambda request: None)

    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = middleware.process_exception(request, RuntimeError("secret internals"))

    assert response.status_code == 500
    assert b"secret internals" not in response.content
    assert b"Traceback" not in response.content
    if path.startswith("/api/"):
        assert response["Content-Type"] == "application/json"
    assert any(record.exc_info for record in caplog.records)  # the operator still gets the traceback


def test_a_403_page_logs_one_line_without_a_traceback(client, engineer, caplog):
    client.force_login(engineer)

    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.get("/portal/tickets/new/")

    assert response.status_code == 403
    forbidden = [r for r in caplog.records if r.name == "django.request" and r.status_code == 403]
    assert forbidden and all(r.exc_info is None for r in forbidden)
