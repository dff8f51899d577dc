"""The staff member's two-factor page: enrol a TOTP device (secret, otpauth:// URI, QR code), confirm
it with a first code, remove it with a current one. Customers get a 403."""

from base64 import b32encode

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST
from django_otp import login as otp_login

from helpdesk.accounts import access, selectors
from helpdesk.accounts.services import two_factor
from helpdesk.accounts.views.signin import CodeForm
from helpdesk.kit.errors import ConflictError, ValidationError
from helpdesk.kit.roles import Denied


def _staff_only(request) -> None:
    if not access.may_use_two_factor(request.user):
        raise PermissionDenied("Two-factor sign-in is for staff.")


def _qr_svg(uri: str) -> str:
    # segno draws paths only (no script, no style attribute): safe inline under the CSP.
    svg = segno.make(uri, error="m").svg_inline(
        scale=4, dark="#000", light="#fff", title="QR code for your app"
    )
    return mark_safe(svg)  # noqa: S308 (segno's own markup; the URI is encoded into path data)


def _page(request, form: forms.Form | None = None, *, status: int = 200):
    confirmed = selectors.totp_device_of(user=request.user, confirmed=True)
    pending = None if confirmed else selectors.totp_device_of(user=request.user, confirmed=False)
    context = {"confirmed": confirmed, "pending": pending, "form": form or CodeForm()}
    if pending is not None:
        uri = pending.config_url
        context.update(
            secret=b32encode(pending.bin_key).decode(),
            uri=uri,
            qr_svg=_qr_svg(uri),
            issuer=settings.OTP_TOTP_ISSUER,
        )
    return render(request, "accounts/two_factor.html", context, status=status)


@require_GET
@login_required
def two_factor_page(request):
    _staff_only(request)
    return _page(request)


@require_POST
@login_required
def two_factor_start(request):
    _staff_only(request)
    try:
        two_factor.totp_enrol_start(user=request.user)
    except ConflictError as exc:
        messages.error(request, exc.message)
    except Denied as exc:
        raise PermissionDenied(str(exc)) from exc
    return redirect("two_factor")


@sensitive_post_parameters("code")
@require_POST
@login_required
def two_factor_confirm(request):
    _staff_only(request)
    form = CodeForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=400)
    try:
        device = two_factor.totp_enrol_confirm(user=request.user, code=form.cleaned_data["code"])
    except ConflictError as exc:
        messages.error(request, exc.message)
        return redirect("two_factor")
    except ValidationError as exc:
        form.add_error("code", exc.message_dict["code"])
        return _page(request, form, status=400)
    except Denied as exc:
        raise PermissionDenied(str(exc)) from exc
    # This session has just shown a valid code: it counts as verified (the admin site asks).
    otp_login(request, device)
    messages.success(request, "Two-factor sign-in is on: every sign-in now asks for a code from your app.")
    return redirect("profile")


@sensitive_post_parameters("code")
@require_POST
@login_required
def two_factor_remove(request):
    _staff_only(request)
    form = CodeForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=400)
    try:
        two_factor.totp_remove(user=request.user, code=form.cleaned_data["code"])
    except ConflictError as exc:
        messages.error(request, exc.message)
        return redirect("two_factor")
    except ValidationError as exc:
        form.add_error("code", exc.message_dict["code"])
        return _page(request, form, status=400)
    messages.success(request, "Two-factor sign-in is off: a password alone signs you in again.")
    return redirect("profile")
