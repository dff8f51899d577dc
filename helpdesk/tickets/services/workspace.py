"""Workspace writes: who owns a ticket, and an engineer's saved queue views."""

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from helpdesk.accounts.models import User
from helpdesk.kit import roles
from helpdesk.kit.errors import field_error
from helpdesk.kit.validation import clean_text
from helpdesk.tickets import access, canned, selectors
from helpdesk.tickets.models import CannedReply, Message, SavedView, Tag, Ticket
from helpdesk.tickets.services.events import event_record
from helpdesk.tickets.services.messages import message_create
from helpdesk.tickets.services.tickets import ticket_create

MAX_SAVED_VIEWS = 30
TAG_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
CHANNELS = Ticket.CHANNELS


@transaction.atomic
def ticket_assign(
    *, ticket: Ticket, actor: User, assignee: User | None, now: dt.datetime | None = None
) -> Ticket:
    """Give the ticket to `assignee` (None unassigns); an event says from whom to whom.

    Assigning to the current owner changes nothing and writes no event.
    """
    roles.require(access.may_work_tickets(actor), "Only support staff can assign tickets.")
    if assignee is not None and not (assignee.is_active and roles.is_staff(assignee)):
        raise field_error("assignee", "Tickets can only be assigned to active support staff.")
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if locked.assignee_id == (assignee.pk if assignee else None):
        return locked
    now = now or timezone.now()
    previous = locked.assignee_id
    locked.assignee = assignee
    locked.save(update_fields=["assignee", "updated_at"])
    code = "unassigned" if assignee is None else ("assigned" if previous is None else "reassigned")
    event_record(
        ticket=locked,
        code=code,
        actor=actor,
        at=now,
        assignee=assignee.pk if assignee else None,
        previous_assignee=previous,
    )
    return locked


@transaction.atomic
def saved_view_create(*, owner: User, name: str, query: dict) -> SavedView:
    """Remember a queue view under a name (replacing one of the same name)."""
    roles.require(access.may_work_tickets(owner), "Only support staff have a queue.")
    errors: dict = {}
    name = clean_text(name, field="name", max_length=60, errors=errors)
    if errors:
        raise ValidationError(errors)
    existing = SavedView.objects.select_for_update().filter(owner=owner)
    if existing.count() >= MAX_SAVED_VIEWS and not existing.filter(name=name).exists():
        raise field_error("name", f"Keep at most {MAX_SAVED_VIEWS} saved views; delete one first.")
    try:
        with transaction.atomic():
            view, _ = SavedView.objects.update_or_create(owner=owner, name=name, defaults={"query": query})
    except IntegrityError as error:  # a concurrent save of the same name
        raise field_error("name", "A view with this name was just saved; try again.") from error
    transaction.on_commit(selectors.choices_changed)  # the queue's tabs are kept with its lists
    return view


@transaction.atomic
def saved_view_delete(*, owner: User, view: SavedView) -> None:
    if view.owner_id != owner.pk:
        raise roles.Denied("This view is someone else's.")
    view.delete()
    transaction.on_commit(selectors.choices_changed)


@transaction.atomic
def canned_reply_save(*, actor: User, title: str, body: str, reply: CannedReply | None = None) -> CannedReply:
    """Create or change a canned reply (staff only); an unknown {placeholder} is refused."""
    roles.require(access.may_work_tickets(actor), "Only support staff keep canned replies.")
    errors: dict = {}
    title = clean_text(title, field="title", max_length=100, errors=errors)
    body = clean_text(body, field="body", max_length=5000, errors=errors)
    unknown = canned.unknown_placeholders(body)
    if unknown:
        errors.setdefault("body", []).append(
            f"Unknown placeholder(s): {', '.join(unknown)}. Use {', '.join(canned.PLACEHOLDERS)}."
        )
    clash = CannedReply.objects.filter(title=title).exclude(pk=reply.pk if reply else None)
    if title and clash.exists():
        errors.setdefault("title", []).append("A canned reply has this title already.")
    if errors:
        raise ValidationError(errors)
    transaction.on_commit(selectors.choices_changed)
    if reply is None:
        return CannedReply.objects.create(title=title, body=body, created_by=actor)
    reply = CannedReply.objects.select_for_update().get(pk=reply.pk)
    reply.title, reply.body = title, body
    reply.save(update_fields=["title", "body", "updated_at"])
    return reply


@transaction.atomic
def canned_reply_delete(*, actor: User, reply: CannedReply) -> None:
    """Forget a canned reply; replies already sent with it stay as they were written."""
    roles.require(access.may_work_tickets(actor), "Only support staff keep canned replies.")
    CannedReply.objects.filter(pk=reply.pk).delete()
    transaction.on_commit(selectors.choices_changed)


