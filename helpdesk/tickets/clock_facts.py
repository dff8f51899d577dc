"""What the clocks know about a ticket, for its page: the exclusion periods that paused its clock.

Tickets sit below sla.clocks and never import it: the clocks register a provider here in their
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
