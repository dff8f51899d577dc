"""SLA pages: misses, exclusion periods (billing admins) and the monthly report."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from helpdesk.kit.months import month_of
from helpdesk.tickets.models import Ticket
from helpdesk.tickets.services.tickets import ticket_downgrade, ticket_start_work
from sla.clocks.models import ExclusionPeriod, Miss
from sla.clocks.services.exclusions import exclusion_create
from sla.clocks.services.misses import misses_record_due
from tests.factories import CustomerFactory, make_ticket

T0 = dt.datetime(2026, 3, 10, 10, 0, tzinfo=dt.UTC)
H = dt.timedelta(hours=1)
MIN = dt.timedelta(minutes=1)

# Measured: session, user, the count, the page of misses and the exclusion periods that touched
# them (5); staff add the accounts of the filter (6). Never one per row.
MISSES_PAGE_QUERIES = 6

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _plain_http(settings):
    # DEBUG is off in tests, so production's HTTPS redirect would answer every request with a 301.
    settings.SECURE_SSL_REDIRECT = False


def logged_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def misses(customer, other_customer, engineer, billing_admin):
    """The customer's account: a counted miss, an excluded one and a voided one; one on the other account."""
    engineer.first_name, engineer.last_name = "Eve", "Engineer"
    engineer.save()
    counted = make_ticket(customer=customer, priority="high", now=T0, subject="Checkout is down")
    excused = make_ticket(customer=customer, priority="high", now=T0 + 3 * H, subject="Login is slow")
    voided = make_ticket(customer=customer, priority="high", now=T0 + 6 * H, subject="Logo is blurry")
    theirs = make_ticket(customer=other_customer, priority="high", now=T0, subject="Their secret outage")
    # Started 15 minutes late, inside an AWS failure declared afterwards: excused.
    ticket_start_work(ticket=excused, actor=engineer, now=T0 + 3 * H + 45 * MIN)
    exclusion_create(
        created_by=billing_admin,
        kind="cloud_provider",
        provider="AWS",
        starts_at=T0 + 3 * H,
        ends_at=T0 + 4 * H,
        note="AWS eu-west-1 outage",
    )
    misses_record_due(now=T0 + 7 * H)
    ticket_downgrade(ticket=voided, actor=engineer, reason="Only a cosmetic bug", now=T0 + 7 * H)
    return {"counted": counted, "excused": excused, "voided": voided, "theirs": theirs}


# --- misses ---------------------------------------------------------------------------------


