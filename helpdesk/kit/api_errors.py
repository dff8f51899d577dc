"""Turn what services raise into the API's error answers, then let DRF do the rest.

- django ValidationError -> 400 {"field": ["message", ...]} (non-field errors as "detail")
- helpdesk.kit.roles.Denied  -> 403 {"detail": "..."}
- ConflictError           -> 409 {"detail": "...", "code": "..."}
- a body over DATA_UPLOAD_MAX_MEMORY_SIZE -> 413, any other SuspiciousOperation -> 400, as JSON
"""

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from helpdesk.kit.errors import ConflictError
from helpdesk.kit.roles import Denied


def _joined(messages) -> str:
    return " ".join(str(message) for message in messages)


def _from_django(exc: DjangoValidationError) -> dict:
    if not hasattr(exc, "error_dict"):
        return {"detail": _joined(exc.messages)}
    errors = dict(exc.message_dict)
    if NON_FIELD_ERRORS in errors:
        errors["detail"] = _joined(errors.pop(NON_FIELD_ERRORS))
    return errors


def _non_field_as_detail(data):
    """DRF reports object-level problems under "non_field_errors"; the contract says "detail"."""
    key = api_settings.NON_FIELD_ERRORS_KEY
    if isinstance(data, dict) and key in data:
        data = {**data}
        data["detail"] = _joined(data.pop(key))
    return data


def exception_handler(exc, context):
    if isinstance(exc, ConflictError):
        set_rollback()
        return Response({"detail": exc.message, "code": exc.code}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE / (1024 * 1024)
        return Response(
            {
                "detail": f"The request body is larger than the {limit:g} MB this endpoint accepts.",
                "code": "too_large",
            },
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, SuspiciousOperation):
        return Response({"detail": "Bad request.", "code": "bad_request"}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(_from_django(exc))
    elif isinstance(exc, Denied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = drf_exception_handler(exc, context)
    if response is not None and response.status_code == status.HTTP_400_BAD_REQUEST:
        response.data = _non_field_as_detail(response.data)
    return response
