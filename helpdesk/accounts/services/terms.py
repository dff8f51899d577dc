"""The plan version an account's current term is pinned to: what its new tickets are promised."""

from django.db import transaction

from helpdesk.accounts.models import Account
from sla.terms.models import PlanVersion
from sla.terms.services.versions import plan_version_current


@transaction.atomic
def account_plan_version(*, account: Account) -> PlanVersion:
    """The version the account's current term is pinned to.

    An account with no pin (made before versions were kept), or pinned to another plan than its
    own, is pinned now to its plan's current version, and keeps it until its next term.
    """
    if account.plan_version_id is not None:
        pinned = (
            PlanVersion.objects.select_related("plan")
            .filter(pk=account.plan_version_id, plan_id=account.plan_id)
            .first()
        )
        if pinned is not None:
            return pinned
    locked = Account.objects.select_for_update(of=("self",)).select_related("plan").get(pk=account.pk)
    if locked.plan_version_id is not None and locked.plan_version.plan_id == locked.plan_id:
        account.plan_version = locked.plan_version
        return locked.plan_version
    version = plan_version_current(plan=locked.plan)
    Account.objects.filter(pk=locked.pk).update(plan_version=version)
    account.plan_version = version
    return version