@transaction.atomic
def canned_reply_send(
    *, ticket: Ticket, reply: CannedReply, author: User, now: dt.datetime | None = None
) -> Message:
    """Send a canned reply on a ticket as a public reply, its placeholders filled for that ticket.

    It is a reply like any other: the customer is mailed, and it starts work and answers the
    customer (the clock stops) when it is the first public staff reply.
    """
    roles.require(access.may_work_tickets(author), "Only support staff use canned replies.")
    return message_create(ticket=ticket, author=author, body=canned.fill(reply.body, ticket), now=now)


@transaction.atomic
def ticket_open_for_customer(
    *, actor: User, account, requester: User, channel: str, now: dt.datetime | None = None, **fields
) -> Ticket:
    """Staff open a ticket on a customer's behalf (a call, an e-mail): the requester is the customer,
    the promise follows the account's plan as usual, and an event names who typed it in."""
    roles.require(access.may_work_tickets(actor), "Only support staff open tickets for customers.")
    if requester.account_id != account.pk or not roles.is_customer(requester) or not requester.is_active:
        raise field_error("requester", "Choose an active customer of this account.")
    if channel not in CHANNELS:
        raise field_error("channel", f"Choose one of: {', '.join(CHANNELS)}.")
    ticket = ticket_create(account=account, created_by=requester, now=now, **fields)
    ticket.channel = channel
    ticket.save(update_fields=["channel", "updated_at"])
    event_record(
        ticket=ticket, code="opened_by_staff", actor=actor, at=now or timezone.now(), channel=channel
    )
    return ticket


MAX_TAGS = 10


@transaction.atomic
def ticket_set_tags(
    *, ticket: Ticket, actor: User, names: list[str], now: dt.datetime | None = None
) -> Ticket:
    """Replace the ticket's tags with existing ones named in `names` (staff keep the tag list)."""
    roles.require(access.may_work_tickets(actor), "Only support staff tag tickets.")
    wanted = sorted(set(names))
    if len(wanted) > MAX_TAGS:
        raise field_error("tags", f"At most {MAX_TAGS} tags on a ticket.")
    tags = list(Tag.objects.filter(name__in=wanted))
    missing = sorted(set(wanted) - {tag.name for tag in tags})
    if missing:
        raise field_error("tags", f"No such tag: {', '.join(missing)}.")
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    before = sorted(locked.tags.values_list("name", flat=True))
    if before == wanted:
        return locked
    locked.tags.set(tags)
    event_record(
        ticket=locked, code="tags_changed", actor=actor, at=now or timezone.now(), tags=wanted, before=before
    )
    return locked


@transaction.atomic
def tag_save(*, actor: User, name: str, internal: bool, tag: Tag | None = None) -> Tag:
    """Create or change a tag (staff only): a lowercase slug, unique; `internal` hides it from customers."""
    roles.require(access.may_work_tickets(actor), "Only support staff keep the tag list.")
    errors: dict = {}
    name = clean_text(name, field="name", max_length=50, errors=errors).lower()
    if name and not TAG_NAME.fullmatch(name):
        errors.setdefault("name", []).append(
            "Use lowercase letters, digits and hyphens, e.g. “billing-question”."
        )
    if not isinstance(internal, bool):
        errors.setdefault("internal", []).append("Must be true or false.")
    if name and Tag.objects.filter(name=name).exclude(pk=tag.pk if tag else None).exists():
        errors.setdefault("name", []).append("A tag has this name already.")
    if errors:
        raise ValidationError(errors)
    transaction.on_commit(selectors.choices_changed)
    try:
        with transaction.atomic():
            if tag is None:
                return Tag.objects.create(name=name, internal=internal)
            tag = Tag.objects.select_for_update().get(pk=tag.pk)
            tag.name, tag.internal = name, internal
            tag.save(update_fields=["name", "internal"])
            return tag
    except IntegrityError as error:  # the same name saved at the same moment
        raise field_error("name", "A tag has this name already.") from error


@transaction.atomic
def tag_delete(*, actor: User, tag: Tag) -> int:
    """Remove a tag from the list and from every ticket that carried it; returns how many did."""
    roles.require(access.may_work_tickets(actor), "Only support staff keep the tag list.")
    tagged = tag.tickets.count()
    Tag.objects.filter(pk=tag.pk).delete()
    transaction.on_commit(selectors.choices_changed)
    return tagged
