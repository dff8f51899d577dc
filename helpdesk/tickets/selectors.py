"""Reads: querysets tuned for each screen, every one scoped through access.py."""

import collections
import threading
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db.models import BooleanField, Case, Count, Max, Prefetch, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from helpdesk.accounts import access as accounts_access
from helpdesk.accounts.models import Account, User
from helpdesk.kit import lightrows, roles
from helpdesk.kit.keyset import Segment
from helpdesk.tickets import access, origins, search
from helpdesk.tickets.models import (
    OPEN_STATUSES,
    Attachment,
    CannedReply,
    Message,
    SavedView,
    Tag,
    Ticket,
    TicketEvent,
    TicketStatus,
)
from sla.terms.models import Plan

TICKET_LIST_RELATED = ("account", "account__plan", "created_by", "work_started_by", "item")
# What a queue row shows (views/presentation.py) and its keyset position needs, and no more:
# a page reads 26 rows, every column read is converted in Python, and the account, plan and
# assignee are named from the queue's kept lists (name_queue_rows), not joined or built as models.
QUEUE_ROW_FIELDS = (
    "subject",
    "description",
    "affected_service",
    "priority",
    "status",
    "created_at",
    "promise",
    "work_started_deadline",
    "at_risk_at",
    "work_started_at",
    "responded_at",
    "next_update_due",
    "account_id",
    "plan_id",
    "assignee_id",
)


# What a portal row shows (views/presentation.py) and its keyset position needs.
PORTAL_ROW_FIELDS = (
    "subject",
    "priority",
    "status",
    "created_at",
    "created_by_id",
    "promise",
    "work_started_deadline",
    "at_risk_at",
    "work_started_at",
    "responded_at",
    "next_update_due",
)


def as_portal_rows(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """The tickets with a portal row's columns only, and who opened each (User.name_columns)."""
    return tickets.select_related(None).only(*PORTAL_ROW_FIELDS).annotate(**User.name_columns("created_by"))


def queue_rows(*, with_description: bool = False) -> QuerySet[Ticket]:
    """Every ticket, read as a queue row reads it: its columns only (no join: name_queue_rows
    names them), as tuples (helpdesk.kit.lightrows.values_base) to filter with workspace_tickets
    (a search adds its `rank`) and build into tickets with lightrows.builder."""
    names = tuple(f for f in QUEUE_ROW_FIELDS if with_description or f != "description")
    return lightrows.values_base(Ticket, names)


def name_queue_rows(rows: list[Ticket], *, lists: dict) -> list[Ticket]:
    """Give each row `account_name`, `plan_name` and `assignee_name` ("" when unassigned) from the
    names the queue's kept lists hold (queue_lists), asking the database only for the ids they
    lack (an account, plan or engineer newer than the lists: usually no query at all)."""
    names = lists.get("names") or lists.setdefault(
        "names",
        {
            "accounts": dict(lists["choices"]["accounts"]),
            "plans": dict(lists["plan_names"]),
            "staff": dict(lists["choices"]["engineers"]),
        },
    )
    accounts, plans, staff = names["accounts"], names["plans"], names["staff"]
    # The kept names are shared: what a page reads besides them goes into copies of its own.
    missing = {t.account_id for t in rows} - accounts.keys()
    if missing:
        accounts = {**accounts, **dict(Account.objects.filter(pk__in=missing).values_list("pk", "name"))}
    missing = {t.plan_id for t in rows} - plans.keys()
    if missing:
        plans = {**plans, **dict(Plan.objects.filter(pk__in=missing).values_list("pk", "name"))}
    missing = {t.assignee_id for t in rows if t.assignee_id} - staff.keys()
    if missing:
        staff = {**staff, **{user.pk: user.display_name for user in User.objects.filter(pk__in=missing)}}
    for ticket in rows:
        ticket.account_name = accounts.get(ticket.account_id, "")
        ticket.plan_name = plans.get(ticket.plan_id, "")
        ticket.assignee_name = staff.get(ticket.assignee_id, "") if ticket.assignee_id else ""
    return rows


def queue_tickets(*, user: User, filters: dict | None = None) -> QuerySet[Ticket]:
    """Every open ticket the user may see: unstarted ones first, soonest deadline first.

    `filters` may hold plan (code), priority, status, account (id); unknown values match nothing.
    """
    filters = filters or {}
    tickets = access.tickets_visible_to(user).filter(status__in=OPEN_STATUSES)
    if filters.get("plan"):
        tickets = tickets.filter(plan__code=filters["plan"])
    if filters.get("priority"):
        tickets = tickets.filter(priority=filters["priority"])
    if filters.get("status"):
        tickets = tickets.filter(status=filters["status"])
    if filters.get("account"):
        tickets = tickets.filter(account_id=filters["account"])
    return (
        tickets.select_related(*TICKET_LIST_RELATED)
        .annotate(
            started=Case(
                When(responded_at__isnull=True, then=Value(False)),
                default=Value(True),
                output_field=BooleanField(),
            )
        )
        .order_by("started", "work_started_deadline", "id")
    )


def account_tickets(*, user: User, status: str = "", with_chat: bool = False) -> QuerySet[Ticket]:
    """The tickets a customer's portal lists, newest first (`with_chat`: with their origin, see origins)."""
    tickets = access.tickets_visible_to(user)
    if status == "open":
        tickets = tickets.filter(status__in=OPEN_STATUSES)
    elif status:
        tickets = tickets.filter(status=status)
    if with_chat:
        tickets = origins.with_origin(tickets, user=user)
    return tickets.select_related(*TICKET_LIST_RELATED).order_by("-created_at", "-id")


def ticket_for(*, user: User, pk) -> Ticket:
    """One ticket the user may see, or 404 (never a 403 that leaks another account's ticket).

    It carries where it came from (helpdesk.tickets.origins), e.g. the chat it was escalated from.
    """
    tickets = origins.with_origin(access.tickets_visible_to(user), user=user)
    return get_object_or_404(tickets.select_related(*TICKET_LIST_RELATED, "assignee"), pk=pk)


def ticket_messages(*, user: User, ticket: Ticket) -> QuerySet[Message]:
    return (
        access.messages_visible_to(user, ticket)
        .select_related("author")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("id")))
        .order_by("created_at", "id")
    )


