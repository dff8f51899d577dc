"""Closing a month: one invoice per active account, voucher credits, carry-forward, idempotence, PDF."""

import datetime as dt
import subprocess
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from billing.models import BillingEvent, Invoice, InvoiceLine, Voucher
from billing.pdf import invoice_pdf
from billing.services.claims import claim_approve, claim_open
from billing.services.invoices import invoice_mark_paid, month_close
from helpdesk.kit.errors import ConflictError
from tests.billing.conftest import NOW, record_misses
from tests.factories import AccountFactory, CustomerFactory

pytestmark = pytest.mark.django_db

APRIL_1 = dt.datetime(2026, 4, 1, 0, 5, tzinfo=dt.UTC)
MAY_1 = dt.datetime(2026, 5, 1, 0, 5, tzinfo=dt.UTC)


def approved_vouchers(customer, admin, count, **kwargs):
    for miss in record_misses(customer, count, **kwargs):
        claim_approve(claim=claim_open(miss=miss, created_by=customer, now=NOW), actor=admin, now=NOW)
    return list(Voucher.objects.filter(account=customer.account).order_by("id"))


def lines_of(invoice):
    return [(line.kind, line.amount, line.voucher_id) for line in invoice.lines.order_by("position")]


def test_closing_a_month_invoices_every_active_account_with_its_vouchers(
    customer, other_customer, billing_admin
):
    vouchers = approved_vouchers(customer, billing_admin, 2)
    AccountFactory(is_active=False)

    result = month_close(month="2026-03", actor=billing_admin, now=APRIL_1)

    assert (result.issued, result.already_issued) == (2, 0)
    mine = Invoice.objects.get(account=customer.account, month="2026-03")
    assert lines_of(mine) == [
        ("subscription", Decimal("1000.000"), None),
        ("voucher_credit", Decimal("-50.000"), vouchers[0].pk),
        ("voucher_credit", Decimal("-50.000"), vouchers[1].pk),
    ]
    assert (mine.total, mine.carried_out, mine.credit_applied) == (Decimal("900"), 0, Decimal("100"))
    assert mine.due_on == dt.date(2026, 4, 15) and mine.plan_name == "Advanced"
    assert set(Voucher.objects.values_list("invoice_id", flat=True)) == {mine.pk}
    theirs = Invoice.objects.get(account=other_customer.account)
    assert lines_of(theirs) == [("subscription", Decimal("1000.000"), None)] and theirs.total == 1000
    assert BillingEvent.objects.filter(code="invoice_issued").count() == 2


def test_closing_twice_issues_the_same_invoices_and_an_issued_invoice_never_changes(customer, billing_admin):
    approved_vouchers(customer, billing_admin, 1)
    month_close(month="2026-03", now=APRIL_1)
    before = list(Invoice.objects.values())
    lines_before = list(InvoiceLine.objects.values())

    approved_vouchers(customer, billing_admin, 1, start=dt.datetime(2026, 3, 15, tzinfo=dt.UTC))
    again = month_close(month="2026-03", now=APRIL_1 + dt.timedelta(hours=1))

    assert (again.issued, again.already_issued) == (0, 1)
    assert list(Invoice.objects.values()) == before
    assert list(InvoiceLine.objects.values()) == lines_before
    late = Voucher.objects.get(invoice__isnull=True)  # approved after the close: next invoice
    month_close(month="2026-04", now=MAY_1)
    april = Invoice.objects.get(month="2026-04")
    assert [line[2] for line in lines_of(april) if line[0] == "voucher_credit"] == [late.pk]


def test_credit_beyond_the_fee_carries_to_the_next_invoice_and_money_is_conserved(customer, billing_admin):
    # March: twenty misses claimed in March, approved only after March was closed.
    claims = [claim_open(miss=m, created_by=customer, now=NOW) for m in record_misses(customer, 20)]
    month_close(month="2026-03", now=APRIL_1)
    april_2 = APRIL_1 + dt.timedelta(days=1)
    for claim in claims:
        claim_approve(claim=claim, actor=billing_admin, now=april_2)  # 20 × 50.00: March's whole cap
    # April: four misses of its own, approved in April.
    april_10 = dt.datetime(2026, 4, 10, 10, tzinfo=dt.UTC)
    for miss in record_misses(customer, 4, start=april_10):
        claim_approve(
            claim=claim_open(miss=miss, created_by=customer, now=april_10), actor=billing_admin, now=april_10
        )

    month_close(month="2026-04", now=MAY_1)
    month_close(month="2026-05", now=dt.datetime(2026, 6, 1, 0, 5, tzinfo=dt.UTC))

    march, april, may = Invoice.objects.order_by("month")
    assert (march.total, march.credit_applied) == (1000, 0)
    assert (april.voucher_credits, april.credit_applied, april.total, april.carried_out) == (
        1200,
        1000,
        0,
        200,
    )
    assert len([line for line in lines_of(april) if line[0] == "voucher_credit"]) == 24
    assert lines_of(may) == [
        ("subscription", Decimal("1000.000"), None),
        ("carried_credit", Decimal("-200.000"), None),
    ]
    assert (may.carried_in, may.total, may.carried_out) == (200, 800, 0)
    assert f"invoice #{april.pk}" in may.lines.get(kind="carried_credit").description
    vouchers = sum(Voucher.objects.values_list("amount", flat=True))
    applied = sum(Invoice.objects.values_list("credit_applied", flat=True))
    assert applied + may.carried_out == vouchers == Decimal("1200")


