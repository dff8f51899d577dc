"""Where the apps above sla learn that an account's counted failures for a month changed.

A miss recorded, voided or excused, or an uptime shortfall that starts or stops counting,
changes how many failures a month counts toward termination. sla does not know who cares:
billing registers a listener in its AppConfig.ready(), and sla calls every listener after
the transaction that made the change commits.
"""

from collections.abc import Callable

from django.db import transaction

Listener = Callable[..., None]
_listeners: list[Listener] = []


def listen(listener: Listener) -> None:
    """Call `listener(account_id=..., month=...)` after each change commits (once per listener)."""
    if listener not in _listeners:
        _listeners.append(listener)


def listeners() -> list[Listener]:
    return list(_listeners)


def counted_failures_changed(*, account_id: int, month: str) -> None:
    """Schedule every listener for after the current transaction commits."""
    for listener in _listeners:
        transaction.on_commit(lambda f=listener: f(account_id=account_id, month=month))


# --- is a month invoiced? --------------------------------------------------------------------

MonthInvoiced = Callable[..., bool]
_month_invoiced: list[MonthInvoiced] = []


def answer_month_invoiced(answer: MonthInvoiced) -> None:
    """Billing answers `answer(account_id=..., month=...) -> bool`: has an invoice covered that month?"""
    _month_invoiced[:] = [answer]


def month_invoiced(*, account_id: int, month: str) -> bool:
    """Whether an invoice covers the account's month (False while no app answers: nothing invoiced)."""
    return any(answer(account_id=account_id, month=month) for answer in _month_invoiced)
