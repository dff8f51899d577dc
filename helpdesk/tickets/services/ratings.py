"""CSAT: the customer rates a resolved ticket once, good or bad, with an optional comment."""

import datetime as dt

from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone

from helpdesk.accounts.models import User
from helpdesk.kit import roles
from helpdesk.kit.errors import ConflictError, ValidationError
from helpdesk.kit.validation import clean_text
from helpdesk.tickets import access
from helpdesk.tickets.models import Rating, Ticket, TicketRating, TicketStatus
from helpdesk.tickets.services.events import event_record

RATING_LINK_SALT = "pledge.tickets.rating"
RATING_LINK_MAX_AGE = dt.timedelta(days=60)


def rating_token(*, ticket: Ticket, user: User) -> str:
    """The signed part of a rating link in the resolved e-mail: it names one ticket and one person."""
    return signing.dumps({"t": ticket.pk, "u": user.pk}, salt=RATING_LINK_SALT, compress=True)


def rating_token_reader(token: str) -> tuple[int, int] | None:
    """(ticket id, user id) of a genuine, unexpired token; None otherwise."""
    try:
        data = signing.loads(token, salt=RATING_LINK_SALT, max_age=RATING_LINK_MAX_AGE)
        return int(data["t"]), int(data["u"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def may_rate(user: User, ticket: Ticket) -> bool:
    """The requester; for a ticket staff opened on a customer's behalf, any of the account's people."""
    if not (roles.is_customer(user) and access.may_reply(user, ticket)):
        return False
    return ticket.created_by_id == user.pk or not roles.is_customer(ticket.created_by)


@transaction.atomic
def ticket_rate(
    *, ticket: Ticket, user: User, rating: str, comment: str = "", now: dt.datetime | None = None
) -> TicketRating:
    """Store the rating; a second one is a conflict (409), and the first stands."""
    roles.require(may_rate(user, ticket), "Only the ticket's requester can rate it.")
    errors: dict[str, list] = {}
    if rating not in Rating.values:
        errors.setdefault("rating", []).append("Choose good or bad.")
    comment = clean_text(comment, field="comment", max_length=2000, errors=errors, required=False)
    if errors:
        raise ValidationError(errors)
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if locked.status not in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
        raise ConflictError("Only a resolved or closed ticket can be rated.", code="not_resolved")
    if TicketRating.objects.filter(ticket=locked).exists():
        raise ConflictError("This ticket has been rated already.", code="already_rated")
    now = now or timezone.now()
    try:
        with transaction.atomic():
            stored = TicketRating.objects.create(
                ticket=locked,
                account_id=locked.account_id,
                rating=rating,
                comment=comment,
                rated_by=user,
                created_at=now,
            )
    except IntegrityError as error:  # two clicks at the same instant: the first stands
        raise ConflictError("This ticket has been rated already.", code="already_rated") from error
    event_record(ticket=locked, code="rated", actor=user, at=now, rating=rating)
    return stored
