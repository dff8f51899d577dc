"""Uptime writes: downtime by hand (an event for each edit), maintenance windows, items, validation."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core import mail

from helpdesk.accounts.models import MonitoredItem
from helpdesk.kit.errors import ConflictError, ValidationError
from helpdesk.kit.roles import Denied
from sla.clocks.models import ExclusionPeriod
from sla.uptime import notifications
from sla.uptime.models import Downtime, DowntimeEvent, MaintenanceWindow
from sla.uptime.services import downtime as uptime_downtime
from sla.uptime.services import items as uptime_items
from sla.uptime.services import maintenance as uptime_maintenance
from tests.factories import (
    AccountFactory,
    BillingAdminFactory,
    CustomerFactory,
    EngineerFactory,
    make_ticket,
    set_uptime_terms,
)

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 20, 12, 0, tzinfo=dt.UTC)
MIN = dt.timedelta(minutes=1)
H = dt.timedelta(hours=1)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def admin(db):
    return BillingAdminFactory()


@pytest.fixture
def staff(db):
    return EngineerFactory()


@pytest.fixture
def item(account, admin):
    return uptime_items.item_create(created_by=admin, account=account, name="Web shop")


# --- downtime by hand ----------------------------------------------------------------------------


def test_every_edit_of_a_downtime_is_an_event_with_who_and_why(item, staff, customer):
    ticket = make_ticket(customer=customer)
    record = uptime_downtime.downtime_record(
        item=item, actor=staff, starts_at=NOW - 2 * H + dt.timedelta(seconds=42), note="Reported by phone"
    )
    earlier = NOW - 2 * H - 5 * MIN
    uptime_downtime.downtime_correct(downtime=record, actor=staff, reason="Logs say 09:55", starts_at=earlier)
    uptime_downtime.downtime_correct(downtime=record, actor=staff, reason="Back up", ends_at=NOW - H)
    uptime_downtime.downtime_annotate(downtime=record, actor=staff, note="Disk full on db-2")
    uptime_downtime.downtime_link_ticket(downtime=record, actor=staff, ticket=ticket)
    uptime_downtime.downtime_link_ticket(downtime=record, actor=staff, ticket=ticket, linked=False)
    uptime_downtime.downtime_link_ticket(downtime=record, actor=staff, ticket=ticket)
    uptime_downtime.downtime_void(downtime=record, actor=staff, reason="Duplicate of the probe's record")

    record.refresh_from_db()
    assert record.starts_at == dt.datetime(2026, 3, 20, 9, 55, tzinfo=dt.UTC)
    assert record.ends_at == dt.datetime(2026, 3, 20, 11, 0, tzinfo=dt.UTC)
    assert list(record.tickets.all()) == [ticket]
    assert record.voided and record.void_reason == "Duplicate of the probe's record"
    events = list(DowntimeEvent.objects.filter(downtime=record).order_by("id"))
    assert [e.code for e in events] == [
        "recorded",
        "corrected",
        "corrected",
        "annotated",
        "ticket_linked",
        "ticket_unlinked",
        "ticket_linked",
        "voided",
    ]
    assert {e.actor_id for e in events} == {staff.pk}
    assert events[0].data["starts_at"] == "2026-03-20T10:00:00+00:00"  # to the minute
    assert events[1].data["reason"] == "Logs say 09:55"
    assert events[1].data["was"]["starts_at"] == "2026-03-20T10:00:00+00:00"
    assert events[3].data == {"was": "Reported by phone", "note": "Disk full on db-2"}


def test_an_edit_that_changes_nothing_writes_no_event(item, staff):
    record = uptime_downtime.downtime_record(item=item, actor=staff, starts_at=NOW - H, ends_at=NOW)

    uptime_downtime.downtime_correct(downtime=record, actor=staff, reason="Same", starts_at=NOW - H)
    uptime_downtime.downtime_annotate(downtime=record, actor=staff, note="")

    assert record.events.count() == 1


def test_a_voided_record_cannot_be_voided_or_corrected_again(item, staff):
    record = uptime_downtime.downtime_record(item=item, actor=staff, starts_at=NOW - H, ends_at=NOW)
    uptime_downtime.downtime_void(downtime=record, actor=staff, reason="Mistake")

    with pytest.raises(ConflictError):
        uptime_downtime.downtime_void(downtime=record, actor=staff, reason="Again")
    with pytest.raises(ConflictError):
        uptime_downtime.downtime_correct(downtime=record, actor=staff, reason="x", ends_at=NOW - MIN)


def test_an_item_has_one_open_downtime_at_a_time(item, staff):
    uptime_downtime.downtime_record(item=item, actor=staff, starts_at=NOW - H)

    with pytest.raises(ConflictError):
        uptime_downtime.downtime_record(item=item, actor=staff, starts_at=NOW - 30 * MIN)
    assert Downtime.objects.count() == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"starts_at": NOW + H}, "starts_at"),  # not yet begun
        ({"starts_at": dt.datetime(1999, 12, 31, tzinfo=dt.UTC)}, "starts_at"),
        ({"starts_at": dt.datetime(2026, 3, 20, 9, 0)}, "starts_at"),  # no time zone
        ({"starts_at": "yesterday"}, "starts_at"),
        ({"starts_at": NOW - H, "ends_at": NOW - H}, "ends_at"),  # not a minute long
        ({"starts_at": NOW - H, "ends_at": NOW - H + dt.timedelta(seconds=59)}, "ends_at"),
        ({"starts_at": NOW - H, "ends_at": NOW - 2 * H}, "ends_at"),
        ({"starts_at": NOW - H, "ends_at": NOW + 2 * H}, "ends_at"),  # in the future
        ({"starts_at": NOW - 400 * 24 * H, "ends_at": NOW}, "ends_at"),  # over 366 days
        ({"starts_at": NOW - H, "note": "x" * 2001}, "note"),
        ({"starts_at": NOW - H, "note": "bell\x07"}, "note"),
    ],
)
def test_bad_downtime_is_refused_naming_the_field_and_nothing_is_written(item, staff, fields, field):
    with pytest.raises(ValidationError) as refused:
        uptime_downtime.downtime_record(item=item, actor=staff, **fields)

    assert field in refused.value.message_dict
    assert not Downtime.objects.exists() and not DowntimeEvent.objects.exists()


def test_a_customer_may_not_record_downtime(item, customer):
    with pytest.raises(Denied):
        uptime_downtime.downtime_record(item=item, actor=customer, starts_at=NOW - H)
    assert not Downtime.objects.exists()


def test_a_ticket_of_another_account_cannot_be_linked(item, staff, other_customer):
    record = uptime_downtime.downtime_record(item=item, actor=staff, starts_at=NOW - H, ends_at=NOW)

    with pytest.raises(ValidationError) as refused:
        uptime_downtime.downtime_link_ticket(
            downtime=record, actor=staff, ticket=make_ticket(customer=other_customer)
        )

    assert "ticket" in refused.value.message_dict
    assert not record.tickets.exists()


# --- maintenance windows ---------------------------------------------------------------------------


def test_a_scheduled_window_is_agreed_ahead_and_the_customer_is_emailed(
    item, staff, account, django_capture_on_commit_callbacks
):
    CustomerFactory(account=account, email="ops@customer.example")
    with django_capture_on_commit_callbacks() as callbacks:
        window = uptime_maintenance.maintenance_schedule(
            created_by=staff,
            account=account,
            item=item,
            kind="scheduled",
            starts_at=NOW + 24 * H,
            ends_at=NOW + 26 * H,
            note="Database upgrade",
        )
    assert len(callbacks) == 1  # the email goes after commit, through the worker

    sent = notifications.notify_maintenance(window.pk, "scheduled")

    assert sent == 1
    (message,) = mail.outbox
    assert message.to == ["ops@customer.example"]
    assert message.subject == "Maintenance scheduled: Web shop, 21 Mar 2026 12:00 UTC"
    assert "Database upgrade" in message.body and "does not count against your uptime" in message.body
    assert window.exclusion_period is None


def test_a_scheduled_window_cannot_start_in_the_past(item, staff, account):
    with pytest.raises(ValidationError) as refused:
        uptime_maintenance.maintenance_schedule(
            created_by=staff,
            account=account,
            item=item,
            kind="scheduled",
            starts_at=NOW - MIN,
            ends_at=NOW + H,
        )

    assert "emergency" in refused.value.message_dict["starts_at"][0]
    assert not MaintenanceWindow.objects.exists()


def test_an_emergency_window_is_a_billing_admins_and_becomes_an_exclusion_period(item, staff, admin, account):
    with pytest.raises(Denied):
        uptime_maintenance.maintenance_schedule(
            created_by=staff, account=account, kind="emergency", starts_at=NOW - 2 * H, ends_at=NOW - H
        )
    assert not ExclusionPeriod.objects.exists()

    window = uptime_maintenance.maintenance_schedule(
        created_by=admin,
        account=account,
        kind="emergency",
        starts_at=NOW - 2 * H,
        ends_at=NOW - H,
        note="Power failure in rack 4",
    )

    period = window.exclusion_period
    assert (period.kind, period.account_id, period.starts_at, period.ends_at) == (
        "emergency_maintenance",
        account.pk,
        NOW - 2 * H,
        NOW - H,
    )
    assert "Power failure in rack 4" in period.note


def test_an_emergency_window_excludes_the_misses_it_overlaps(admin, account, customer):
    from helpdesk.tickets.services.tickets import ticket_start_work
    from sla.clocks.models import Miss
    from sla.clocks.services.misses import misses_record_due
    from tests.factories import EngineerFactory

    # Work started 15 minutes after the 30-minute High deadline: a miss.
    ticket = make_ticket(customer=customer, priority="high", now=NOW - 3 * H)
    ticket_start_work(ticket=ticket, actor=EngineerFactory(), now=NOW - 3 * H + 45 * MIN)
    misses_record_due(now=NOW - MIN)
    assert Miss.objects.get().counted

    window = uptime_maintenance.maintenance_schedule(
        created_by=admin,
        account=account,
        kind="emergency",
        starts_at=NOW - 3 * H,
        ends_at=NOW - 2 * H,
        note="Storage controller failed",
    )

    # The window paused the clock until work started: the response was within the moved deadline.
    miss = Miss.objects.get()
    assert not miss.counted
    assert miss.excluded_reason == f"Emergency maintenance #{window.exclusion_period_id}"


def test_a_window_is_cancelled_only_before_it_starts_and_the_customer_is_told(item, staff, account):
    CustomerFactory(account=account, email="ops@customer.example")
    window = uptime_maintenance.maintenance_schedule(
        created_by=staff, account=account, kind="scheduled", starts_at=NOW + H, ends_at=NOW + 2 * H
    )

    uptime_maintenance.maintenance_cancel(window=window, actor=staff)
    notifications.notify_maintenance(window.pk, "cancelled")

    window.refresh_from_db()
    assert window.cancelled and window.cancelled_by == staff
    assert mail.outbox[-1].subject.startswith("Maintenance cancelled: all your monitored services")
    with pytest.raises(ConflictError):
        uptime_maintenance.maintenance_cancel(window=window, actor=staff)
    begun = uptime_maintenance.maintenance_schedule(
        created_by=staff, account=account, kind="scheduled", starts_at=NOW + MIN, ends_at=NOW + H
    )
    with time_machine.travel(NOW + 2 * MIN, tick=False), pytest.raises(ConflictError):
        uptime_maintenance.maintenance_cancel(window=begun, actor=staff)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": "whenever"}, "kind"),
        ({"ends_at": NOW + 24 * H}, "ends_at"),  # before the start
        ({"ends_at": NOW + 48 * H + 32 * 24 * H}, "ends_at"),  # over 31 days
        ({"starts_at": NOW + 400 * 24 * H, "ends_at": NOW + 401 * 24 * H}, "starts_at"),
        ({"starts_at": dt.datetime(2026, 4, 1, 10, 0)}, "starts_at"),  # naive
        ({"note": "x" * 2001}, "note"),
    ],
)
def test_bad_windows_are_refused_naming_the_field(item, staff, account, fields, field):
    values = {"kind": "scheduled", "starts_at": NOW + 48 * H, "ends_at": NOW + 50 * H, **fields}

    with pytest.raises(ValidationError) as refused:
        uptime_maintenance.maintenance_schedule(created_by=staff, account=account, item=item, **values)

    assert field in refused.value.message_dict
    assert not MaintenanceWindow.objects.exists()


def test_a_window_for_another_accounts_item_is_refused(item, staff, other_account):
    with pytest.raises(ValidationError) as refused:
        uptime_maintenance.maintenance_schedule(
            created_by=staff,
            account=other_account,
            item=item,
            kind="scheduled",
            starts_at=NOW + H,
            ends_at=NOW + 2 * H,
        )
    assert "item" in refused.value.message_dict


# --- items -----------------------------------------------------------------------------------------


def test_an_items_level_gives_its_guarantee_from_its_accounts_plan(account, admin):
    set_uptime_terms(account.plan, levels={"gold": "99.99", "silver": "99.9"}, default_level="silver")

    default = uptime_items.item_create(created_by=admin, account=account, name="Shop")
    gold = uptime_items.item_create(created_by=admin, account=account, name="API", level="gold")
    assert (default.level, default.guarantee_percent) == ("silver", Decimal("99.9"))
    assert gold.guarantee_percent == Decimal("99.99")

    uptime_items.item_update(item=default, actor=admin, level="gold")

    default.refresh_from_db()
    assert (default.level, default.guarantee_percent) == ("gold", Decimal("99.99"))


def test_the_default_guarantee_is_99_9(account, admin):
    item = uptime_items.item_create(created_by=admin, account=account, name="Shop")

    assert item.guarantee_percent == Decimal("99.9")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 121}, "name"),
        ({"name": "tab\x1bname"}, "name"),
        ({"level": "platinum"}, "level"),
        ({"probe_kind": "icmp"}, "probe_kind"),
        ({"probe_kind": "http", "probe_url": ""}, "probe_url"),
        ({"probe_kind": "http", "probe_url": "http://192.168.1.10/"}, "probe_url"),
        ({"probe_kind": "http", "probe_url": "javascript:alert(1)"}, "probe_url"),
        (
            {"probe_kind": "http", "probe_url": "http://127.0.0.1/", "probe_expected_status": 700},
            "probe_expected_status",
        ),
        ({"probe_kind": "tcp", "probe_host": "10.0.0.5", "probe_port": 22}, "probe_host"),
        ({"probe_kind": "tcp", "probe_host": "127.0.0.1", "probe_port": 0}, "probe_port"),
        ({"probe_kind": "tcp", "probe_host": "127.0.0.1", "probe_port": None}, "probe_port"),
        ({"probe_kind": "tcp", "probe_host": "db.internal", "probe_port": 5432}, "probe_host"),
    ],
)
def test_bad_items_are_refused_naming_the_field(account, admin, fields, field):
    values = {"name": "Shop", **fields}

    with pytest.raises(ValidationError) as refused:
        uptime_items.item_create(created_by=admin, account=account, **values)

    assert field in refused.value.message_dict
    assert not MonitoredItem.objects.exists()


def test_billing_admins_manage_items_and_engineers_and_customers_do_not(account, staff, admin, customer):
    for actor in (customer, staff):
        with pytest.raises(Denied):
            uptime_items.item_create(created_by=actor, account=account, name="Shop")
    assert not MonitoredItem.objects.exists()

    item = uptime_items.item_create(created_by=admin, account=account, name="Shop")
    for actor in (customer, staff):
        with pytest.raises(Denied):
            uptime_items.item_update(item=item, actor=actor, name="Mine now")
    uptime_items.item_update(item=item, actor=admin, name="Shop front")

    assert MonitoredItem.objects.get().name == "Shop front"


def test_item_names_are_unique_per_account(account, other_account, admin):
    uptime_items.item_create(created_by=admin, account=account, name="Shop")
    uptime_items.item_create(created_by=admin, account=other_account, name="Shop")

    with pytest.raises(ValidationError) as refused:
        uptime_items.item_create(created_by=admin, account=account, name="Shop")
    assert "name" in refused.value.message_dict


def test_in_production_a_public_host_name_is_accepted_and_private_addresses_are_not(account, admin, settings):
    settings.UPTIME_PROBE_ALLOWED_NETWORKS = []

    item = uptime_items.item_create(
        created_by=admin,
        account=account,
        name="Shop",
        probe_kind="http",
        probe_url="https://shop.example.com/health",
    )

    assert item.probe_url == "https://shop.example.com/health"
    for url in ("http://127.0.0.1/", "http://localhost/", "http://10.0.0.1/", "http://[::1]/"):
        with pytest.raises(ValidationError):
            uptime_items.item_create(
                created_by=admin, account=account, name=url, probe_kind="http", probe_url=url
            )


@pytest.fixture
def other_account(plans):
    return AccountFactory(plan=plans["premium"])
