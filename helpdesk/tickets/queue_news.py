"""What else the queue page's poll reports besides tickets, told by the apps above tickets.

Live chat sits above tickets and is never imported here: it registers a source in its
AppConfig.ready() that says how many chats wait and the newest one's number, so the queue can
announce a new chat as it announces a new ticket.
"""

from collections.abc import Callable

Source = Callable[..., dict]
_sources: list[Source] = []


def register(source: Source) -> None:
    """`source(user=...)` returns figures to merge into the poll's answer (JSON-ready values)."""
    if source not in _sources:
        _sources.append(source)


def news(*, user) -> dict:
    figures: dict = {}
    for source in _sources:
        figures.update(source(user=user))
    return figures
