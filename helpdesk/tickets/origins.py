"""Where a ticket came from, as told by the apps that open tickets from something else.

Live chat turns a chat or a logged phone call into a ticket; the ticket page and API link back
to it. Tickets sit below chat and never import it: chat registers an annotator here in its
AppConfig.ready(), which adds `from_chat_id` and `from_chat_kind` (null for a ticket opened any
other way) to a queryset of tickets, counting only what the user may see.
"""

from collections.abc import Callable

from django.db.models import QuerySet

Annotator = Callable[..., QuerySet]
_annotators: list[Annotator] = []


def register(annotator: Annotator) -> None:
    """`annotator(tickets, user=...)` returns the tickets with their origin annotated."""
    if annotator not in _annotators:
        _annotators.append(annotator)


def with_origin(tickets: QuerySet, *, user) -> QuerySet:
    for annotate in _annotators:
        tickets = annotate(tickets, user=user)
    return tickets