def test_a_month_can_be_closed_once_it_has_ended_only(billing_admin):
    with pytest.raises(ValidationError) as error:
        month_close(month="2026-04", actor=billing_admin, now=NOW)
    assert "has not begun" in error.value.message_dict["month"][0]
    for bad in ("2026-13", "9999-01", "26-03", "", None, 202603):
        with pytest.raises(ValidationError) as error:
            month_close(month=bad, actor=billing_admin, now=NOW)
        assert "month" in error.value.message_dict
    with pytest.raises(ConflictError) as conflict:
        month_close(month="2026-03", now=NOW)
    assert conflict.value.code == "month_not_ended" and "2026-04-01 00:00" in conflict.value.message
    assert month_close(month="2026-03", now=dt.datetime(2026, 4, 1, tzinfo=dt.UTC)).month == "2026-03"


def test_only_billing_admins_close_months(engineer, customer):
    from helpdesk.kit.roles import Denied

    for user in (engineer, customer):
        with pytest.raises(Denied):
            month_close(month="2026-03", actor=user, now=APRIL_1)
    assert not Invoice.objects.exists()


def test_one_invoice_per_account_and_month_and_one_credit_per_voucher_are_constraints(
    customer, billing_admin
):
    approved_vouchers(customer, billing_admin, 1)
    month_close(month="2026-03", now=APRIL_1)
    invoice = Invoice.objects.get()
    line = invoice.lines.get(kind="voucher_credit")
    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.create(
            **{
                f.attname: getattr(invoice, f.attname)
                for f in Invoice._meta.concrete_fields
                if not f.primary_key
            }
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        InvoiceLine.objects.create(
            invoice=invoice,
            position=9,
            kind="voucher_credit",
            description="again",
            amount=-50,
            voucher_id=line.voucher_id,
        )


def test_small_batches_give_the_same_invoices(billing_admin):
    accounts = [AccountFactory() for _ in range(7)]
    result = month_close(month="2026-03", now=APRIL_1, batch=2)
    assert (result.issued, result.batches) == (7, 4)
    assert set(Invoice.objects.values_list("account_id", flat=True)) == {a.pk for a in accounts}


def test_mark_paid_once(customer, billing_admin):
    month_close(month="2026-03", now=APRIL_1)
    invoice = Invoice.objects.get()
    invoice_mark_paid(invoice=invoice, actor=billing_admin, now=APRIL_1)
    with pytest.raises(ConflictError):
        invoice_mark_paid(invoice=invoice, actor=billing_admin, now=APRIL_1)
    invoice.refresh_from_db()
    assert invoice.paid_at == APRIL_1 and invoice.paid_by == billing_admin


def test_invoice_issued_email(customer, mailoutbox):
    from billing import notifications

    month_close(month="2026-03", now=APRIL_1)
    notifications.notify_invoices_issued([Invoice.objects.get().pk])

    assert mailoutbox[0].to == [customer.email]
    assert "1000.00 USD" in mailoutbox[0].subject and "2026-04-15" in mailoutbox[0].body


def test_currencies_are_billed_in_their_own_minor_unit(billing_admin):
    yen = CustomerFactory(account=AccountFactory(monthly_fee=Decimal("12345.00"), currency="JPY"))
    approved_vouchers(yen, billing_admin, 1)
    assert Voucher.objects.get().amount == Decimal("617")  # 617.25 half-up to whole yen
    month_close(month="2026-03", now=APRIL_1)
    assert Invoice.objects.get().total == Decimal("11728")


def test_the_pdf_is_a_real_pdf_with_the_totals(customer, billing_admin):
    approved_vouchers(customer, billing_admin, 1)
    month_close(month="2026-03", now=APRIL_1)
    invoice = Invoice.objects.get()

    body = invoice_pdf(
        invoice=invoice,
        lines=list(invoice.lines.order_by("position")),
        account_name="Globex (Ünïcode) \\",
        zone=dt.UTC,
    )

    assert body.startswith(b"%PDF-") and body.rstrip().endswith(b"%%EOF")
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=body, capture_output=True, check=True
    ).stdout
    text = text.decode()
    assert "950.00 USD" in text and "1000.00 USD" in text and "-50.00 USD" in text
    assert "Globex (Ünïcode) \\" in text and f"Invoice #{invoice.pk}" in text
    assert "Total due" in text and "within 14 days" in text


def test_the_beat_task_closes_the_previous_month_once(customer, billing_admin):
    import time_machine

    from billing.tasks import close_previous_month

    with time_machine.travel(APRIL_1, tick=False):
        first = close_previous_month()
        second = close_previous_month()

    assert (first["month"], first["issued"], second["issued"]) == ("2026-03", 1, 0)
    assert Invoice.objects.get().month == "2026-03"


def test_beat_closes_by_the_support_zone_not_utc(settings, customer):
    import time_machine

    from billing.tasks import close_previous_month

    settings.SUPPORT_TIME_ZONE = "America/New_York"
    with time_machine.travel(
        dt.datetime(2026, 4, 1, 2, tzinfo=dt.UTC), tick=False
    ):  # 22:00 on 31 March in NY
        assert close_previous_month()["month"] == "2026-02"


def test_the_close_month_command(customer, capsys):
    import time_machine
    from django.core.management import CommandError, call_command

    with time_machine.travel(APRIL_1, tick=False):
        call_command("close_month")
        call_command("close_month", "2026-03")
        with pytest.raises(CommandError):
            call_command("close_month", "2026-13")

    out = capsys.readouterr().out
    assert "2026-03: 1 invoices issued" in out and "2026-03: 0 invoices issued, 1 already issued" in out
