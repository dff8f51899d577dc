"""Where other apps learn that an account's counted misses for a month changed.

`sla` never imports `billing`; billing names its service in settings.SLA_COUNT_LISTENERS
(dotted paths to callables taking account_id and month) and sla calls it after commit.
"""
from django.conf import settings
from django.db import transaction
from django.utils.module_loading import import_string


def counted_misses_changed(*, account_id: int, month: str) -> None:
    """Schedule every listener for after the current transaction commits."""
    for path in getattr(settings, "SLA_COUNT_LISTENERS", ()):
        listener = import_string(path)
        transaction.on_commit(lambda f=listener: f(account_id=account_id, month=month))