def test_misses_page_needs_a_login(client, db):
    response = client.get(reverse("misses"))

    assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_customer_sees_their_misses_and_why_each_counts_or_not(client, customer, misses):
    response = logged_in(client, customer).get(reverse("misses"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Checkout is down" in html and "Login is slow" in html and "Logo is blurry" in html
    assert "Their secret outage" not in html
    assert reverse("ticket_detail", args=[misses["counted"].pk]) in html
    assert "Cloud provider failure (AWS)" in html
    assert "Voided by Eve Engineer: Only a cosmetic bug" in html
    assert 'name="account"' not in html  # no account filter for a customer


def test_deadlines_are_shown_in_the_viewers_time_zone(client, customer, misses):
    customer.timezone = "Asia/Tokyo"
    customer.save()

    html = logged_in(client, customer).get(reverse("misses")).content.decode()

    assert "Tue 10 Mar 2026, 19:30" in html  # 10:30 UTC
    assert "Times shown in Asia/Tokyo" in html


@pytest.mark.parametrize("role", ["engineer", "billing_admin"])
def test_staff_see_every_account_and_filter_by_account_and_month(
    request, client, misses, role, other_customer
):
    client = logged_in(client, request.getfixturevalue(role))

    everything = client.get(reverse("misses")).content.decode()
    theirs = client.get(reverse("misses"), {"account": other_customer.account_id}).content.decode()
    april = client.get(reverse("misses"), {"month": "2026-04"}).content.decode()
    not_counted = client.get(reverse("misses"), {"counted": "no"}).content.decode()

    assert "Checkout is down" in everything and "Their secret outage" in everything
    assert 'name="account"' in everything and other_customer.account.name in everything
    assert "Their secret outage" in theirs and "Checkout is down" not in theirs
    assert "No misses match these filters" in april
    assert "Login is slow" in not_counted and "Checkout is down" not in not_counted


@pytest.mark.parametrize("params", [{"month": "2026-13"}, {"account": "abc"}, {"counted": "maybe"}])
def test_a_bad_filter_is_a_400_that_says_which(client, engineer, misses, params):
    response = logged_in(client, engineer).get(reverse("misses"), params)

    assert response.status_code == 400
    assert "Those filters are not valid" in response.content.decode()
    assert "field__errors" in response.content.decode()


def test_the_misses_page_costs_the_same_queries_at_5_and_200(client, engineer, customer):
    def measure():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("misses")).status_code == 200
        return len(queries)

    client = logged_in(client, engineer)
    template = make_ticket(customer=customer, priority="high", now=T0)
    fields = {
        f.attname: getattr(template, f.attname) for f in Ticket._meta.concrete_fields if not f.primary_key
    }
    Ticket.objects.bulk_create([Ticket(**fields) for _ in range(4)])
    misses_record_due(now=T0 + H)
    few = measure()
    Ticket.objects.bulk_create([Ticket(**{**fields, "miss_pending": True}) for _ in range(195)])
    misses_record_due(now=T0 + H)
    assert Miss.objects.count() == 200

    assert few == measure() <= MISSES_PAGE_QUERIES


def test_a_customer_sees_the_periods_that_touched_their_misses(client, customer, other_customer, misses):
    mine = logged_in(client, customer).get(reverse("misses")).content.decode()

    assert "Cloud provider failure (AWS)" in mine and "AWS eu-west-1 outage" in mine
    theirs = logged_in(client, other_customer).get(reverse("misses")).content.decode()
    assert "AWS eu-west-1 outage" not in theirs


def test_the_ticket_page_shows_the_periods_that_paused_its_clock(client, customer, other_customer, misses):
    page = logged_in(client, customer).get(reverse("ticket_detail", args=[misses["excused"].pk]))

    html = page.content.decode()
    assert page.status_code == 200
    assert "Exclusion periods that paused this clock" in html and "AWS eu-west-1 outage" in html
    untouched = logged_in(client, customer).get(reverse("ticket_detail", args=[misses["counted"].pk]))
    assert "Exclusion periods that paused this clock" not in untouched.content.decode()
    other = logged_in(client, other_customer).get(reverse("ticket_detail", args=[misses["excused"].pk]))
    assert other.status_code == 404


# --- exclusion periods ---------------------------------------------------------------------


@pytest.mark.parametrize(("role", "status"), [("customer", 403), ("engineer", 403), ("billing_admin", 200)])
def test_exclusions_page_is_for_billing_admins(request, client, role, status):
    response = logged_in(client, request.getfixturevalue(role)).get(reverse("exclusions"))

    assert response.status_code == status


def test_exclusions_page_needs_a_login(client, db):
    assert client.get(reverse("exclusions")).status_code == 302


def test_the_list_says_how_many_misses_each_period_excludes(client, billing_admin, misses):
    html = logged_in(client, billing_admin).get(reverse("exclusions")).content.decode()

    assert "Cloud provider failure · AWS" in html
    assert '<td data-label="Misses excluded">1</td>' in html
    assert "Created by" in html and "Cancel…" in html
    assert 'type="datetime-local"' in html


def _form(**overrides) -> dict:
    data = {
        "kind": "force_majeure",
        "starts_at": "2026-03-10T05:00",
        "ends_at": "2026-03-10T07:00",
        "provider": "",
        "provider_sla_url": "",
        "note": "Flood in the data centre",
        "account": "",
    }
    data.update(overrides)
    return data


def test_a_period_is_created_in_the_viewers_time_zone(client, billing_admin, customer, misses):
    billing_admin.timezone = "America/New_York"
    billing_admin.save()
    client = logged_in(client, billing_admin)

    response = client.post(
        reverse("exclusions"),
        _form(starts_at="2026-03-10T06:00", ends_at="2026-03-10T08:00", account=customer.account_id),
    )

    assert response.status_code == 302 and response["Location"] == reverse("exclusions")
    period = ExclusionPeriod.objects.get(kind="force_majeure")
    assert period.starts_at == T0 and period.ends_at == T0 + 2 * H  # New York is on EDT (UTC-4) by 10 March
    assert period.account == customer.account and period.created_by == billing_admin
    # Never answered: the pause moves its deadline by the two hours, and it still counts.
    miss = Miss.objects.get(ticket=misses["counted"])
    assert (miss.counted, miss.deadline, miss.excused_seconds) == (True, T0 + 2 * H + 30 * MIN, 7200)
    page = client.get(reverse("exclusions")).content.decode()
    assert "Force majeure recorded" in page


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"ends_at": "2026-03-10T04:00"}, "ends_at", "Must be after the start."),
        ({"kind": "cloud_provider"}, "provider", "Name the cloud provider"),
        ({"starts_at": "yesterday"}, "starts_at", "Enter a valid date/time."),
        ({"starts_at": ""}, "starts_at", "This field is required."),
        ({"kind": "alien_invasion"}, "kind", "Select a valid choice."),
        ({"note": "x" * 2001}, "note", "at most 2000 characters"),
        ({"provider_sla_url": "javascript:alert(1)"}, "provider_sla_url", "Enter a valid URL."),
        ({"starts_at": "9999-01-01T00:00", "ends_at": "9999-01-02T00:00"}, "starts_at", "Out of range"),
        ({"account": "999999"}, "account", "Select a valid choice."),
        ({"kind": "scheduled_maintenance"}, "starts_at", "agreed before it starts"),
        ({"note": ""}, "note", "needs a note"),
    ],
)
def test_bad_input_shows_the_error_next_to_the_field_and_writes_nothing(
    client, billing_admin, overrides, field, message
):
    response = logged_in(client, billing_admin).post(reverse("exclusions"), _form(**overrides))

    assert response.status_code == 400
    html = response.content.decode()
    error_block = html.split(f'id="id_{field}_error"', 1)[1].split("</ul>", 1)[0]
    assert message in error_block
    assert "Please correct the highlighted field" in html
    assert not ExclusionPeriod.objects.exists()


