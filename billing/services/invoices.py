"""Closing a month into invoices, and recording their payment.

`month_close` issues one invoice per active account for the month: the subscription line,
a credit line for every voucher issued before it and not yet credited, and a line for the
credit the previous invoice carried forward. On an automatic plan it first issues the month's
vouchers (billing.services.vouchers), credited on the next invoice. The total never goes below
zero; what the fee does not absorb carries to the next invoice.

It works through the accounts in batches, each its own transaction with the batch's
account rows locked (primary-key order): a fixed number of queries per batch, constant
memory, and a crash halfway leaves only whole invoices. Run it twice, or on two workers at
once, and the second finds the invoices made (one per account and month, a database
constraint) and issues nothing; a voucher is credited once, ever (another constraint).
"""

import dataclasses
import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Subquery
from django.utils import timezone

from billing import access, money, notifications, statement_mail
from billing.models import (
    AccountMonth,
    BillingEvent,
    Invoice,
    InvoiceLine,
    InvoiceLineKind,
    Subscription,
    TerminationRequest,
    TerminationStatus,
    Voucher,
)
from billing.services.events import billing_event
from billing.services.months import (
    clean_month,
    first_day,
    last_day,
    month_label,
    support_today,
    term_version,
    terms_from,
)
from billing.services.vouchers import automatic_vouchers_issue
from helpdesk.accounts.models import Account, User
from helpdesk.accounts.services.accounts import account_update
from helpdesk.accounts.services.terms import account_plan_version
from helpdesk.kit import roles
from helpdesk.kit.enqueue import enqueue_after_commit
from helpdesk.kit.errors import ConflictError, field_error
from helpdesk.kit.months import month_bounds
from sla.terms.models import PlanVersion

CLOSE_BATCH = 500


def payment_terms_days() -> int:
    return getattr(settings, "BILLING_PAYMENT_TERMS_DAYS", 14)


@dataclasses.dataclass(frozen=True)
class MonthCloseResult:
    month: str
    issued: int
    already_issued: int
    batches: int


def _lock(queryset):
    """Lock the accounts of a batch (not the plans joined beside them)."""
    return queryset.select_for_update(of=("self",))


def month_close(
    *, month: str, actor: User | None = None, now: dt.datetime | None = None, batch: int = CLOSE_BATCH
) -> MonthCloseResult:
    """Issue `month`'s invoices for every active account without one, once the month has ended in the
    support time zone (before that its misses, claims and uptime are still open: ConflictError)."""
    now = now or timezone.now()
    if actor is not None:
        roles.require(access.may_close_months(actor), "Only billing admins close months.")
    month = clean_month(month)
    start, end = month_bounds(month)
    if now < start:
        raise field_error(
            "month",
            f"{month_label(month)} has not begun: a month can be closed once it has ended.",
            code="not_begun",
        )
    if now < end:
        ends = end.strftime("%Y-%m-%d %H:%M %Z")
        raise ConflictError(
            f"{month_label(month)} has not ended: it can be closed from {ends} on.", code="month_not_ended"
        )
    after, issued, already, batches = 0, 0, 0, 0
    while True:
        with transaction.atomic():
            done = _close_batch(month=month, after=after, now=now, batch=batch)
        if done is None:
            break
        after, made, found = done
        issued, already, batches = issued + made, already + found, batches + 1
    _end_terminated_subscriptions(month=month, now=now)
    if issued:
        billing_event(
            code="month_closed", at=now, actor=actor, month=month, issued=issued, already_issued=already
        )
    return MonthCloseResult(month=month, issued=issued, already_issued=already, batches=batches)


def _close_batch(*, month: str, after: int, now: dt.datetime, batch: int):
    """One batch of accounts: (last account id, invoices issued, invoices found), or None when done."""
    latest = Invoice.objects.filter(account=OuterRef("pk")).order_by("-id")
    accounts = list(
        _lock(
            Account.objects.filter(pk__gt=after, is_active=True, started_on__lte=last_day(month))
            .select_related("plan")
            .annotate(
                previous_invoice=Subquery(latest.values("pk")[:1]),
                carried=Subquery(latest.values("carried_out")[:1]),
            )
            .order_by("pk")
        )[:batch]
    )
    if not accounts:
        return None
    issued = set(
        Invoice.objects.filter(month=month, account_id__in=[a.pk for a in accounts]).values_list(
            "account_id", flat=True
        )
    )
    todo = [account for account in accounts if account.pk not in issued]
    if todo:
        _issue(month=month, accounts=todo, now=now)
    return accounts[-1].pk, len(todo), len(issued)


