"""A bounded schemathesis run over the API as each of the three roles: no 5xx, answers as the schema says."""

import json

import pytest
from django.core.wsgi import get_wsgi_application
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from knox.models import AuthToken
from schemathesis import openapi
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance


def _load():
    """The schema as drf-spectacular renders it, answered by the WSGI app in this process."""
    document = json.loads(
        OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True))
    )
    loaded = openapi.from_dict(document)
    loaded.app = get_wsgi_application()
    # Signing in (and so locking out) is tested on its own: here it would only spend the throttle.
    return loaded.exclude(path_regex="^/api/v1/auth/token/$")


schema = _load()


@pytest.fixture(params=["customer", "engineer", "billing_admin"])
def role_headers(request, ticket):
    user = request.getfixturevalue(request.param)
    return {"Authorization": f"Token {AuthToken.objects.create(user=user)[1]}"}


@schema.parametrize()
@settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_the_api_answers_every_role_without_5xx_and_as_its_schema_says(case, role_headers):
    case.call_and_validate(headers=role_headers, checks=[not_a_server_error, response_schema_conformance])