def test_html_in_a_note_is_escaped_on_the_page(client, billing_admin):
    client = logged_in(client, billing_admin)

    client.post(reverse("exclusions"), _form(note="<script>alert(1)</script>"))

    assert ExclusionPeriod.objects.get().note == "<script>alert(1)</script>"
    html = client.get(reverse("exclusions")).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html


def test_cancel_asks_for_a_reason_then_judges_the_misses_again(client, billing_admin, misses):
    client = logged_in(client, billing_admin)
    period = ExclusionPeriod.objects.get()
    url = reverse("exclusion_cancel", args=[period.pk])

    confirm = client.get(url)
    assert confirm.status_code == 200
    assert "Cancel this exclusion period?" in confirm.content.decode()

    refused = client.post(url, {"reason": ""})
    assert refused.status_code == 400 and "This field is required." in refused.content.decode()
    assert not ExclusionPeriod.objects.get().cancelled

    response = client.post(url, {"reason": "AWS says the region was fine"})

    assert response.status_code == 302 and response["Location"] == reverse("exclusions")
    period.refresh_from_db()
    assert period.cancelled and period.cancel_reason == "AWS says the region was fine"
    assert Miss.objects.get(ticket=misses["excused"]).counted is True
    page = client.get(reverse("exclusions")).content.decode()
    assert "The clocks it paused are judged again" in page and "AWS says the region was fine" in page
    assert "Cancelled by" in page

    again = client.post(url, {"reason": "Twice"})
    assert again.status_code == 400 and "cancelled already" in again.content.decode()


