"""A person's own profile: which mail they receive."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from helpdesk.accounts.models import NotificationCategory
from helpdesk.accounts.selectors import muted_categories
from helpdesk.accounts.services.notifications import notification_preferences_set


class PreferencesForm(forms.Form):
    receive = forms.MultipleChoiceField(
        choices=NotificationCategory.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Send me e-mail about",
    )


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
        return render(request, "accounts/profile.html", {"form": form}, status=400)
    form = PreferencesForm(initial={"receive": sorted(every - muted_categories(request.user))})
    return render(request, "accounts/profile.html", {"form": form})
