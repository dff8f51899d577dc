"""Sign-in in one or two steps: the password, then (for a user with a TOTP device) a one-time code.

After a right password, a user with a confirmed device is not signed in: the session remembers who
passed the first step (with their password's hash, for TWO_FACTOR_STEP_SECONDS) and the code page
finishes the sign-in. A wrong code counts with django-axes like a wrong password. The admin site
signs in through the same view (helpdesk.accounts.admin_site).
"""

import time
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth.views import LoginView
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from helpdesk.accounts import selectors
from helpdesk.accounts.services import two_factor
from helpdesk.kit.logins import lockout_response, sign_in_failed, sign_in_locked

PENDING = "pledge_two_factor_pending"


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code from your authenticator app",
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )

    def clean_code(self) -> str:
        code = two_factor.code_clean(self.cleaned_data["code"])
        if code is None:
            raise forms.ValidationError("Enter the 6-digit code your app shows.", code="otp_invalid")
        return code


class PledgeLoginView(LoginView):
    """Django's sign-in; for a user with two-factor sign-in on, the code page comes next."""

    redirect_authenticated_user = True

    def form_valid(self, form):
        user = form.get_user()
        if not selectors.has_two_factor(user):
            return super().form_valid(form)
        self.request.session[PENDING] = {
            "user": user.pk,
            "backend": user.backend,
            "hash": user.get_session_auth_hash(),
            "since": time.time(),
        }
        return redirect(f"{reverse('login_code')}?{urlencode({'next': self.get_success_url()})}")


def _pending_user(request):
    pending = request.session.get(PENDING)
    if (
        not isinstance(pending, dict)
        or time.time() - pending.get("since", 0) > settings.TWO_FACTOR_STEP_SECONDS
    ):
        return None
    if pending.get("backend") not in settings.AUTHENTICATION_BACKENDS:
        return None
    user = get_user_model().objects.filter(pk=pending.get("user"), is_active=True).first()
    if user is None or not constant_time_compare(user.get_session_auth_hash(), pending.get("hash", "")):
        return None
    user.backend = pending["backend"]
    return user


def _next_url(request) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return resolve_url(settings.LOGIN_REDIRECT_URL)


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_code(request):
    """The second step: the code from the user's authenticator app."""
    user = _pending_user(request)
    if user is None:
        request.session.pop(PENDING, None)
        return redirect("login")
    context = {"next": _next_url(request), "seconds": settings.TWO_FACTOR_STEP_SECONDS}
    if request.method == "GET":
        return render(request, "registration/login_code.html", {**context, "form": CodeForm()})
    username = user.get_username()
    if sign_in_locked(request, username):
        return lockout_response(request)
    form = CodeForm(request.POST)
    device = None
    if form.is_valid():
        device = two_factor.totp_sign_in_verify(user=user, code=form.cleaned_data["code"])
        if device is None:
            form.add_error("code", two_factor.WRONG_CODE)
    if device is None:
        # Counted like a wrong password; on the last allowed failure django-axes answers 429.
        sign_in_failed(request, username)
        return render(request, "registration/login_code.html", {**context, "form": form}, status=400)
    del request.session[PENDING]
    user.otp_device = device  # django-otp marks the session as verified by it when the user signs in
    auth_login(request, user, backend=user.backend)
    return redirect(context["next"])
