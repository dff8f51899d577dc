"""What the clocks know about a ticket, for its page and API: the exclusion periods that paused its
clock, and the progress updates that lapsed on it.

Tickets sit below sla.clocks and never import it: the clocks register providers here in their
AppConfig.ready(); the ticket page asks for the periods that touched the ticket's clocks.
"""

from collections.abc import Callable

PeriodsProvider = Callable[..., list]
_providers: list[PeriodsProvider] = []


def provide_periods(provider: PeriodsProvider) -> None:
    """`provider(ticket=...)` returns the exclusion periods (cancelled too) that touched the ticket."""
    _providers[:] = [provider]


def periods_touching(*, ticket) -> list:
    return [period for provider in _providers for period in provider(ticket=ticket)]


LapsesProvider = Callable[..., dict]
_lapse_providers: list[LapsesProvider] = []


def provide_lapses(provider: LapsesProvider) -> None:
    """`provider(ticket_ids=...)` returns {ticket_id: [{"due_at", "recorded_at"}, ...]} in one query."""
    _lapse_providers[:] = [provider]


def update_lapses(*, ticket_ids) -> dict[int, list[dict]]:
    """The progress-update lapses of these tickets, oldest first (no provider: none)."""
    found: dict[int, list[dict]] = {}
    ticket_ids = list(ticket_ids)
    if not ticket_ids:
        return found
    for provider in _lapse_providers:
        for ticket_id, lapses in provider(ticket_ids=ticket_ids).items():
            found.setdefault(ticket_id, []).extend(lapses)
    return found