def _month_terms(*, month: str, accounts: list[Account]) -> dict[int, AccountMonth]:
    """Each account's AccountMonth for `month`, created (terms copied) where missing. Three queries."""
    ids = [account.pk for account in accounts]
    months = {
        row.account_id: row
        for row in AccountMonth.objects.filter(month=month, account_id__in=ids).select_related("plan")
    }
    missing = [account for account in accounts if account.pk not in months]
    if missing:
        terms = {}
        for term in (
            Subscription.objects.filter(
                account_id__in=[a.pk for a in missing], starts_on__lte=first_day(month)
            )
            .select_related("plan", "plan_version__plan")
            .order_by("account_id", "-starts_on")
        ):
            terms.setdefault(term.account_id, term)
        pinned = PlanVersion.objects.select_related("plan").in_bulk(
            [a.plan_version_id for a in missing if a.plan_version_id and a.pk not in terms]
        )
        created = []
        for account in missing:
            term = terms.get(account.pk)
            if term is not None:
                source = terms_from(
                    version=term_version(term), monthly_fee=term.monthly_fee, currency=term.currency
                )
            else:
                version = pinned.get(account.plan_version_id)
                if version is None or version.plan_id != account.plan_id:
                    version = account_plan_version(account=account)
                source = terms_from(
                    version=version, monthly_fee=account.monthly_fee, currency=account.currency
                )
            created.append(AccountMonth(account=account, month=month, **source))
        # Locked accounts: nothing else creates their month now but a claim, with the same terms.
        AccountMonth.objects.bulk_create(created, ignore_conflicts=True)
        months.update({row.account_id: row for row in created})
    return months


def _credit_description(voucher: Voucher) -> str:
    """An invoice's words for a voucher (annotated with its ticket or its uptime item by _issue)."""
    if voucher.ticket_id is None:
        return (
            f"Voucher #{voucher.pk}: uptime of {voucher.item_name} below guarantee "
            f"({month_label(voucher.month)})"
        )
    return (
        f"Voucher #{voucher.pk}: missed Work Started deadline on ticket "
        f"#{voucher.ticket_id} ({month_label(voucher.month)})"
    )


def _issue(*, month: str, accounts: list[Account], now: dt.datetime) -> None:
    """Invoices, lines, credited vouchers and events for a batch: a fixed number of queries."""
    months = _month_terms(month=month, accounts=accounts)
    for account in accounts:
        # Issued at `now`, so this invoice does not credit them: the next one does.
        automatic_vouchers_issue(terms=months[account.pk], now=now)
    vouchers: dict[int, list[Voucher]] = {}
    for voucher in (
        Voucher.objects.filter(
            account_id__in=[a.pk for a in accounts], invoice__isnull=True, issued_at__lt=now
        )
        .annotate(ticket_id=F("miss__ticket_id"), item_name=F("shortfall__item__name"))
        .only("pk", "account_id", "month", "amount", "currency")
        .order_by("account_id", "issued_at", "id")
    ):
        vouchers.setdefault(voucher.account_id, []).append(voucher)
    due_on = support_today(now) + dt.timedelta(days=payment_terms_days())

    invoices = []
    for account in accounts:
        terms = months[account.pk]
        currency = terms.currency
        credits = [voucher.amount for voucher in vouchers.get(account.pk, [])]
        totals = money.invoice_totals(
            fee=terms.monthly_fee, voucher_credits=credits, carried_in=account.carried or 0, currency=currency
        )
        invoices.append(
            Invoice(
                account=account,
                month=month,
                plan_name=terms.plan.name,
                buyer_name=account.name,
                buyer_address=account.billing_address,
                buyer_tax_id=account.tax_id,
                currency=currency,
                subscription_amount=totals.subscription,
                voucher_credits=totals.voucher_credits,
                carried_in=totals.carried_in,
                credit_applied=totals.credit_applied,
                total=totals.total,
                carried_out=totals.carried_out,
                issued_at=now,
                due_on=due_on,
            )
        )
    Invoice.objects.bulk_create(invoices)

    lines, events = [], []
    for invoice, account in zip(invoices, accounts, strict=True):
        lines.extend(_lines(invoice=invoice, account=account, vouchers=vouchers.get(account.pk, [])))
        events.append(
            BillingEvent(
                code="invoice_issued",
                at=now,
                account_id=account.pk,
                month=month,
                invoice=invoice,
                data={
                    "total": money.format_amount(invoice.total, invoice.currency),
                    "currency": invoice.currency,
                },
            )
        )
    InvoiceLine.objects.bulk_create(lines)
    credited = [voucher.pk for batch in vouchers.values() for voucher in batch]
    if credited:
        Voucher.objects.filter(pk__in=credited).update(
            invoice_id=Subquery(
                Invoice.objects.filter(account_id=OuterRef("account_id"), month=month).values("pk")[:1]
            )
        )
    BillingEvent.objects.bulk_create(events)

    ids = [invoice.pk for invoice in invoices]
    enqueue_after_commit(notifications.notify_invoices_issued, ids)
    enqueue_after_commit(statement_mail.notify_statements_issued, ids)


