"""Exclusion periods: declaring, changing or cancelling one pauses the clocks it overlaps and re-judges.

Periods are records: never deleted, each change an event on the period (`events`) and, for
every miss it changes, on that miss's ticket. Scheduled maintenance is agreed in advance, so it
is created (and changed) only before it starts; the other kinds may be declared afterwards,
with a note saying why.
"""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from helpdesk.accounts.models import Account, User
from helpdesk.kit import roles
from helpdesk.kit.errors import ConflictError, ValidationError
from helpdesk.kit.validation import clean_text
from sla.clocks import access
from sla.clocks.models import ExclusionKind, ExclusionPeriod
from sla.clocks.services.lapses import progress_clocks_repause
from sla.clocks.services.pauses import clocks_rejudge

EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
DECLARED_BY = "Only billing admins declare, change or cancel exclusion periods."
LONGEST = dt.timedelta(days=366)


def _validate(*, kind, starts_at, ends_at, provider, provider_sla_url, note, account, now) -> dict:
    errors: dict[str, list] = {}
    if kind not in ExclusionKind.values:
        errors.setdefault("kind", []).append(f"Choose one of: {', '.join(ExclusionKind.values)}.")
    for field, value in (("starts_at", starts_at), ("ends_at", ends_at)):
        if not isinstance(value, dt.datetime) or timezone.is_naive(value):
            errors.setdefault(field, []).append("Give a date and time with its time zone.")
    provider = clean_text(provider, field="provider", max_length=100, errors=errors, required=False)
    note = clean_text(note, field="note", max_length=2000, errors=errors, required=False)
    url = clean_text(
        provider_sla_url, field="provider_sla_url", max_length=200, errors=errors, required=False
    )
    if url and not url.startswith(("https://", "http://")):
        errors.setdefault("provider_sla_url", []).append("Give the provider's SLA as an http(s) link.")
    if kind == ExclusionKind.CLOUD_PROVIDER and not provider:
        errors.setdefault("provider", []).append("Name the cloud provider whose failure this was.")
    if not errors:
        latest = timezone.now() + LONGEST
        if starts_at < EARLIEST or starts_at > latest:
            errors.setdefault("starts_at", []).append("Out of range: from 2000 to a year from now.")
        if ends_at <= starts_at:
            errors.setdefault("ends_at", []).append("Must be after the start.")
        elif ends_at - starts_at > LONGEST:
            errors.setdefault("ends_at", []).append("A period may last at most 366 days.")
    if not errors and kind == ExclusionKind.SCHEDULED_MAINTENANCE and starts_at <= now:
        errors.setdefault("starts_at", []).append(
            "Scheduled maintenance is agreed before it starts: give a start in the future, "
            "or declare emergency maintenance with a note."
        )
    if not errors and starts_at <= now and not note:
        errors.setdefault("note", []).append("A period declared after it began needs a note saying why.")
    if errors:
        raise ValidationError(errors)
    return {
        "kind": kind,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "provider": provider,
        "provider_sla_url": url,
        "note": note,
        "account": account,
    }


def _actor_name(user: User | None) -> str | None:
    return user.get_username() if user is not None else None


def _event(
    period: ExclusionPeriod, *, at: dt.datetime, actor: User | None, action: str, detail: dict
) -> None:
    period.events = [
        *period.events,
        {"at": at.isoformat(), "actor": _actor_name(actor), "action": action, "detail": detail},
    ]


def _scope(*accounts: Account | None) -> set[int] | None:
    """The accounts whose clocks a period may pause (None: every account)."""
    if any(account is None for account in accounts):
        return None
    return {account.pk for account in accounts}


def _shown(value):
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, Account):
        return value.pk
    return value


