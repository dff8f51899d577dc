"""Claims and vouchers through the services: who may claim what, decisions, caps, emails, history."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from billing.models import BillingEvent, Claim, ClaimStatus, Invoice, Voucher
from billing.services.claims import claim_approve, claim_deny, claim_open
from billing.services.invoices import month_close
from helpdesk.kit.errors import ConflictError
from helpdesk.kit.roles import Denied
from helpdesk.tickets.services.tickets import ticket_downgrade
from sla.clocks.models import Miss
from sla.clocks.services.exclusions import exclusion_create
from sla.uptime import providers
from tests.billing.conftest import MIN, NOW, T0, H, excused_miss, record_misses
from tests.factories import AccountFactory, CustomerFactory, plan

pytestmark = pytest.mark.django_db


def test_a_customer_claims_a_counted_miss_and_the_ticket_history_says_so(customer, miss):
    claim = claim_open(miss=miss, created_by=customer, note="Our shop was down for an hour.", now=NOW)

    assert (claim.status, claim.account_id, claim.month) == ("pending", customer.account_id, "2026-03")
    assert miss.ticket.events.filter(code="claim_opened", actor=customer).exists()
    assert BillingEvent.objects.filter(code="claim_opened", claim=claim).exists()


def test_one_claim_per_miss_second_is_a_conflict(customer, miss, claim):
    with pytest.raises(ConflictError) as error:
        claim_open(miss=miss, created_by=customer, now=NOW)
    assert error.value.code == "already_claimed"
    assert Claim.objects.count() == 1


def test_another_accounts_miss_cannot_be_claimed(customer, other_miss):
    with pytest.raises(ValidationError) as error:
        claim_open(miss=other_miss, created_by=customer, now=NOW)
    assert "miss" in error.value.message_dict
    assert not Claim.objects.exists()


def test_staff_do_not_open_claims(engineer, billing_admin, miss):
    for user in (engineer, billing_admin):
        with pytest.raises(Denied):
            claim_open(miss=miss, created_by=user, now=NOW)


def test_an_excluded_miss_is_refused_naming_the_miss(customer, billing_admin, frozen):
    excluded = excused_miss(customer, billing_admin, kind="emergency_maintenance")
    assert not excluded.counted

    with pytest.raises(ValidationError) as error:
        claim_open(miss=excluded, created_by=customer, now=NOW)
    assert "Emergency maintenance" in error.value.message_dict["miss"][0]
    assert not Claim.objects.exists()


def test_a_voided_miss_may_still_be_claimed_and_the_admin_decides(customer, engineer, billing_admin, frozen):
    high = record_misses(customer, 1)[0]
    ticket_downgrade(ticket=high.ticket, actor=engineer, reason="Not an outage", now=T0 + 2 * MIN)
    high.refresh_from_db()
    assert high.voided and not high.counted

    claim = claim_open(miss=high, created_by=customer, now=NOW)
    claim_approve(claim=claim, actor=billing_admin, now=NOW)

    assert Voucher.objects.get(claim=claim).amount == Decimal("50.00")


@pytest.mark.parametrize(
    ("claimed_at", "allowed"),
    [
        (dt.datetime(2026, 4, 30, 23, 59, 59, tzinfo=dt.UTC), True),  # last second of the next month
        (dt.datetime(2026, 5, 1, 0, 0, tzinfo=dt.UTC), False),
    ],
)
def test_the_claim_window_runs_to_the_end_of_the_month_after_the_miss(
    one_month_window, customer, miss, claimed_at, allowed
):
    if allowed:
        assert claim_open(miss=miss, created_by=customer, now=claimed_at).pk
        return
    with pytest.raises(ValidationError) as error:
        claim_open(miss=miss, created_by=customer, now=claimed_at)
    assert "closed at the end of April 2026" in error.value.message_dict["miss"][0]


def test_the_claim_window_is_a_plan_setting(customer, frozen):
    plan_ = customer.account.plan
    plan_.claim_window_months = 0
    plan_.save()
    miss = record_misses(customer, 1)[0]

    with pytest.raises(ValidationError):
        claim_open(miss=miss, created_by=customer, now=dt.datetime(2026, 4, 1, tzinfo=dt.UTC))
    assert claim_open(miss=miss, created_by=customer, now=dt.datetime(2026, 3, 31, 23, tzinfo=dt.UTC))


def test_a_note_with_control_characters_or_too_long_is_refused(customer, miss):
    for note in ("bad\x00note", "x" * 2001, 42):
        with pytest.raises(ValidationError) as error:
            claim_open(miss=miss, created_by=customer, note=note, now=NOW)
        assert "note" in error.value.message_dict
    assert not Claim.objects.exists()


def test_approval_issues_five_percent_of_the_miss_months_fee(billing_admin, claim):
    claim_approve(claim=claim, actor=billing_admin, now=NOW)

    claim.refresh_from_db()
    voucher = Voucher.objects.get(claim=claim)
    assert claim.status == "approved" and claim.decided_by == billing_admin
    assert (voucher.amount, voucher.currency, voucher.capped, voucher.month) == (
        Decimal("50.00"),
        "USD",
        False,
        "2026-03",
    )
    assert claim.miss.ticket.events.filter(code="claim_approved").exists()
    assert set(BillingEvent.objects.filter(claim=claim).values_list("code", flat=True)) >= {
        "claim_approved",
        "voucher_issued",
    }


def test_a_decided_claim_cannot_be_decided_again(billing_admin, claim):
    claim_approve(claim=claim, actor=billing_admin, now=NOW)
    with pytest.raises(ConflictError):
        claim_approve(claim=claim, actor=billing_admin, now=NOW)
    with pytest.raises(ConflictError):
        claim_deny(claim=claim, actor=billing_admin, reason="custom_code", now=NOW)
    assert Voucher.objects.count() == 1


def test_deny_needs_one_of_specs_reasons_and_other_needs_a_note(billing_admin, claim):
    with pytest.raises(ValidationError) as error:
        claim_deny(claim=claim, actor=billing_admin, reason="we_feel_like_it", now=NOW)
    assert "reason" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        claim_deny(claim=claim, actor=billing_admin, reason="other", note="  ", now=NOW)
    assert "note" in error.value.message_dict
    claim.refresh_from_db()
    assert claim.status == "pending"

    claim_deny(claim=claim, actor=billing_admin, reason="other", note="Duplicate of ticket #1", now=NOW)
    claim.refresh_from_db()
    assert (claim.status, claim.decision_reason) == ("denied", "other")
    assert not Voucher.objects.exists()


def test_engineers_and_customers_cannot_decide(engineer, customer, claim):
    for user in (engineer, customer):
        with pytest.raises(Denied):
            claim_approve(claim=claim, actor=user, now=NOW)
        with pytest.raises(Denied):
            claim_deny(claim=claim, actor=user, reason="custom_code", now=NOW)
    claim.refresh_from_db()
    assert claim.status == "pending"


def test_a_months_vouchers_stop_at_the_cap_and_the_last_says_capped(customer, billing_admin, frozen):
    misses = record_misses(customer, 22)
    for miss in misses:
        claim_approve(claim=claim_open(miss=miss, created_by=customer, now=NOW), actor=billing_admin, now=NOW)

    vouchers = list(Voucher.objects.order_by("issued_at", "id"))
    assert [v.amount for v in vouchers[:20]] == [Decimal("50.00")] * 20
    assert [(v.amount, v.capped) for v in vouchers[20:]] == [(Decimal("0.00"), True)] * 2
    assert sum(v.amount for v in vouchers) == Decimal("1000.00")


def test_the_seed_004_policy_caps_at_half_the_fee_with_no_claim(billing_admin):
    account = AccountFactory(plan=plan("business"), monthly_fee=Decimal("300.00"))
    customer = CustomerFactory(account=account)
    weekday_morning = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)
    misses = record_misses(customer, 12, start=weekday_morning, step=dt.timedelta(seconds=30))
    assert all(m.counted for m in misses)
    with pytest.raises(ValidationError) as refused:
        claim_open(miss=misses[0], created_by=customer, now=NOW)
    assert "automatically" in refused.value.message_dict["miss"][0]

    month_close(month="2026-03", now=dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC))

    amounts = [v.amount for v in Voucher.objects.filter(claim__isnull=True).order_by("issued_at", "id")]
    assert len(amounts) == 12 and sum(amounts) == Decimal("150.00")
    assert not Claim.objects.exists()


def test_the_months_terms_stay_when_the_plan_changes_later(customer, billing_admin, frozen):
    first, second = record_misses(customer, 2)
    claim_approve(claim=claim_open(miss=first, created_by=customer, now=NOW), actor=billing_admin, now=NOW)
    plan_ = customer.account.plan
    plan_.voucher_percent = Decimal("20.00")
    plan_.save()

    claim_approve(claim=claim_open(miss=second, created_by=customer, now=NOW), actor=billing_admin, now=NOW)

    assert [v.amount for v in Voucher.objects.order_by("id")] == [Decimal("50.00"), Decimal("50.00")]


def test_a_miss_excluded_after_its_claim_cannot_be_approved_and_denial_is_proposed(
    billing_admin, claim, customer
):
    from billing.selectors import claims_for, proposed_reason

    # Force majeure that is still going on: the unanswered request's clock stands still.
    exclusion_create(
        created_by=billing_admin, kind="force_majeure", starts_at=T0 - MIN, ends_at=NOW + MIN, note="Flood"
    )

    with pytest.raises(ConflictError) as error:
        claim_approve(claim=claim, actor=billing_admin, now=NOW)
    assert error.value.code == "miss_excluded"
    assert proposed_reason(claims_for(user=billing_admin, now=NOW).get(pk=claim.pk)) == "force_majeure"


def test_an_overdue_unpaid_invoice_proposes_account_in_arrears(billing_admin, customer):
    from billing.selectors import claims_for, proposed_reason

    month_close(month="2026-03", now=dt.datetime(2026, 4, 1, tzinfo=dt.UTC))
    invoice = Invoice.objects.get(account=customer.account)
    april = dt.datetime(2026, 4, 20, 9, tzinfo=dt.UTC)
    claim = claim_open(miss=record_misses(customer, 1, start=april)[0], created_by=customer, now=april + H)
    assert invoice.due_on < april.date()

    assert proposed_reason(claims_for(user=billing_admin, now=april).get(pk=claim.pk)) == "account_in_arrears"
    Invoice.objects.filter(pk=invoice.pk).update(paid_at=april)
    assert proposed_reason(claims_for(user=billing_admin, now=april).get(pk=claim.pk)) is None


def test_emails_claim_received_decided_and_voucher_issued(customer, billing_admin, claim, mailoutbox):
    from billing import notifications

    notifications.notify_claim_received(claim.pk)
    claim_approve(claim=claim, actor=billing_admin, now=NOW)
    notifications.notify_claim_decided(claim.pk)
    notifications.notify_voucher_issued(Voucher.objects.get().pk)

    received, decided, voucher = mailoutbox
    assert set(received.to) == {customer.email, billing_admin.email}
    assert f"Claim #{claim.pk} received" in received.subject
    assert decided.to == [customer.email] and "approved" in decided.subject and "50.00 USD" in decided.body
    assert voucher.subject == "[Pledge] Voucher of 50.00 USD issued"


def test_a_denial_email_says_why(customer, billing_admin, claim, mailoutbox):
    from billing import notifications

    claim_deny(
        claim=claim, actor=billing_admin, reason="unauthorised_change", note="Firewall edited", now=NOW
    )
    notifications.notify_claim_decided(claim.pk)

    assert "denied" in mailoutbox[0].subject
    assert "Unauthorised change" in mailoutbox[0].body and "Firewall edited" in mailoutbox[0].body


def test_approval_enqueues_its_emails_after_commit(
    billing_admin, claim, django_capture_on_commit_callbacks, monkeypatch
):
    sent = []
    for module in ("billing.services.claims", "billing.services.vouchers"):
        monkeypatch.setattr(f"{module}.enqueue_after_commit", lambda task, *args: sent.append(task.name))

    with django_capture_on_commit_callbacks(execute=True):
        claim_approve(claim=claim, actor=billing_admin, now=NOW)

    assert sorted(sent) == [
        "billing.notifications.notify_claim_decided",
        "billing.notifications.notify_voucher_issued",
    ]


def test_claims_keep_their_status_constraint(claim):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.filter(pk=claim.pk).update(status=ClaimStatus.DENIED)  # denied with no reason or date
    assert Miss.objects.get(pk=claim.miss_id).claim == claim


def test_the_months_vouchers_are_readable_by_uptime_credits(customer, billing_admin):
    for miss in record_misses(customer, 3):
        claim_approve(claim=claim_open(miss=miss, created_by=customer, now=NOW), actor=billing_admin, now=NOW)

    # billing gave uptime its pricing when Django started (BillingConfig.ready)
    pricing = providers.pricing()
    assert pricing.vouchers_issued(account_id=customer.account_id, month="2026-03") == Decimal("150.00")
    assert pricing.vouchers_issued(account_id=customer.account_id, month="2026-04") == 0
