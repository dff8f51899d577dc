"""What every page needs to know about the viewer's role (from access.py, nowhere else), the
addresses the navigation links to, and the page's CSRF field."""

import functools

from django.middleware.csrf import get_token
from django.urls import get_script_prefix, reverse
from django.utils.functional import cached_property
from django.utils.safestring import mark_safe

from helpdesk.kit import roles

# The pages the top bar (and the queue, the busiest page) links to, by URL name.
NAV_PAGES = (
    "home",
    "portal",
    "ticket_new",
    "chat_portal",
    "uptime",
    "queue",
    "account_list",
    "chat_console",
    "misses",
    "sla_report",
    "exclusions",
    "billing_month_current",
    "billing_invoices",
    "billing_claims",
    "billing_terminations",
    "profile",
    "logout",
    "canned_reply_list",
    "tag_list",
    "staff_ticket_new",
    "queue_counters",
    "queue_alerts",
    "queue_bulk",
    "saved_view_create",
)


@functools.lru_cache(maxsize=8)
def nav_urls(prefix: str) -> dict[str, str]:
    """The navigation's addresses, reversed once per script prefix rather than on every page."""
    return {name: reverse(name) for name in NAV_PAGES}


class CsrfInput:
    """The hidden CSRF field, its token masked once for the whole page (`{% csrf_token %}` masks
    a fresh one per form, and a page like the queue has six forms)."""

    def __init__(self, request):
        self.request = request

    @cached_property
    def html(self) -> str:
        token = get_token(self.request)
        return mark_safe(f'<input type="hidden" name="csrfmiddlewaretoken" value="{token}">')  # noqa: S308

    def __html__(self) -> str:
        return self.html

    def __str__(self) -> str:
        return self.html


def pledge(request):
    user = request.user
    return {
        "viewer_is_staff": roles.is_staff(user),
        "viewer_is_customer": roles.is_customer(user),
        "viewer_is_billing_admin": roles.is_billing_admin(user),
        "nav": nav_urls(get_script_prefix()),
        "csrf_input": CsrfInput(request),
    }
