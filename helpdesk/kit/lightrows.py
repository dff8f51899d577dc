"""Model instances for a page of rows, built from a values_list query without Model.__init__.

Django builds each model instance field by field: `from_db` walks every concrete field of the
model to mark the ones a `.only()` left out, and `__init__` walks them again. For a page of
26 tickets (46 fields, 15 read) that was 0.2 ms of a 3 ms queue page on SQLite. Here the
values, already converted by the query (dates, JSON), are set straight into each instance's
attributes; everything else behaves as with `.only()`: a field left out is read from the
database on first use, and the instance knows it came from the database.
"""

import functools
from collections.abc import Callable

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Model, QuerySet
from django.db.models.base import ModelState


def _attname(model: type[Model], name: str) -> str:
    """A field's attribute name ("account" reads as "account_id"); an annotation's own name."""
    try:
        return model._meta.get_field(name).attname
    except FieldDoesNotExist:
        return name


def _names(model: type[Model], names: tuple[str, ...]) -> tuple[str, ...]:
    return ("id", *(_attname(model, name) for name in names if name not in ("id", "pk")))


def _builder(model: type[Model], names: tuple[str, ...], db: str) -> Callable[[list], list]:
    def build(rows: list) -> list:
        instances = []
        for values in rows:
            instance = model.__new__(model)
            instance.__dict__.update(zip(names, values, strict=True))
            state = ModelState()
            state.adding, state.db = False, db
            instance._state = state
            instances.append(instance)
        return instances

    return build


@functools.lru_cache(maxsize=64)
def _base(model: type[Model], names: tuple[str, ...]) -> QuerySet:
    return model._default_manager.values_list(*names)


def values_base(model: type[Model], names: tuple[str, ...]) -> QuerySet:
    """Every row of `model` read as tuples of `names` (fields and relations by their id), to filter
    and annotate further, then build with builder(). Choosing the columns walks each name through
    the model's fields (0.1 ms for 15 names, on every request), so it is done once per process
    and each call gets a copy; an annotation added later comes after the names in each tuple."""
    return _base(model, _names(model, names))._chain()


def builder(queryset: QuerySet) -> Callable[[list], list]:
    """The function that turns the tuples a values_list `queryset` yields (values_base, with any
    annotations) into instances."""
    query = queryset.query
    if query.extra_select or not query.values_select:
        raise ValueError("builder() takes a values_list queryset of named columns.")
    names = (*(_attname(queryset.model, name) for name in query.values_select), *query.annotation_select)
    return _builder(queryset.model, names, queryset.db)
