"""Plan versions: every edit of a plan (API, admin, or a calendar it counts on) is recorded whole.

A version keeps a snapshot of all the plan's terms and the field-by-field list of what changed,
with who and when. Accounts pin a version for their subscription term (helpdesk.accounts keeps
the pin, billing moves it when a new term starts), so an edit reaches an account at its next term.
"""

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from sla.terms.models import Plan, PlanVersion
from sla.terms.versions import plan_terms, terms_changes


def _fresh(plan: Plan) -> Plan:
    return (
        Plan.objects.select_related("response_calendar", "chat_calendar")
        .prefetch_related(
            "response_targets",
            "response_calendar__hours",
            "response_calendar__holidays",
            "chat_calendar__hours",
            "chat_calendar__holidays",
        )
        .get(pk=plan.pk)
    )


def plan_version_current(*, plan: Plan, now: dt.datetime | None = None) -> PlanVersion:
    """The record of the plan's current version; made from the plan as it stands if none was kept
    (a plan seeded or created before versions were recorded)."""
    number = Plan.objects.filter(pk=plan.pk).values_list("version", flat=True).get()
    found = PlanVersion.objects.select_related("plan").filter(plan_id=plan.pk, version=number).first()
    if found is not None:
        return found
    fresh = _fresh(plan)
    previous = (
        PlanVersion.objects.filter(plan_id=plan.pk, version__lt=fresh.version).order_by("-version").first()
    )
    terms = plan_terms(fresh)
    try:
        with transaction.atomic():
            return PlanVersion.objects.create(
                plan_id=plan.pk,
                version=fresh.version,
                terms=terms,
                changes=terms_changes(previous.terms if previous else None, terms),
                created_at=now or timezone.now(),
            )
    except IntegrityError:  # recorded meanwhile by another transaction
        return PlanVersion.objects.get(plan_id=plan.pk, version=fresh.version)


def plan_version_record(
    *, plan: Plan, before: dict | None, actor=None, now: dt.datetime | None = None
) -> PlanVersion:
    """After an edit: a new version if any term differs from `before` (the terms of the version the
    edit started from), with the list of changes; the current version when nothing changed.

    The caller holds the plan's row locked, so two edits take turns and number their versions in order.
    """
    now = now or timezone.now()
    fresh = _fresh(plan)
    terms = plan_terms(fresh)
    changes = terms_changes(before, terms)
    if before is not None and not changes:
        return plan_version_current(plan=fresh, now=now)
    fresh.version = max(
        fresh.version,
        PlanVersion.objects.filter(plan_id=plan.pk)
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
        or 0,
    ) + (1 if before is not None else 0)
    fresh.save(update_fields=["version", "updated_at"])
    plan.version = fresh.version
    return PlanVersion.objects.create(
        plan_id=plan.pk, version=fresh.version, terms=terms, changes=changes, created_by=actor, created_at=now
    )


def plan_versions_before_edit(plans) -> dict[int, dict]:
    """{plan id: terms of its current version}, recorded first if need be: taken before an edit."""
    return {plan.pk: plan_version_current(plan=plan).terms for plan in plans}