@transaction.atomic
def exclusion_create(
    *,
    created_by: User,
    kind: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    provider: str = "",
    provider_sla_url: str = "",
    note: str = "",
    account: Account | None = None,
    now: dt.datetime | None = None,
) -> ExclusionPeriod:
    """Declare a period; the clocks it overlaps move their deadlines and misses are judged again."""
    roles.require(access.may_manage_exclusions(created_by), DECLARED_BY)
    now = now or timezone.now()
    fields = _validate(
        kind=kind,
        starts_at=starts_at,
        ends_at=ends_at,
        provider=provider,
        provider_sla_url=provider_sla_url,
        note=note,
        account=account,
        now=now,
    )
    period = ExclusionPeriod(created_by=created_by, **fields)
    _event(
        period,
        at=now,
        actor=created_by,
        action="created",
        detail={name: _shown(value) for name, value in fields.items() if value not in ("", None)},
    )
    period.save()
    clocks_rejudge(
        start=period.starts_at,
        end=period.ends_at,
        account_ids=_scope(account),
        actor=created_by,
        period=period,
        now=now,
    )
    progress_clocks_repause(start=period.starts_at, end=period.ends_at, account_ids=_scope(account))
    return period


@transaction.atomic
def exclusion_update(
    *, period: ExclusionPeriod, actor: User, now: dt.datetime | None = None, **changes
) -> ExclusionPeriod:
    """Change a period in force; scheduled maintenance only before it starts. Re-judges both spans."""
    roles.require(access.may_manage_exclusions(actor), DECLARED_BY)
    now = now or timezone.now()
    period = (
        ExclusionPeriod.objects.select_for_update(of=("self",)).select_related("account").get(pk=period.pk)
    )
    if period.cancelled:
        raise ConflictError("This period is cancelled: declare a new one instead.", code="cancelled")
    if period.kind == ExclusionKind.SCHEDULED_MAINTENANCE and period.starts_at <= now:
        raise ConflictError(
            "This scheduled maintenance has begun: it can no longer be changed. "
            "Declare emergency maintenance for any overrun.",
            code="begun",
        )
    current = {
        "kind": period.kind,
        "starts_at": period.starts_at,
        "ends_at": period.ends_at,
        "provider": period.provider,
        "provider_sla_url": period.provider_sla_url,
        "note": period.note,
        "account": period.account,
    }
    fields = _validate(**{**current, **changes}, now=now)
    diff = {
        name: [_shown(current[name]), _shown(value)]
        for name, value in fields.items()
        if current[name] != value
    }
    if not diff:
        return period
    for name, value in fields.items():
        setattr(period, name, value)
    _event(period, at=now, actor=actor, action="changed", detail=diff)
    period.save()
    clocks_rejudge(
        start=min(current["starts_at"], period.starts_at),
        end=max(current["ends_at"], period.ends_at),
        account_ids=_scope(current["account"], period.account),
        actor=actor,
        period=period,
        now=now,
    )
    progress_clocks_repause(
        start=min(current["starts_at"], period.starts_at),
        end=max(current["ends_at"], period.ends_at),
        account_ids=_scope(current["account"], period.account),
    )
    return period


@transaction.atomic
def exclusion_cancel(
    *, period: ExclusionPeriod, actor: User, reason: str, now: dt.datetime | None = None
) -> ExclusionPeriod:
    """End a period's effect, with a reason; the record and its history stay. Re-judges its span."""
    roles.require(access.may_manage_exclusions(actor), DECLARED_BY)
    now = now or timezone.now()
    errors: dict[str, list] = {}
    reason = clean_text(reason, field="reason", max_length=2000, errors=errors)
    if errors:
        raise ValidationError(errors)
    period = (
        ExclusionPeriod.objects.select_for_update(of=("self",)).select_related("account").get(pk=period.pk)
    )
    if period.cancelled:
        raise ConflictError("This period is cancelled already.", code="already_cancelled")
    period.cancelled_at, period.cancelled_by, period.cancel_reason = now, actor, reason
    _event(period, at=now, actor=actor, action="cancelled", detail={"reason": reason})
    period.save(update_fields=["cancelled_at", "cancelled_by", "cancel_reason", "events"])
    clocks_rejudge(
        start=period.starts_at,
        end=period.ends_at,
        account_ids=_scope(period.account),
        actor=actor,
        period=period,
        now=now,
    )
    progress_clocks_repause(start=period.starts_at, end=period.ends_at, account_ids=_scope(period.account))
    return period