def _lines(*, invoice: Invoice, account: Account, vouchers: list[Voucher]) -> list[InvoiceLine]:
    currency = invoice.currency
    lines = [
        InvoiceLine(
            invoice=invoice,
            position=0,
            kind=InvoiceLineKind.SUBSCRIPTION,
            description=f"{invoice.plan_name} plan, {month_label(invoice.month)}",
            amount=invoice.subscription_amount,
        )
    ]
    for voucher in vouchers:
        lines.append(
            InvoiceLine(
                invoice=invoice,
                position=len(lines),
                kind=InvoiceLineKind.VOUCHER_CREDIT,
                voucher=voucher,
                description=_credit_description(voucher)[:200],
                amount=-money.quantize(voucher.amount, currency),
            )
        )
    if invoice.carried_in:
        lines.append(
            InvoiceLine(
                invoice=invoice,
                position=len(lines),
                kind=InvoiceLineKind.CARRIED_CREDIT,
                description=f"Credit carried forward from invoice #{account.previous_invoice}",
                amount=-invoice.carried_in,
            )
        )
    return lines


def _end_terminated_subscriptions(*, month: str, now: dt.datetime) -> None:
    """Accounts whose confirmed termination ends by this month's end stop after its invoice."""
    ending = (
        TerminationRequest.objects.filter(
            status=TerminationStatus.CONFIRMED, ends_on__lte=last_day(month), account__is_active=True
        )
        .select_related("account")
        .order_by("account_id")
    )
    for request in ending:
        if not Invoice.objects.filter(
            account=request.account, month=request.ends_on.strftime("%Y-%m")
        ).exists():
            continue  # its last period is not invoiced yet
        with transaction.atomic():
            account_update(account=request.account, is_active=False)
            billing_event(
                code="subscription_ended",
                at=now,
                account_id=request.account_id,
                month=request.ends_on.strftime("%Y-%m"),
                termination=request.pk,
                ends_on=request.ends_on.isoformat(),
            )


def month_needs_close(*, month: str) -> bool:
    """Whether closing `month` would do anything: an active account without its invoice, or a
    confirmed termination whose last period is invoiced and whose account still runs."""
    invoiced = Exists(Invoice.objects.filter(account=OuterRef("pk"), month=month))
    if Account.objects.filter(~invoiced, is_active=True, started_on__lte=last_day(month)).exists():
        return True
    return TerminationRequest.objects.filter(
        status=TerminationStatus.CONFIRMED, ends_on__lte=last_day(month), account__is_active=True
    ).exists()


@transaction.atomic
def invoice_mark_paid(
    *, invoice: Invoice, actor: User, paid_at: dt.datetime | None = None, now: dt.datetime | None = None
) -> Invoice:
    """Record that the invoice was paid, at `paid_at` (default now); the only change an issued invoice takes.

    The instant matters: a failure while an invoice was overdue and unpaid is one the contract
    does not compensate (account_in_arrears), however it stands at review.
    """
    now = now or timezone.now()
    roles.require(access.may_mark_invoices_paid(actor), "Only billing admins record payments.")
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    paid_at = paid_at or now
    if paid_at > now:
        raise field_error("paid_at", "A payment is recorded once it has arrived: not in the future.")
    if paid_at < month_bounds(invoice.month)[0]:
        raise field_error(
            "paid_at", "That is before the invoice's month began: give when the payment arrived."
        )
    if invoice.paid_at is not None:
        raise ConflictError(
            f"Invoice #{invoice.pk} was already marked paid on "
            f"{timezone.localtime(invoice.paid_at):%Y-%m-%d}.",
            code="already_paid",
        )
    invoice.paid_at, invoice.paid_by = paid_at, actor
    invoice.save(update_fields=["paid_at", "paid_by"])
    billing_event(
        code="invoice_paid",
        at=now,
        actor=actor,
        account_id=invoice.account_id,
        month=invoice.month,
        invoice=invoice,
    )
    return invoice
