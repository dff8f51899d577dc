"""Helpers every app's pages share: durations as words, service errors on forms."""

import math

from helpdesk.kit.errors import ValidationError


def add_service_errors(form, error: ValidationError, *, aliases: dict[str, str] | None = None) -> None:
    """Put a service's field errors next to the form's fields (`aliases` names the form field of a
    service field that the form calls otherwise); the rest above the form."""
    aliases = aliases or {}
    for field, problems in error.message_dict.items():
        target = aliases.get(field, field)
        form.add_error(target if target in form.fields else None, problems)


def duration_text(seconds: float, *, whole_minutes: bool = False) -> str:
    """Compact duration: 2d 3h, 5h 59m, 29m 12s, 42s; the same as static/pledge/duration.js.

    `whole_minutes` leaves out a zero count of seconds ("5m", not "5m 0s").
    """
    text = _duration(seconds)
    return text.removesuffix(" 0s") if whole_minutes else text


def _duration(seconds: float) -> str:
    seconds = max(0, math.floor(seconds))
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    if minutes:
        return f"{minutes}m {secs}s"
    return f"{secs}s"