@pytest.mark.parametrize("role", ["customer", "engineer"])
def test_other_roles_cannot_create_or_cancel(request, client, role, billing_admin):
    period = exclusion_create(
        created_by=billing_admin, kind="force_majeure", starts_at=T0, ends_at=T0 + H, note="Flood"
    )
    client = logged_in(client, request.getfixturevalue(role))

    assert client.post(reverse("exclusions"), _form()).status_code == 403
    assert client.get(reverse("exclusion_cancel", args=[period.pk])).status_code == 403
    assert client.post(reverse("exclusion_cancel", args=[period.pk]), {"reason": "x"}).status_code == 403
    assert list(ExclusionPeriod.objects.values_list("pk", "cancelled_at")) == [(period.pk, None)]


def test_cancelling_an_unknown_period_is_a_404(client, billing_admin):
    response = logged_in(client, billing_admin).post(
        reverse("exclusion_cancel", args=[999999]), {"reason": "x"}
    )

    assert response.status_code == 404


def test_cancel_is_not_a_get_side_effect(client, billing_admin, misses):
    client = logged_in(client, billing_admin)
    period = ExclusionPeriod.objects.get()

    client.get(reverse("exclusion_cancel", args=[period.pk]))

    assert not ExclusionPeriod.objects.get(pk=period.pk).cancelled


# --- the report --------------------------------------------------------------------------------


def test_report_defaults_to_the_current_month(client, customer):
    response = logged_in(client, customer).get(reverse("sla_report"))

    assert response.status_code == 200
    html = response.content.decode()
    current = month_of(timezone.now())
    assert f"SLA report · {current}" in html
    assert f'value="{current}"' in html
    assert f"{reverse('sla_report_csv')}?month={current}" in html


def test_a_customer_sees_their_own_account_only(client, customer, other_customer, misses):
    html = logged_in(client, customer).get(reverse("sla_report"), {"month": "2026-03"}).content.decode()

    assert customer.account.name in html
    assert other_customer.account.name not in html
    assert "<svg" in html and "<script" not in html.split("<main", 1)[1].split("</main>", 1)[0]
    # Met: the excused ticket (answered within its paused deadline). Missed: the counted one.
    # The downgraded ticket's General clock still runs.
    assert '<td data-label="Tickets due">3</td>' in html
    assert '<td data-label="Missed">1</td>' in html
    assert "50.00%" in html


@pytest.mark.parametrize("role", ["engineer", "billing_admin"])
def test_staff_see_every_account_with_a_bar_each(request, client, role, customer, other_customer, misses):
    html = (
        logged_in(client, request.getfixturevalue(role))
        .get(reverse("sla_report"), {"month": "2026-03"})
        .content.decode()
    )

    assert customer.account.name in html and other_customer.account.name in html
    assert html.count('fill="#4338ca"') == 2  # one bar per account with something due
    assert "0.00%" in html


def test_a_bad_month_is_a_400_on_the_page(client, customer):
    response = logged_in(client, customer).get(reverse("sla_report"), {"month": "March"})

    assert response.status_code == 400
    assert "That month is not valid" in response.content.decode()


def test_report_needs_a_login(client, db):
    assert client.get(reverse("sla_report")).status_code == 302


# --- navigation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "links", "hidden"),
    [
        ("customer", ["misses", "sla_report"], ["exclusions"]),
        ("engineer", ["misses", "sla_report"], ["exclusions"]),
        ("billing_admin", ["misses", "sla_report", "exclusions"], []),
    ],
)
def test_the_nav_links_the_pages_each_role_may_open(request, client, role, links, hidden):
    html = logged_in(client, request.getfixturevalue(role)).get(reverse("misses")).content.decode()
    nav = html.split('<nav class="nav"', 1)[1].split("</nav>", 1)[0]

    for name in links:
        assert f'href="{reverse(name)}"' in nav
    for name in hidden:
        assert f'href="{reverse(name)}"' not in nav


def test_a_customer_of_another_account_never_sees_these_misses(client, misses, plans):
    stranger = CustomerFactory(account__plan=plans["standard"])

    html = logged_in(client, stranger).get(reverse("misses")).content.decode()

    assert "No misses" in html and "Checkout is down" not in html
