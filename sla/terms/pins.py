"""Which plan version's terms an account's month is on: told by billing, which keeps the terms.

A subscription term keeps the plan version it started with (billing.Subscription), and billing
copies a month's terms from it. sla.uptime prices a month's uptime credits on those terms, but
never imports billing: billing answers here in its AppConfig.ready(). Without an answer (billing
not installed), callers fall back to the version the account is pinned to now.
"""

from collections.abc import Callable, Iterable

# (account_ids=, month=) -> {account id: the terms of its plan version for that month}
MonthTerms = Callable[..., dict[int, dict]]

_month_terms: MonthTerms | None = None


def answer_month_terms(answer: MonthTerms | None) -> None:
    """Install who answers (None forgets it)."""
    global _month_terms
    _month_terms = answer


def month_terms(*, account_ids: Iterable[int], month: str) -> dict[int, dict]:
    """{account id: plan version terms (sla.terms.versions shape)} for `month`; {} without an answer."""
    if _month_terms is None:
        return {}
    return _month_terms(account_ids=list(account_ids), month=month)
