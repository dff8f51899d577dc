"""Pledge's own error answers: JSON under /api/, Pledge's pages elsewhere, never a traceback page.

`handler404`/`handler500` serve them when DEBUG is off; the middleware serves them when it is on
(the demo), where Django would otherwise show its technical pages listing every URL and frame.
"""

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.template import loader

logger = logging.getLogger("django.request")


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def not_found(request, exception=None) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return HttpResponse(loader.render_to_string("404.html", request=request), status=404)


def server_error(request) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": "Server error.", "code": "server_error"}, status=500)
    # No context processors: whatever broke the request may break them too.
    return HttpResponse(loader.get_template("500.html").render(), status=500)


class PledgeErrorPagesMiddleware:
    """Under DEBUG too: an unmatched URL or a raised Http404 gets Pledge's 404, a crash its 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            settings.DEBUG
            and response.status_code == 404
            and getattr(request, "resolver_match", None) is None
        ):
            return not_found(request)
        return response

    def process_exception(self, request, exception):
        if not settings.DEBUG or isinstance(exception, PermissionDenied):
            return None
        if isinstance(exception, Http404):
            return not_found(request, exception)
        logger.error("Internal Server Error: %s", request.path, exc_info=exception)
        return server_error(request)


class QuietClientErrors(logging.Filter):
    """A refused request (4xx) is logged as one line: a 403 is the system working, not a crash."""

    def filter(self, record: logging.LogRecord) -> bool:
        if 400 <= getattr(record, "status_code", 0) < 500:
            record.exc_info = None
            record.exc_text = None
        return True
