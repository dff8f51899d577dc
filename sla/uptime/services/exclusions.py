"""An uptime shortfall excluded on review: the contract does not count it toward termination."""

import datetime as dt

from django.db import transaction

from helpdesk.accounts.models import User
from helpdesk.kit.errors import ConflictError
from sla.clocks import hooks
from sla.uptime.models import UptimeShortfall


@transaction.atomic
def shortfall_exclude(
    *, shortfall: UptimeShortfall, actor: User | None, reason: str, reason_text: str, now: dt.datetime
) -> tuple[UptimeShortfall, bool]:
    """Stop counting a shortfall for a contract exclusion found on review (`reason`, a stable code).

    The caller (billing, which knows the contract's reasons) has checked who and why, and writes
    the event. Returns the shortfall and whether it counted before; when it did, the listeners
    judge the month again (after commit). Later assessments keep it uncounted.
    """
    locked = UptimeShortfall.objects.select_for_update().select_related("item").get(pk=shortfall.pk)
    if locked.decision_reason:
        raise ConflictError(
            f"This uptime shortfall was already excluded on review ({locked.excluded_reason}).",
            code="excluded",
        )
    was_counted = locked.counted
    locked.counted, locked.decision_reason, locked.excluded_reason = False, reason, reason_text[:200]
    locked.save(update_fields=["counted", "decision_reason", "excluded_reason"])
    if was_counted:
        hooks.counted_failures_changed(account_id=locked.account_id, month=locked.month)
    return locked, was_counted
