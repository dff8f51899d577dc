"""Checks of the plan terms whose rules live in a higher app: told by that app, at start-up.

sla.terms stores `response_penalty` and `uptime_terms` as data, but what makes them valid is
known where they are used: billing's money module prices response penalties, sla.uptime reads
uptime terms. Each registers its check in AppConfig.ready(); a check takes the raw value and
returns it in canonical form, or raises ValueError saying what is wrong.
"""

from collections.abc import Callable

from django.core.exceptions import ImproperlyConfigured

Check = Callable[[object], dict]

_checks: dict[str, Check] = {}


def provide_check(term: str, check: Check | None) -> None:
    """Install the check of a plan term (None forgets it)."""
    if check is None:
        _checks.pop(term, None)
    else:
        _checks[term] = check


def check(term: str, value) -> dict:
    """The term's value in canonical form; ValueError if it is not valid."""
    if term not in _checks:
        raise ImproperlyConfigured(f"The plan term {term} needs the app that checks it installed.")
    return _checks[term](value)
