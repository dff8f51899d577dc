"""Canned replies filled in for one ticket: known placeholders replaced, anything else left as typed."""

import re

from django.utils import timezone

PLACEHOLDERS = ("customer_name", "ticket_number", "deadline")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def fill(body: str, ticket) -> str:
    """The body with {customer_name}, {ticket_number} and {deadline} of `ticket` (others untouched)."""
    values = {
        "customer_name": ticket.created_by.display_name,
        "ticket_number": f"#{ticket.pk}",
        "deadline": timezone.localtime(ticket.work_started_deadline).strftime("%-d %b %Y, %H:%M %Z"),
    }
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), body)


def unknown_placeholders(body: str) -> list[str]:
    return sorted({name for name in _PLACEHOLDER.findall(body) if name not in PLACEHOLDERS})