def ticket_attachments(*, user: User, ticket: Ticket) -> QuerySet[Attachment]:
    """Files attached to the ticket itself (not to a message)."""
    return access.attachments_visible_to(user).filter(ticket=ticket, message__isnull=True)


def ticket_events(*, user: User, ticket: Ticket) -> QuerySet[TicketEvent]:
    events = ticket.events.select_related("actor").order_by("at", "id")
    if not roles.is_staff(user):
        # Internal notes and who works the ticket are the support team's business.
        events = events.exclude(
            code__in=["note_added", "assigned", "reassigned", "unassigned", "tags_changed"]
        )
    return events


def attachment_for(*, user: User, pk) -> Attachment:
    return get_object_or_404(access.attachments_visible_to(user), pk=pk)


# --- reads tuned for the browser pages ------------------------------------------------


def queue_page_tickets(*, user: User, filters: dict | None = None) -> QuerySet[Ticket]:
    """The queue screen's rows: queue_tickets plus the plan each ticket was promised under."""
    return queue_tickets(user=user, filters=filters).select_related("plan")


def customer_account(*, user: User):
    """The customer's own account with its plan and the plan's Work Started targets, or 404."""
    return get_object_or_404(
        accounts_access.accounts_visible_to(user)
        .select_related("plan")
        .prefetch_related("plan__response_targets"),
        pk=user.account_id,
    )


# --- the workspace (issue 14): views, filters, keyset orders, counters --------------------

VIEWS = {
    "open": "Open",
    "mine": "Mine",
    "unassigned": "Unassigned",
    "at_risk": "At risk",
    "overdue": "Overdue",
    "waiting": "Waiting on customer",
    "resolved": "Resolved",
    "closed": "Closed",
    "all": "All",
}
QUEUE_KEYS = ("work_started_deadline", "id")
NEWEST_KEYS = ("-created_at", "-id")
SEARCH_KEYS = ("-rank", "-id")


def _overdue(now) -> Q:
    return Q(work_started_at__isnull=True, work_started_deadline__lt=now)


def _in_view(tickets: QuerySet[Ticket], view: str, *, user: User, now) -> QuerySet[Ticket]:
    opened = tickets.filter(status__in=OPEN_STATUSES)
    return {
        "open": lambda: opened,
        "mine": lambda: opened.filter(assignee=user),
        "unassigned": lambda: opened.filter(assignee__isnull=True),
        "at_risk": lambda: opened.in_sla_state("at_risk", now),
        "overdue": lambda: opened.filter(_overdue(now)),
        "waiting": lambda: tickets.filter(status=TicketStatus.WAITING_ON_CUSTOMER),
        "resolved": lambda: tickets.filter(status=TicketStatus.RESOLVED),
        "closed": lambda: tickets.filter(status=TicketStatus.CLOSED),
        "all": lambda: tickets,
    }[view]()


