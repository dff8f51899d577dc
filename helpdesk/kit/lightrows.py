"""Model instances for a page of rows, built from a values_list query without Model.__init__.

Django builds each model instance field by field: `from_db` walks every concrete field of the
model to mark the ones a `.only()` left out, and `__init__` walks them again. For a page of
26 tickets (46 fields, 15 read) that was 0.2 ms of a 3 ms queue page on SQLite. Here the
values, already converted by the query (dates, JSON), are set straight into each instance's
attributes; everything else behaves as with `.only()`: a field left out is read from the
database on first use, and the instance knows it came from the database.
"""

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


def values_and_builder(queryset: QuerySet, names: tuple[str, ...]) -> tuple[QuerySet, Callable[[list], list]]:
    """The queryset reading `names` (fields, a relation by its id, and annotations) as tuples,
    and a function that turns a list of those tuples into instances."""
    model: type[Model] = queryset.model
    names = ("id", *(_attname(model, name) for name in names if name not in ("id", "pk")))

    def build(rows: list) -> list:
        instances = []
        for values in rows:
            instance = model.__new__(model)
            instance.__dict__.update(zip(names, values, strict=True))
            state = ModelState()
            state.adding, state.db = False, queryset.db
            instance._state = state
            instances.append(instance)
        return instances

    return queryset.values_list(*names), build
