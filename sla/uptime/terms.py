"""The uptime terms of a plan that has no UptimeTerms row of its own: seed 004's.

Each priority level of a monitored item guarantees an uptime (percent, as text: Decimal); every
started hour beyond the permitted downtime earns a percent of the month's fee on marginal tiers,
capped at 50% of the fee (the uptime penalties' own cap), and a month below guarantee counts
toward termination. A plan's UptimeTerms row overrides the credit terms.
"""

LEVELS = {"critical": "99.95", "high": "99.9", "standard": "99.5"}
DEFAULT_LEVEL = "high"
CREDIT_TIERS = [
    {"up_to_hours": 4, "percent_per_hour": "5"},
    {"up_to_hours": 8, "percent_per_hour": "7.5"},
    {"up_to_hours": None, "percent_per_hour": "10"},
]
CAP_PERCENT = "50"
SHARES_VOUCHER_CAP = False
COUNTS_TOWARD_TERMINATION = True
