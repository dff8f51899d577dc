"""What the plan and calendar services share: input checks and the 'not given' marker."""

import functools
import unicodedata
import zoneinfo
from decimal import Decimal
from typing import Any


class _Unset:
    """Marks a keyword an update was not given (None is a real value for some fields)."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


@functools.cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _add(errors: dict, field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def _clean_name(value, *, field: str, max_length: int, errors: dict) -> str:
    """A one-line name: present, bounded, no control characters at all."""
    if not isinstance(value, str):
        _add(errors, field, "Must be text.")
        return ""
    value = value.strip()
    if not value:
        _add(errors, field, "This field is required.")
    elif len(value) > max_length:
        _add(errors, field, f"Ensure this field has no more than {max_length} characters.")
    elif any(unicodedata.category(ch) == "Cc" for ch in value):
        _add(errors, field, "Contains control characters.")
    return value


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _clean_int(value, *, field: str, low: int, high: int, errors: dict, nullable: bool = False):
    if value is None and nullable:
        return None
    if not _is_int(value) or not low <= value <= high:
        _add(errors, field, f"Must be a whole number from {low} to {high}.")
    return value


def _clean_percent(value, *, field: str, errors: dict) -> Decimal | None:
    if _is_int(value):
        value = Decimal(value)
    if (
        not isinstance(value, Decimal)
        or not value.is_finite()
        or value.as_tuple().exponent < -2
        or not Decimal(0) <= value <= Decimal(100)
    ):
        _add(errors, field, "Must be a decimal from 0.00 to 100.00 with at most 2 decimal places.")
        return None
    return value.quantize(Decimal("0.01"))
