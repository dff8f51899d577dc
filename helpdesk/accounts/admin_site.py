"""The admin site: signs in through Pledge's two-step sign-in, and lets in a staff member with a
TOTP device only once this session has been verified by it (django-otp's OTPAdminSite asks that of
everyone; Pledge's two-factor sign-in is optional, so it asks it of those who turned it on)."""

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpResponseRedirect
from django.urls import reverse

from helpdesk.accounts import selectors
from helpdesk.accounts.views.signin import PledgeLoginView


class PledgeAdminSite(admin.AdminSite):
    def has_permission(self, request):
        user = request.user
        if not super().has_permission(request):
            return False
        return not selectors.has_two_factor(user) or user.is_verified()

    def login(self, request, extra_context=None):
        """Django's admin login (its form and page), on the view that asks for the code next."""
        if request.method == "GET" and self.has_permission(request):
            return HttpResponseRedirect(reverse("admin:index", current_app=self.name))
        context = {
            **self.each_context(request),
            "title": "Log in",
            "subtitle": None,
            "app_path": request.get_full_path(),
            "username": request.user.get_username(),
        }
        if REDIRECT_FIELD_NAME not in request.GET and REDIRECT_FIELD_NAME not in request.POST:
            context[REDIRECT_FIELD_NAME] = reverse("admin:index", current_app=self.name)
        context.update(extra_context or {})
        request.current_app = self.name
        return PledgeLoginView.as_view(
            extra_context=context,
            authentication_form=self.login_form or AdminAuthenticationForm,
            template_name=self.login_template or "admin/login.html",
            redirect_authenticated_user=False,
        )(request)
