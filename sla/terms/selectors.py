"""Reads of the contract terms: a plan's versions (its change list)."""

from django.db.models import QuerySet

from sla.terms.models import Plan, PlanVersion
from sla.terms.services.versions import plan_version_current


def plan_versions(*, plan: Plan) -> QuerySet[PlanVersion]:
    """The plan's versions, newest first, with who made each; the current one is recorded if it was not."""
    plan_version_current(plan=plan)
    return PlanVersion.objects.filter(plan=plan).select_related("created_by").order_by("-version")
