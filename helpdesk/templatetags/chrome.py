"""The top bar every page shows, rendered once per viewer and section, then reused.

What the bar shows depends only on who is viewing (name, role, account) and which section of
the site the page is in; those are the key of a small cache in this process, so a page turn
costs a dictionary lookup rather than some forty template nodes. The CSRF field of its
sign-out form is the one per-request part: it goes in where `csrf_mark` stands.
"""

import functools
from typing import NamedTuple

from django import template
from django.template.loader import get_template
from django.urls import get_script_prefix
from django.utils.safestring import SafeString, mark_safe

from helpdesk.kit import context_processors, roles

register = template.Library()

CSRF_MARK = "<!--pledge:csrf-->"
# Sections that cover every page under a path, then pages that are a section of their own.
SECTION_PREFIXES = (
    ("uptime", "/uptime/"),
    ("account_list", "/accounts/"),
    ("billing_month_current", "/billing/months/"),
)
SECTION_PAGES = (
    "portal",
    "ticket_new",
    "chat_portal",
    "queue",
    "chat_console",
    "misses",
    "sla_report",
    "exclusions",
    "billing_invoices",
    "billing_claims",
    "billing_terminations",
)


class Viewer(NamedTuple):
    """Everything of the signed-in user the bar shows (the cache's key, with the section)."""

    is_authenticated: bool
    is_customer: bool
    is_staff: bool
    is_billing_admin: bool
    is_superuser: bool
    display_name: str
    role_label: str
    account_id: int | None
    account_name: str


def _viewer(user) -> Viewer:
    if user is None or not user.is_authenticated:
        return Viewer(False, False, False, False, False, "", "", None, "")
    account = user.account if user.account_id else None  # read with the user (AccountModelBackend)
    return Viewer(
        True,
        roles.is_customer(user),
        roles.is_staff(user),
        roles.is_billing_admin(user),
        user.is_superuser,
        user.display_name,
        user.get_role_display(),
        user.account_id,
        account.name if account else "",
    )


def section_of(path: str, nav: dict) -> str:
    """The navigation entry a page belongs to ("" for none)."""
    for key, prefix in SECTION_PREFIXES:
        if path.startswith(prefix):
            return key
    for key in SECTION_PAGES:
        if path == nav[key]:
            return key
    return ""


@functools.lru_cache(maxsize=4096)
def _bar(prefix: str, viewer: Viewer, current: str) -> str:
    nav = context_processors.nav_urls(prefix)
    return get_template("partials/topbar.html").render(
        {
            "nav": nav,
            "current": current,
            "viewer": viewer,
            "viewer_is_customer": viewer.is_customer,
            "viewer_is_staff": viewer.is_staff,
            "viewer_is_billing_admin": viewer.is_billing_admin,
            "csrf_mark": mark_safe(CSRF_MARK),  # noqa: S308 - a constant
        }
    )


@register.simple_tag(takes_context=True)
def topbar(context) -> SafeString:
    request = context.get("request")
    prefix = get_script_prefix()
    current = section_of(request.path, context_processors.nav_urls(prefix)) if request else ""
    bar = _bar(prefix, _viewer(context.get("user")), current)
    return mark_safe(bar.replace(CSRF_MARK, str(context.get("csrf_input", ""))))  # noqa: S308 - rendered escaped
