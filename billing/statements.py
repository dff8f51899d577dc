"""The monthly SLA statement: how one account's month went, in one place (reads only).

Once a month is closed (its invoice issued) the statement gives the tickets whose Work Started
deadline fell in it (met and missed; each miss with its working-hours lateness, its exclusion and
its credit), the exclusion periods that applied, each monitored item's uptime against its
guarantee, the vouchers of the month, what may still be claimed, where the account stands
against the termination threshold, and the progress updates (seed 004) that lapsed in the month
(they earn no money). The API returns `statement_data` as JSON and the page renders
the same dict, so the two always show the same numbers.
"""

import datetime as dt

from django.db.models import F, Q
from django.http import Http404

from billing import money
from billing.claim_states import claim_states, shortfall_claim_state
from billing.models import Invoice, Voucher
from billing.pdf import invoice_buyer, seller
from billing.selectors import account_month_summary, month_misses, month_shortfalls
from billing.services.months import month_label
from billing.services.vouchers import miss_lateness_seconds
from helpdesk.accounts.models import Account, MonitoredItem, User
from helpdesk.kit.months import month_bounds
from helpdesk.tickets.models import Ticket
from sla.clocks.models import ExclusionPeriod
from sla.clocks.selectors import update_lapses_in_month
from sla.terms.models import Compensation
from sla.uptime import measure
from sla.uptime import selectors as uptime_selectors


def statement_data(*, account: Account, month: str, user: User | None, now: dt.datetime) -> dict:
    """The statement as plain JSON values; Http404 until the month's invoice is issued.

    `claimable` is what the account's customer may still claim, listed for that customer only
    (empty for staff readers and the e-mail, which links to the month page instead).
    """
    invoice = Invoice.objects.filter(account=account, month=month).first()
    if invoice is None:
        raise Http404(
            f"{month_label(month)} is not closed for {account.name}: its statement comes with its invoice."
        )
    start, end = month_bounds(month)
    summary = account_month_summary(account=account, month=month)
    currency = summary.currency
    due = Ticket.objects.filter(
        account=account, work_started_deadline__gte=start, work_started_deadline__lt=end
    )
    tickets_due = due.count()
    met = due.filter(work_started_at__isnull=False, work_started_at__lte=F("work_started_deadline")).count()
    vouchers = list(
        Voucher.objects.filter(account=account, month=month)
        .select_related("shortfall__item")
        .order_by("issued_at", "id")
    )
    by_miss = {v.miss_id: v for v in vouchers if v.miss_id}
    misses = list(month_misses(account=account, month=month))
    own = user is not None and user.account_id == account.pk
    states = claim_states(user=user, misses=misses, now=now) if own else {}
    missed = []
    for miss in misses:
        voucher = by_miss.get(miss.pk)
        missed.append(
            {
                "id": miss.pk,
                "ticket": miss.ticket_id,
                "subject": miss.ticket.subject,
                "deadline": miss.deadline.isoformat(),
                "lateness_seconds": miss_lateness_seconds(miss, now=now),
                "counted": miss.counted,
                "excluded_reason": miss.excluded_reason or None,
                "voucher": voucher.pk if voucher else None,
                "credit": money.format_amount(voucher.amount, currency) if voucher else None,
            }
        )
    periods = ExclusionPeriod.objects.filter(starts_at__lt=end, ends_at__gt=start).filter(
        Q(account__isnull=True) | Q(account=account)
    )
    items = list(MonitoredItem.objects.filter(account=account).order_by("name", "id"))
    rows = uptime_selectors.month_rows(items=items, month=month, now=now) if items else []
    shortfalls = list(month_shortfalls(account=account, month=month))
    automatic = summary.compensation == Compensation.AUTOMATIC
    claimable = [
        {"miss": miss.pk, "ticket": miss.ticket_id}
        for miss in misses
        if states.get(miss.pk) is not None and states[miss.pk].claimable
    ]
    if own:
        claimable += [
            {"uptime_shortfall": s.pk, "item": s.item.name}
            for s in shortfalls
            if shortfall_claim_state(
                s, window_months=summary.claim_window_months, now=now, automatic=automatic
            ).claimable
        ]
    return {
        "account": account.pk,
        "account_name": account.name,
        "seller": seller(),
        "buyer": invoice_buyer(invoice),
        "month": month,
        "plan": summary.plan_name,
        "compensation": summary.compensation,
        "monthly_fee": money.format_amount(summary.monthly_fee, currency),
        "currency": currency,
        "invoice": invoice.pk,
        "tickets_due": tickets_due,
        "met": met,
        "missed": missed,
        "exclusions": [
            {
                "id": p.pk,
                "kind": p.kind,
                "starts_at": p.starts_at.isoformat(),
                "ends_at": p.ends_at.isoformat(),
            }
            for p in periods.order_by("starts_at", "id")
        ],
        "uptime": [
            {
                "item": row.item.pk,
                "name": row.item.name,
                "guarantee_percent": measure.percent_text(row.report.guarantee_percent),
                "uptime_percent": measure.percent_text(row.report.uptime_percent),
                "permitted_minutes": str(row.report.permitted_minutes.quantize(measure.PERCENT_PLACES)),
                "downtime_minutes": row.report.downtime_minutes,
                "below_guarantee": row.report.below_guarantee,
            }
            for row in rows
        ],
        "vouchers": [
            {
                "id": v.pk,
                "amount": money.format_amount(v.amount, v.currency),
                "currency": v.currency,
                "miss": v.miss_id,
                "uptime_shortfall": v.shortfall_id,
                "automatic": v.automatic,
                "percent": None if v.percent is None else str(v.percent),
                "lateness_seconds": v.lateness_seconds,
                "credited_on": v.invoice_id,
            }
            for v in vouchers
        ],
        "vouchers_total": money.format_amount(sum((v.amount for v in vouchers), money.ZERO), currency),
        "claimable": claimable,
        "update_lapses": [
            {
                "ticket": lapse.ticket_id,
                "subject": lapse.ticket.subject,
                "due_at": lapse.due_at.isoformat(),
                "recorded_at": lapse.recorded_at.isoformat(),
            }
            for lapse in update_lapses_in_month(account_id=account.pk, month=month)
        ],
        "counted_failures": summary.counted_failures,
        "termination_threshold": summary.termination_threshold,
        "termination_eligible": summary.termination_eligible,
    }
