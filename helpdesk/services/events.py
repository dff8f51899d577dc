"""The ticket history: one row per change, with a stable code."""
import datetime as dt

from helpdesk.models import Ticket, TicketEvent, User


def event_record(
    *, ticket: Ticket, code: str, actor: User | None, at: dt.datetime, **data
) -> TicketEvent:
    return TicketEvent.objects.create(ticket=ticket, code=code, actor=actor, at=at, data=data)