def workspace_tickets(*, user: User, filters: dict, now, rows: QuerySet | None = None) -> QuerySet[Ticket]:
    """The tickets a view and its (validated) filters select, unordered; `q` annotates `rank`.

    filters: view, status ("open" or a status), priority, plan (code), account (id), sla_state,
    assignee (a user id, "me" or "none"), tag (name), q (search words). `rows`: the tickets read
    as a page reads them (e.g. lightrows.values_base), all of them by default.
    """
    tickets = access.tickets_visible_to(user, rows)
    if filters.get("view"):
        tickets = _in_view(tickets, filters["view"], user=user, now=now)
    status = filters.get("status")
    if status == "open":
        tickets = tickets.filter(status__in=OPEN_STATUSES)
    elif status:
        tickets = tickets.filter(status=status)
    for name, field in (("priority", "priority"), ("plan", "plan__code"), ("account", "account_id")):
        if filters.get(name):
            tickets = tickets.filter(**{field: filters[name]})
    if filters.get("sla_state"):
        tickets = tickets.in_sla_state(filters["sla_state"], now)
    assignee = filters.get("assignee")
    if assignee == "me":
        tickets = tickets.filter(assignee=user)
    elif assignee == "none":
        tickets = tickets.filter(assignee__isnull=True)
    elif assignee:
        tickets = tickets.filter(assignee_id=assignee)
    if filters.get("tag"):
        tags = Tag.objects.filter(name=filters["tag"])
        if not roles.is_staff(user):
            tags = tags.filter(internal=False)
        tickets = tickets.filter(tags__in=tags)
    if filters.get("q"):
        tickets = search.search(tickets, filters["q"], staff=roles.is_staff(user))
    return tickets


# Filters that only started (or only unstarted) tickets can match: a ticket past New has been
# started (a check constraint), met needs a start, at risk and overdue need none yet.
STARTED_ONLY = {
    "view": {"waiting", "resolved", "closed"},
    "status": {"work_started", "waiting_on_customer", "resolved", "closed"},
    "sla_state": {"met"},
}
UNSTARTED_ONLY = {"view": {"at_risk", "overdue"}, "sla_state": {"running", "at_risk"}}


def _matches(filters: dict, kinds: dict) -> bool:
    return any(filters.get(name) in values for name, values in kinds.items())


def ordered_segments(
    tickets: QuerySet[Ticket],
    *,
    ordering: str,
    searching: bool = False,
    filters: dict | None = None,
    build=None,
) -> list[Segment]:
    """The keyset segments of a listing: `deadline` is the queue's order (unstarted first,
    soonest deadline first), `newest` the portal's; a search is ranked.

    With the listing's `filters`, a segment they rule out is left out, so no query has to find
    it empty (SQLite's planner would read every Waiting ticket to learn none is unstarted).
    `build` turns fetched rows into the page's objects (see keyset.Segment).
    """
    if searching:
        return [Segment(tickets, SEARCH_KEYS, build)]
    if ordering == "deadline":
        unstarted = Segment(tickets, QUEUE_KEYS, build, where=Q(work_started_at__isnull=True))
        started = Segment(tickets, QUEUE_KEYS, build, where=Q(work_started_at__isnull=False))
        if _matches(filters or {}, STARTED_ONLY):
            return [started]
        if _matches(filters or {}, UNSTARTED_ONLY):
            return [unstarted]
        return [unstarted, started]
    return [Segment(tickets, NEWEST_KEYS, build)]


def ticket_counters(*, user: User, now, fresh: bool = False) -> dict:
    """The queue's header figures over every open ticket the user may see, in one query.

    The aggregate reads every open ticket, so each user's figures are kept for
    QUEUE_COUNTERS_SECONDS (a few seconds: the page polls them) unless `fresh`.
    """
    seconds = settings.QUEUE_COUNTERS_SECONDS
    key = f"tickets:counters:{user.pk}"
    if seconds and not fresh:
        cached = cache.get(key)
        if cached is not None:
            return cached
    counters = _counters(user=user, now=now)
    if seconds:
        cache.set(key, counters, seconds)
    return counters


def _counters(*, user: User, now) -> dict:
    opened = access.tickets_visible_to(user).filter(status__in=OPEN_STATUSES)
    return opened.aggregate(
        open=Count("pk"),
        waiting=Count("pk", filter=Q(status=TicketStatus.WAITING_ON_CUSTOMER)),
        unstarted=Count("pk", filter=Q(work_started_at__isnull=True)),
        at_risk=Count(
            "pk",
            filter=Q(work_started_at__isnull=True, at_risk_at__lte=now, work_started_deadline__gte=now),
        ),
        overdue=Count("pk", filter=_overdue(now)),
        unassigned=Count("pk", filter=Q(assignee__isnull=True)),
        mine=Count("pk", filter=Q(assignee=user)),
        newest=Coalesce(Max("pk"), 0),
    )


