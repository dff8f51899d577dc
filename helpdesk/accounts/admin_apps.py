"""The Django admin, on Pledge's admin site (two-factor sign-in for staff who turned it on)."""

from django.contrib.admin.apps import AdminConfig


class PledgeAdminConfig(AdminConfig):
    default_site = "helpdesk.accounts.admin_site.PledgeAdminSite"
