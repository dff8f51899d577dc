"""Money as the contract writes it, and what the misses page says about claiming each miss."""

from django import template
from django.utils import timezone

from billing import claim_states as states
from billing import money
from helpdesk.kit.pages import duration_text
from sla.uptime import measure as uptime

register = template.Library()


@register.filter
def money_text(amount, currency) -> str:
    """An amount in its currency's minor unit: 1000.00 USD, 1000 JPY, 1.250 KWD."""
    if amount is None or amount == "":
        return ""
    return money.format_amount(amount, currency or "")


register.filter("money", money_text)


@register.filter
def uptime_percent(value) -> str:
    """An uptime or a guarantee as the status page shows it: 99.9, 99.764 (rounded down, never up)."""
    return uptime.percent_text(value)


@register.filter
def duration(seconds) -> str:
    """Working seconds as the pages write durations: 2h 5m."""
    return "" if seconds is None else duration_text(seconds)


@register.filter
def negated(amount):
    return -amount


@register.simple_tag(takes_context=True)
def claim_states(context, misses) -> dict:
    """{miss id: ClaimState} for the misses shown (customers only; one page, two queries)."""
    request = context.get("request")
    if request is None:
        return {}
    return states.claim_states(user=request.user, misses=misses, now=timezone.now())


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None
