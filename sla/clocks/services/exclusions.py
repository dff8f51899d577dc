"""Exclusion periods: declaring, changing or removing one judges the misses it touches again."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from helpdesk.accounts.models import Account, User
from helpdesk.kit.errors import ValidationError
from helpdesk.kit.validation import clean_text
from sla.clocks.models import ExclusionKind, ExclusionPeriod
from sla.clocks.services.misses import misses_reevaluate

EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
LONGEST = dt.timedelta(days=366)


def _validate(*, kind, starts_at, ends_at, provider, provider_sla_url, note, account) -> dict:
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
) -> ExclusionPeriod:
    fields = _validate(
        kind=kind,
        starts_at=starts_at,
        ends_at=ends_at,
        provider=provider,
        provider_sla_url=provider_sla_url,
        note=note,
        account=account,
    )
    period = ExclusionPeriod.objects.create(created_by=created_by, **fields)
    misses_reevaluate(start=period.starts_at, end=period.ends_at, actor=created_by)
    return period


@transaction.atomic
def exclusion_update(*, period: ExclusionPeriod, actor: User, **changes) -> ExclusionPeriod:
    period = ExclusionPeriod.objects.select_for_update().get(pk=period.pk)
    old_start, old_end = period.starts_at, period.ends_at
    current = {
        "kind": period.kind,
        "starts_at": period.starts_at,
        "ends_at": period.ends_at,
        "provider": period.provider,
        "provider_sla_url": period.provider_sla_url,
        "note": period.note,
        "account": period.account,
    }
    fields = _validate(**{**current, **changes})
    for name, value in fields.items():
        setattr(period, name, value)
    period.save()
    misses_reevaluate(start=min(old_start, period.starts_at), end=max(old_end, period.ends_at), actor=actor)
    return period


@transaction.atomic
def exclusion_delete(*, period: ExclusionPeriod, actor: User) -> None:
    start, end = period.starts_at, period.ends_at
    ExclusionPeriod.objects.filter(pk=period.pk).delete()
    misses_reevaluate(start=start, end=end, actor=actor)
