"""Billing's reads about which terms and credits a customer has: the plan version a month is on
(sla.terms.pins' answer), the credits applied automatically, and the tickets a customer may dispute."""

import datetime as dt

from django.db.models import Q, QuerySet

from billing import access
from billing.models import AccountMonth, Voucher
from billing.services.months import terms_for
from helpdesk.accounts.models import Account, User
from helpdesk.kit.months import month_of
from helpdesk.tickets import access as tickets_access
from helpdesk.tickets.models import Ticket


def disputable_tickets(*, user: User) -> QuerySet[Ticket]:
    """Tickets a user may dispute (their own account's; billing.services.disputes says which may be)."""
    if not access.may_open_claims(user):
        return Ticket.objects.none()
    return tickets_access.tickets_visible_to(user)


def month_plan_terms(*, account_ids: list[int], month: str) -> dict[int, dict]:
    """sla.terms.pins' answer (BillingConfig.ready()): each account's terms for `month`, from the plan
    version its subscription term keeps: the month's own copy once made, else the term in force."""
    found = {
        row.account_id: {
            **row.plan_version.terms,
            "uptime_terms": row.uptime_terms,
            "monthly_cap_percent": str(row.monthly_cap_percent),
        }
        for row in AccountMonth.objects.filter(
            account_id__in=account_ids, month=month, plan_version__isnull=False
        ).select_related("plan_version")
    }
    for account in Account.objects.filter(pk__in=[pk for pk in account_ids if pk not in found]).order_by(
        "pk"
    ):
        terms = terms_for(account=account, month=month)
        found[account.pk] = {
            **terms["plan_version"].terms,
            "monthly_cap_percent": str(terms["monthly_cap_percent"]),
        }
    return found


def automatic_credits(*, user: User, now: dt.datetime, limit: int = 20) -> dict | None:
    """For a customer whose current month is on automatic compensation: the credits already applied
    (newest first) and the tickets they may dispute (no miss on record, clock stopped or overdue,
    not disputed yet). None for anyone else. A fixed number of queries."""
    if not access.may_open_claims(user) or user.account_id is None:
        return None
    account = Account.objects.select_related("plan").get(pk=user.account_id)
    if terms_for(account=account, month=month_of(now))["compensation"] != "automatic":
        return None
    vouchers = list(
        Voucher.objects.filter(account=account, claim__isnull=True)
        .select_related("miss", "shortfall__item")
        .order_by("-issued_at", "-id")[:limit]
    )
    tickets = list(
        tickets_access.tickets_visible_to(user)
        .filter(misses__isnull=True, dispute__isnull=True)
        .filter(Q(responded_at__isnull=False) | Q(work_started_deadline__lte=now))
        .order_by("-created_at", "-id")[:limit]
    )
    return {"vouchers": vouchers, "disputable": tickets}
