"""A plan's uptime terms (Plan.uptime_terms), checked and read.

Each priority level of a monitored item guarantees an uptime (percent, as text: Decimal); every
started hour beyond the permitted downtime earns a percent of the month's fee on marginal tiers,
within the uptime cap; `shares_voucher_cap` says whether the response-time voucher cap also
holds, `counts_toward_termination` whether a month below guarantee is a failure, and
`excluded_kinds` which exclusion kinds come off measured uptime (scheduled maintenance windows
always do: they are agreed).
"""

from decimal import Decimal

from sla.clocks.models import ExclusionKind
from sla.uptime import measure

TERM_KEYS = {
    "levels",
    "default_level",
    "credit_tiers",
    "cap_percent",
    "shares_voucher_cap",
    "counts_toward_termination",
    "excluded_kinds",
}
MAX_LEVELS = 20
MAX_LEVEL_NAME = 32


def _percent_text(value, field: str) -> str:
    if isinstance(value, str) and len(value) > 32:
        raise ValueError(f"uptime_terms {field}: too long to be a percent.")
    number = measure.percent(value, field=f"uptime_terms {field}")
    if number != number.quantize(Decimal("0.0001")):
        raise ValueError(f"uptime_terms {field}: at most four decimal places.")
    return str(number.quantize(Decimal("0.01")) if number == number.quantize(Decimal("0.01")) else number)


def clean_uptime_terms(value) -> dict:
    """The uptime terms in canonical form; ValueError naming what is wrong."""
    if not isinstance(value, dict):
        raise ValueError("uptime_terms: give an object.")
    unknown = sorted(str(key) for key in set(value) - TERM_KEYS)
    if unknown:
        raise ValueError(f"uptime_terms: unknown key(s) {', '.join(unknown)}.")
    missing = sorted(TERM_KEYS - set(value))
    if missing:
        raise ValueError(f"uptime_terms: give {', '.join(missing)}.")
    levels = value["levels"]
    if not isinstance(levels, dict) or not 1 <= len(levels) <= MAX_LEVELS:
        raise ValueError(f"uptime_terms levels: give 1 to {MAX_LEVELS} levels, each a name and a percent.")
    clean_levels = {}
    for name, percent in levels.items():
        if not isinstance(name, str) or not name.isidentifier() or len(name) > MAX_LEVEL_NAME:
            shown = str(name)[:40]
            raise ValueError(f"uptime_terms levels: {shown!r} is not a level name (letters, digits, _).")
        clean_levels[name] = _percent_text(percent, f"level {name}")
    if value["default_level"] not in clean_levels:
        raise ValueError("uptime_terms default_level: must be one of the levels.")
    tiers = measure.parse_tiers(value["credit_tiers"])
    for flag in ("shares_voucher_cap", "counts_toward_termination"):
        if not isinstance(value[flag], bool):
            raise ValueError(f"uptime_terms {flag}: must be true or false.")
    kinds = value["excluded_kinds"]
    if not isinstance(kinds, list) or any(kind not in ExclusionKind.values for kind in kinds):
        raise ValueError(f"uptime_terms excluded_kinds: a list of {', '.join(ExclusionKind.values)}.")
    return {
        "levels": clean_levels,
        "default_level": value["default_level"],
        "credit_tiers": [
            {"up_to_hours": t.up_to_hours, "percent_per_hour": _percent_text(t.percent_per_hour, "tier")}
            for t in tiers
        ],
        "cap_percent": _percent_text(value["cap_percent"], "cap_percent"),
        "shares_voucher_cap": value["shares_voucher_cap"],
        "counts_toward_termination": value["counts_toward_termination"],
        "excluded_kinds": [kind for kind in ExclusionKind.values if kind in kinds],
    }
