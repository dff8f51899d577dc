"""Search over tickets in every state: subject, description, messages and requester.

PostgreSQL: full-text search (english) on stored vectors of tickets (weighted, migration 0002)
and of messages (migration 0004), both GIN-indexed, ranked by ts_rank with the subject above the
description; at most the newest CANDIDATES matches of each kind are ranked (and counted).
SQLite, the fallback for development: every word must appear (case-insensitively) in the
subject, description, a message or the requester's name; newest first. Both highlight the words
found, in Python, on the page's rows only.
"""

import re

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVectorField
from django.db import connection
from django.db.models import FloatField, Q, QuerySet, Value
from django.db.models.expressions import Expression
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from helpdesk.accounts.models import User
from helpdesk.tickets.models import Message, Ticket

MAX_QUERY = 200
MAX_WORDS = 8
CONFIG = "english"
# PostgreSQL ranks at most this many of the newest matches of each kind (ticket text, messages,
# requester): a common word matches most tickets, and ranking all of them cost a second.
CANDIDATES = 500


class StoredVector(Expression):
    """The stored vector PostgreSQL keeps on tickets (subject A, description B; migration 0002)
    and on messages (migration 0004).

    Named through the query's own alias for the table, so it stays right inside a subquery
    (where Django renames the table U0) instead of pointing at the outer query's row.
    """

    output_field = SearchVectorField()

    def as_sql(self, compiler, connection):
        alias = compiler.query.get_initial_alias()
        return f"{compiler.quote_name_unless_alias(alias)}.search_vector", []


def ticket_vector():
    return StoredVector()


def message_vector():
    return StoredVector()


def words(query: str) -> list[str]:
    return re.findall(r"\w+", query.lower())[:MAX_WORDS]


def _requesters(found: list[str]) -> QuerySet:
    match = Q()
    for word in found:
        match &= (
            Q(username__icontains=word)
            | Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(email__icontains=word)
        )
    return User.objects.filter(match).values("pk")


def search(tickets: QuerySet[Ticket], query: str, *, staff: bool) -> QuerySet[Ticket]:
    """The tickets matching `query`, annotated with `rank` (higher is better).

    Customers' searches never look inside internal notes.
    """
    found = words(query)
    if not found:
        return tickets.none().annotate(rank=Value(0.0, output_field=FloatField()))
    messages = Message.objects.all() if staff else Message.objects.filter(public=True)
    if connection.vendor == "postgresql":
        terms = SearchQuery(" ".join(found), config=CONFIG, search_type="plain")
        # One id list from three index scans (the stored vectors' GIN indexes, the requesters),
        # each cut at the newest CANDIDATES, so that no text is parsed at query time and at most
        # 3 × CANDIDATES tickets are ranked, whatever the words.
        matching = (
            Ticket.objects.annotate(found=ticket_vector())
            .filter(found=terms)
            .order_by("-pk")
            .values("pk")[:CANDIDATES]
            .union(
                messages.annotate(found=message_vector())
                .filter(found=terms)
                .order_by("-pk")
                .values("ticket_id")[:CANDIDATES],
                Ticket.objects.filter(created_by__in=_requesters(found))
                .order_by("-pk")
                .values("pk")[:CANDIDATES],
            )
        )
        return tickets.filter(pk__in=matching).annotate(
            rank=SearchRank(ticket_vector(), terms) + Value(0.0, output_field=FloatField())
        )
    match = Q()
    for word in found:
        said = messages.filter(body__icontains=word).values("ticket_id")
        match &= (
            Q(subject__icontains=word)
            | Q(description__icontains=word)
            | Q(pk__in=said)
            | Q(created_by__in=_requesters([word]))
        )
    return tickets.filter(match).annotate(rank=Value(0.0, output_field=FloatField()))


def highlight(text: str, query: str, *, length: int = 0) -> SafeString:
    """`text` escaped, the query's words (and their longer forms) wrapped in <mark>.

    With `length`, a window of about that many characters around the first match.
    """
    found = words(query)
    if length and len(text) > length:
        first = min((m.start() for w in found for m in [re.search(re.escape(w), text, re.I)] if m), default=0)
        start = max(0, first - length // 3)
        text = ("…" if start else "") + text[start : start + length] + "…"
    html = escape(text)
    if found:
        pattern = re.compile("|".join(re.escape(escape(w)) + r"\w*" for w in found), re.I)
        html = pattern.sub(lambda m: f"<mark>{m.group(0)}</mark>", html)
    return mark_safe(html)  # noqa: S308 - escaped above; only <mark> is added
