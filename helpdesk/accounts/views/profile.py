"""The signed-in person's own page: which mail they receive, their API tokens (one per device,
revocable) and their password."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from helpdesk.accounts import access, selectors
from helpdesk.accounts.models import NotificationCategory
from helpdesk.accounts.services import tokens as token_services
from helpdesk.accounts.services.notifications import notification_preferences_set
from helpdesk.kit.errors import ValidationError


class PreferencesForm(forms.Form):
    receive = forms.MultipleChoiceField(
        choices=NotificationCategory.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Send me e-mail about",
    )


def _page(request, form, *, status: int = 200):
    offered = access.may_use_two_factor(request.user)
    context = {
        "form": form,
        "tokens": selectors.auth_tokens_of(user=request.user),
        "two_factor_offered": offered,
        "two_factor_on": offered and selectors.has_two_factor(request.user),
    }
    return render(request, "accounts/profile.html", context, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def profile(request):
    every = set(NotificationCategory.values)
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        if form.is_valid():
            notification_preferences_set(user=request.user, muted=every - set(form.cleaned_data["receive"]))
            messages.success(request, "Your notification settings are saved.")
            return redirect("profile")
        return _page(request, form, status=400)
    form = PreferencesForm(initial={"receive": sorted(every - selectors.muted_categories(request.user))})
    return _page(request, form)


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
