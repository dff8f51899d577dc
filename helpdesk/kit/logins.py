"""Who is knocking: the client address behind TRUSTED_PROXY_COUNT proxies; the answer to a lockout.

The address is REMOTE_ADDR unless Pledge runs behind proxies it was told about; then it is the
entry that the outermost trusted proxy appended to X-Forwarded-For. Entries to the left of it were
written by the client and are never believed, so rotating them changes nothing.
"""

import math

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.http import HttpResponse, JsonResponse
from django.template import loader


def client_address(request) -> str:
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < proxies:
        return remote
    return forwarded[-proxies]


def cool_off_seconds() -> int:
    return math.ceil(settings.AXES_COOLOFF_TIME.total_seconds())


def lockout_response(request, original_response=None, credentials=None) -> HttpResponse:
    """429 with Retry-After: JSON under /api/, Pledge's page elsewhere (django-axes calls this)."""
    seconds = cool_off_seconds()
    minutes = math.ceil(seconds / 60)
    message = f"Too many failed sign-ins. Try again in {minutes} minute{'s' if minutes != 1 else ''}."
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message, "code": "locked_out"}, status=429)
    else:
        html = loader.render_to_string("registration/locked_out.html", {"message": message}, request=request)
        response = HttpResponse(html, status=429)
    response["Retry-After"] = str(seconds)
    return response


def sign_in_locked(request, username: str) -> bool:
    """Whether django-axes has locked this user out from this address (for steps past the password)."""
    return AxesProxyHandler.is_locked(request, {"username": username})


def sign_in_failed(request, username: str) -> None:
    """Count a failed step past the password (a wrong one-time code) as django-axes counts a wrong
    password; when it locks the pair, its middleware answers the request with `lockout_response`."""
    user_login_failed.send(sender=__name__, credentials={"username": username}, request=request)
