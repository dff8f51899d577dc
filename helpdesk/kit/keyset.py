"""Keyset (cursor) paging: page 1 and page 2,000 cost the same, whatever the table's size.

A listing is one or more *segments*, each a queryset read in the order of its `keys` (field names,
"-" for descending, the last one unique). The segments follow each other: the queue lists every
unstarted ticket before any started one, each part by deadline, so each part is one index scan.
A cursor is the position of a row (its segment and key values), opaque to the caller.
"""

import base64
import binascii
import datetime as dt
import functools
import json
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import connections
from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL


class BadCursor(ValueError):
    """A cursor this listing did not hand out."""


@dataclass(frozen=True)
class Segment:
    source: QuerySet
    keys: tuple[str, ...]
    # Turns the rows the queryset yields into the page's objects (e.g. a values_list queryset's
    # tuples into light instances, see helpdesk.kit.lightrows); the rows as they come when None.
    build: Callable[[list], list] | None = None
    # The segment's part of `source`, filtered only when a page reads the segment: most pages of a
    # listing in two segments read one, and filtering an annotated queryset costs 0.1 ms.
    where: Q | None = None

    @functools.cached_property
    def queryset(self) -> QuerySet:
        return self.source if self.where is None else self.source.filter(self.where)


@dataclass
class Page:
    rows: list
    next_cursor: str | None
    previous_cursor: str | None


def _encode(segment: int, values: list, backwards: bool) -> str:
    plain = [value.isoformat() if isinstance(value, dt.datetime) else value for value in values]
    payload = json.dumps({"s": segment, "k": plain, "b": backwards}, separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode(cursor: str, segments: list[Segment]) -> tuple[int, list, bool]:
    if len(cursor) > 500:
        raise BadCursor("This cursor is too long.")
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        segment, values, backwards = int(data["s"]), list(data["k"]), bool(data["b"])
    except (binascii.Error, ValueError, TypeError, KeyError, UnicodeDecodeError) as error:
        raise BadCursor("This cursor is not one this list gave out.") from error
    if not 0 <= segment < len(segments) or len(values) != len(segments[segment].keys):
        raise BadCursor("This cursor is not one this list gave out.")
    if not all(isinstance(value, (str, int, float)) and not isinstance(value, bool) for value in values):
        raise BadCursor("This cursor is not one this list gave out.")
    return segment, values, backwards


def _beyond(keys: tuple[str, ...], values: list, backwards: bool) -> Q:
    """Rows after the position in the keys' order (before it when going backwards).

    The leading key's range comes first as a plain conjunct, so both PostgreSQL and SQLite
    turn the condition into one index range scan rather than a scan of every row.
    """
    first = keys[0].lstrip("-")
    leading = "gte" if (not keys[0].startswith("-")) != backwards else "lte"
    condition = Q(pk__in=[])
    for depth, key in enumerate(keys):
        name = key.lstrip("-")
        ascending = not key.startswith("-")
        lookup = "gt" if ascending != backwards else "lt"
        same = Q(**{keys[i].lstrip("-"): values[i] for i in range(depth)})
        condition |= same & Q(**{f"{name}__{lookup}": values[depth]})
    return Q(**{f"{first}__{leading}": values[0]}) & condition


def _row_value_beyond(queryset: QuerySet, keys: tuple[str, ...], values: list, backwards: bool):
    """The same condition as one row-value comparison, `(a, b) > (x, y)`, when every key is a
    column of the model and all run the same way (both databases walk an index range with it,
    and it compiles as one expression instead of five lookups); None otherwise."""
    descending = {key.startswith("-") for key in keys}
    if len(descending) != 1:
        return None
    model, connection = queryset.model, connections[queryset.db]
    columns, params = [], []
    for key, value in zip(keys, values, strict=True):
        name = key.lstrip("-")
        if name in queryset.query.annotations:
            return None
        try:
            field = model._meta.get_field("id" if name == "pk" else name)
        except FieldDoesNotExist:
            return None
        if not field.concrete or field.is_relation:
            return None
        value = field.to_python(value)  # ValidationError: not a value of this column
        if isinstance(value, int):
            low, high = connection.ops.integer_field_range(field.get_internal_type())
            if not (low is None or low <= value) or not (high is None or value <= high):
                raise ValidationError("Out of the column's range.")
        table, column = (connection.ops.quote_name(name) for name in (model._meta.db_table, field.column))
        columns.append(f"{table}.{column}")
        params.append(field.get_db_prep_value(value, connection))
    after = "<" if descending.pop() != backwards else ">"
    placeholders = ", ".join(["%s"] * len(params))
    # Only quoted column names and placeholders go into the SQL; the values are parameters.
    sql = f"({', '.join(columns)}) {after} ({placeholders})"
    return RawSQL(sql, params, output_field=BooleanField())  # noqa: S611


def _flipped(keys: tuple[str, ...]) -> list[str]:
    return [key[1:] if key.startswith("-") else f"-{key}" for key in keys]


def _position(row, keys: tuple[str, ...]) -> list:
    values = []
    for key in keys:
        values.append(getattr(row, key.lstrip("-")))
    return values


def paginate(segments: list[Segment], *, cursor: str | None, size: int) -> Page:
    """One page of `size` rows at the cursor, with the cursors of the next and previous pages.

    At most one query per segment the page touches; a bad cursor raises BadCursor.
    """
    start, values, backwards = decode(cursor, segments) if cursor else (0, None, False)
    found: list[tuple[int, object]] = []
    order = range(start, -1, -1) if backwards else range(start, len(segments))
    for index in order:
        segment = segments[index]
        rows = segment.queryset.order_by(*(_flipped(segment.keys) if backwards else segment.keys))
        if index == start and values is not None:
            try:
                condition = _row_value_beyond(rows, segment.keys, values, backwards)
                if condition is None:
                    condition = _beyond(segment.keys, values, backwards)
                # The values are checked as the condition is built (each key's field reads them).
                rows = rows.filter(condition)
            except (ValidationError, TypeError, ValueError, OverflowError) as error:
                raise BadCursor("This cursor is not one this list gave out.") from error
        try:
            fetched = list(rows[: size + 1 - len(found)])
            found += [(index, row) for row in (segment.build(fetched) if segment.build else fetched)]
        except ValidationError as error:
            raise BadCursor("This cursor is not one this list gave out.") from error
        if len(found) > size:
            break
    more = len(found) > size
    found = found[:size]
    if backwards:
        found.reverse()
        if not more:
            # Back at the start: show the first page as it is now, full.
            return paginate(segments, cursor=None, size=size)
    has_next = (not backwards and more) or backwards
    has_previous = (backwards and more) or (not backwards and cursor is not None)

    def at(entry, going_back):
        index, row = entry
        return _encode(index, _position(row, segments[index].keys), going_back)

    return Page(
        rows=[row for _, row in found],
        next_cursor=at(found[-1], False) if has_next and found else None,
        previous_cursor=at(found[0], True) if has_previous and found else None,
    )
