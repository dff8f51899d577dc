"""The OpenAPI schema at /api/schema/ publishes the contract of shared/API.md; /api/docs/ shows it."""

import pytest
from django.core.management import call_command
from django.test import Client, override_settings

CONTRACT_PATHS = {
    "/api/v1/auth/token/": {"post"},
    "/api/v1/calendars/": {"get", "post"},
    "/api/v1/calendars/{id}/": {"get", "put", "patch"},
    "/api/v1/plans/": {"get", "post"},
    "/api/v1/plans/{id}/": {"get", "put", "patch"},
    "/api/v1/accounts/": {"get", "post"},
    "/api/v1/accounts/{id}/": {"get", "put", "patch"},
    "/api/v1/users/": {"get", "post"},
    "/api/v1/tickets/": {"get", "post"},
    "/api/v1/tickets/{id}/": {"get"},
    "/api/v1/tickets/{id}/start-work/": {"post"},
    "/api/v1/tickets/{id}/messages/": {"get", "post"},
    "/api/v1/tickets/{id}/downgrade/": {"post"},
    "/api/v1/tickets/{id}/upgrade/": {"post"},
    "/api/v1/misses/": {"get"},
    "/api/v1/misses/{id}/": {"get"},
    "/api/v1/exclusion-periods/": {"get", "post"},
    "/api/v1/exclusion-periods/{id}/": {"get", "put", "patch"},
    "/api/v1/exclusion-periods/{id}/cancel/": {"post"},
    "/api/v1/reports/sla/": {"get"},
    "/api/v1/tickets/{id}/transition/": {"post"},
}


@pytest.fixture(autouse=True)
def _plain_http(settings):
    # DEBUG is off in tests, so production's HTTPS redirect would answer every request with a 301.
    settings.SECURE_SSL_REDIRECT = False


@pytest.fixture(scope="module")
def schema(django_db_setup, django_db_blocker) -> dict:
    """Fetched once for the module's tests: they only read it, and building it takes a second or more."""
    with django_db_blocker.unblock(), override_settings(SECURE_SSL_REDIRECT=False):
        response = Client().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def test_schema_is_openapi_3(schema):
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Pledge API"


def test_schema_has_the_contract_paths_and_methods(schema):
    for path, methods in CONTRACT_PATHS.items():
        assert path in schema["paths"], path
        assert methods <= set(schema["paths"][path]), path


def test_schema_documents_the_contract_fields(schema):
    components = schema["components"]["schemas"]
    assert {"id", "name", "timezone", "hours", "holidays"} <= set(components["Calendar"]["properties"])
    assert {
        "id",
        "code",
        "name",
        "response_calendar",
        "response_targets",
        "chat_calendar",
        "chat_session_limit",
        "voucher_percent",
        "monthly_cap_percent",
        "termination_threshold",
    } <= set(components["Plan"]["properties"])
    assert {"id", "name", "plan", "monthly_fee", "currency"} <= set(components["Account"]["properties"])
    assert {"username", "password", "email", "role", "account"} <= set(
        components["UserCreateRequest"]["properties"]
    )
    assert "password" not in components["User"]["properties"]
    assert {
        "id",
        "account",
        "status",
        "created_at",
        "work_started_deadline",
        "work_started_at",
        "sla_state",
        "downgraded_from",
        "downgrade_reason",
        "subject",
        "description",
        "priority",
        "service_unavailable",
        "affected_service",
    } <= set(components["Ticket"]["properties"])
    assert {"id", "author", "body", "public", "created_at"} <= set(components["Message"]["properties"])
    assert components["Account"]["properties"]["monthly_fee"]["type"] == "string"


def test_schema_says_how_to_authenticate(schema):
    assert {"tokenAuth", "cookieAuth"} <= set(schema["components"]["securitySchemes"])


def test_schema_builds_without_warnings(db, tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))

    assert (tmp_path / "schema.yaml").read_text().startswith("openapi: 3")


def test_docs_page_renders(client, db):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    assert b"swagger" in response.content.lower()


def test_times_of_day_are_hh_mm_in_the_schema_not_format_time(schema):
    """The API returns "09:00"; OpenAPI's `format: time` would promise "09:00:00"."""
    for component in ("OpeningHours", "OpeningHoursRequest"):
        for field in ("start", "end"):
            prop = schema["components"]["schemas"][component]["properties"][field]
            assert "format" not in prop
            assert prop["pattern"] == "^([01][0-9]|2[0-3]):[0-5][0-9]$"
