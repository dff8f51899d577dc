"""The signed-in person's own page: their API tokens (one per device, revocable) and their password."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from helpdesk.accounts import selectors
from helpdesk.accounts.services import tokens as token_services
from helpdesk.kit.errors import ValidationError


@require_GET
@login_required
def profile(request):
    return render(request, "accounts/profile.html", {"tokens": selectors.auth_tokens_of(user=request.user)})


@require_POST
@login_required
def token_revoke(request, token_key: str):
    try:
        token_services.auth_token_revoke(user=request.user, token_key=token_key)
    except ValidationError:
        messages.error(request, "That token no longer exists.")
    else:
        messages.success(request, "The token is revoked: a client using it must sign in again.")
    return redirect("profile")


@require_POST
@login_required
def tokens_revoke_all(request):
    count = token_services.auth_tokens_revoke_all(user=request.user)
    messages.success(request, f"{count} token{'s' if count != 1 else ''} revoked.")
    return redirect("profile")
