"""The ticket history: one row per change, with a stable code."""

import datetime as dt

from helpdesk.accounts.models import User
from helpdesk.tickets.models import Ticket, TicketEvent


def event_record(*, ticket: Ticket, code: str, actor: User | None, at: dt.datetime, **data) -> TicketEvent:
    return TicketEvent.objects.create(ticket=ticket, code=code, actor=actor, at=at, data=data)