def saved_views(*, user: User) -> QuerySet[SavedView]:
    return SavedView.objects.filter(owner=user)


def tag_choices(*, user: User) -> QuerySet[Tag]:
    tags = Tag.objects.all()
    return tags if roles.is_staff(user) else tags.filter(internal=False)


def tags_with_counts() -> QuerySet[Tag]:
    """Every tag with the number of tickets carrying it, for the staff page that keeps them."""
    return Tag.objects.annotate(ticket_count=Count("tickets")).order_by("name")


def account_for_staff(*, user: User, pk) -> Account:
    """An account support staff open a ticket for, with its plan's targets, or 404."""
    return get_object_or_404(
        accounts_access.accounts_visible_to(user)
        .filter(is_active=True)
        .select_related("plan")
        .prefetch_related("plan__response_targets"),
        pk=pk,
    )


def requester_choices(*, account: Account) -> QuerySet[User]:
    """The active customers of the account: whom a ticket opened on their behalf may be for."""
    return User.objects.filter(account=account, role=roles.Role.CUSTOMER, is_active=True).order_by("username")


def engineer_choices() -> QuerySet[User]:
    return User.objects.filter(
        role__in=[roles.Role.ENGINEER, roles.Role.BILLING_ADMIN], is_active=True
    ).order_by("username")


def canned_replies(*, user: User) -> QuerySet[CannedReply]:
    """Staff's canned replies; customers never see them."""
    return CannedReply.objects.all() if roles.is_staff(user) else CannedReply.objects.none()


FILTER_CHOICES_SECONDS = 30


CHOICES_VERSION_KEY = "tickets:choices-version"


def _choices_key(name: str, user: User) -> str:
    # Saving a tag, a canned reply or a saved view moves the version on (see choices_changed), so
    # every user's kept lists are read afresh at once.
    return f"tickets:{name}:{cache.get(CHOICES_VERSION_KEY, 0)}:{user.pk}"


def choices_changed() -> None:
    """Tags, canned replies or saved views changed: forget the lists kept for the queue page."""
    try:
        cache.incr(CHOICES_VERSION_KEY)
    except ValueError:
        cache.set(CHOICES_VERSION_KEY, 1, None)


# This process's own copies of the kept lists, by the token the cache holds for them: a page turn
# reads a token (a few bytes) instead of unpickling hundreds of accounts, and what a page derives
# from the lists (the filter form's choices, see views.pages) is kept with them. The cache stays
# the judge of what is current: cleared, expired or moved to a new version, its token is gone.
_KEPT_LISTS: collections.OrderedDict[str, dict] = collections.OrderedDict()
KEPT_LISTS_MAX = 256
_KEPT_LISTS_LOCK = threading.Lock()


def queue_lists(*, user: User) -> dict:
    """What the queue page offers beside its rows, kept together for FILTER_CHOICES_SECONDS per
    user (one cache read a page turn or poll): `choices` for the filter selects as (value, label)
    pairs (plans, accounts, staff and tags: see QueueFilterForm), `canned` (id, title) for the bulk
    bar, `saved` (name, query string) for the user's saved views, `plan_names` (id, name) for
    the rows (see name_queue_rows). The dict is shared by this process's requests: read it, and
    add to it only what is derived from it."""
    key = _choices_key("queue-lists", user)
    token = cache.get(key)
    if token:
        with _KEPT_LISTS_LOCK:
            lists = _KEPT_LISTS.get(token)
            if lists is not None:
                _KEPT_LISTS.move_to_end(token)
                return lists
    plans = list(Plan.objects.order_by("name").values_list("pk", "code", "name"))
    lists = {
        "choices": {
            "plans": [(code, name) for _, code, name in plans],
            "accounts": list(
                accounts_access.accounts_visible_to(user).order_by("name").values_list("pk", "name")
            ),
            "engineers": [(user.pk, user.display_name) for user in engineer_choices()],
            "tags": list(tag_choices(user=user).values_list("name", "name")),
        },
        "plan_names": [(pk, name) for pk, _, name in plans],
        "canned": list(canned_replies(user=user).order_by("title").values_list("pk", "title")),
        "saved": [(view.name, view.query_string) for view in saved_views(user=user)],
    }
    if not token:
        # A token stands until the cache lets it go: a process that has not kept these lists yet
        # (another web process, where the cache is shared) keeps its own under the same token.
        token = uuid.uuid4().hex
        cache.set(key, token, FILTER_CHOICES_SECONDS)
    with _KEPT_LISTS_LOCK:
        _KEPT_LISTS[token] = lists
        while len(_KEPT_LISTS) > KEPT_LISTS_MAX:
            _KEPT_LISTS.popitem(last=False)
    return lists
