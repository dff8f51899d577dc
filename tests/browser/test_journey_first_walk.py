"""What a first walk through Pledge found, checked in a real browser: menus at laptop and phone widths,
the SLA report's chart labels, plain words for customers on the uptime and chat pages."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from helpdesk.accounts.models import Account, User
from helpdesk.kit.roles import Role
from sla.terms.models import Plan
from sla.terms.seeds import seed_plans
from sla.uptime.models import Downtime
from sla.uptime.services.items import item_create
from tests.factories import PASSWORD, make_ticket

pytestmark = pytest.mark.browser


@pytest.fixture
def cast(transactional_db):
    seed_plans()
    account = Account.objects.create(
        name="Globex Cloud", plan=Plan.objects.get(code="advanced"), monthly_fee="1000"
    )
    Account.objects.create(name="Quiet Ltd", plan=Plan.objects.get(code="standard"), monthly_fee="500")
    customer = User.objects.create_user(
        username="customer", password=PASSWORD, role=Role.CUSTOMER, account=account, first_name="Casey"
    )
    User.objects.create_user(
        username="engineer", password=PASSWORD, role=Role.ENGINEER, first_name="Erin", last_name="Engineer"
    )
    # A superuser billing admin has the longest menu of all.
    User.objects.create_user(
        username="admin",
        password=PASSWORD,
        role=Role.BILLING_ADMIN,
        first_name="Ada",
        last_name="Administrator",
        is_superuser=True,
        is_staff=True,
    )
    return {"account": account, "customer": customer}


def box(locator) -> dict:
    found = locator.bounding_box()
    assert found is not None, f"{locator} is not shown"
    return found


def overlap(a: dict, b: dict) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


def assert_menu_clear(page, width: int) -> None:
    """Every main-menu link is on screen, whole, and clear of the account menu and of each other."""
    account = box(page.locator(".account-menu"))
    links = page.get_by_role("navigation", name="Main").get_by_role("link")
    boxes = [box(links.nth(n)) for n in range(links.count())]
    assert len(boxes) >= 5
    for n, link in enumerate(boxes):
        assert link["x"] >= 0 and link["x"] + link["width"] <= width, (n, link)
        assert not overlap(link, account), (n, link, account)
        for other in boxes[n + 1 :]:
            assert not overlap(link, other)
    expect(links.first).to_be_visible()
    expect(links.last).to_be_visible()


@pytest.mark.parametrize("username", ["admin", "engineer", "customer"])
def test_at_1024_px_the_menu_and_the_account_menu_do_not_overlap(
    live_server, new_page, log_in, cast, username
):
    page = new_page(1024, 768)
    log_in(page, username, PASSWORD)

    assert_menu_clear(page, 1024)
    expect(page.locator("[data-nav-toggle]")).to_be_hidden()


@pytest.mark.parametrize("username", ["admin", "customer"])
def test_at_390_px_the_menu_opens_as_a_whole_list(live_server, new_page, log_in, cast, username):
    page = new_page(390, 844)
    log_in(page, username, PASSWORD)
    nav = page.get_by_role("navigation", name="Main")

    # Folded behind a button that fits beside the account menu
    toggle = page.get_by_role("button", name="Menu")
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(nav).to_be_hidden()
    assert not overlap(box(toggle), box(page.locator(".account-menu")))
    assert box(toggle)["x"] + box(toggle)["width"] <= 390

    # Opened: every link shown in full, one under another, nothing cut off at the edge
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    assert_menu_clear(page, 390)
    links = nav.get_by_role("link")
    tops = [box(links.nth(n))["y"] for n in range(links.count())]
    assert tops == sorted(tops) and len(set(tops)) == len(tops)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # And it still works: a link takes the user there
    nav.get_by_role("link", name="SLA report").click()
    expect(page).to_have_url(f"{live_server.url}/reports/sla/")


def test_the_sla_report_chart_labels_are_not_cut(live_server, new_page, log_in, cast):
    make_ticket(customer=cast["customer"])
    page = new_page(1280, 800)
    log_in(page, "engineer", PASSWORD)
    page.goto(f"{live_server.url}/reports/sla/")

    label = page.locator("svg [data-nothing-due]").first
    expect(label).to_have_text("nothing due this month")
    chart = page.locator("svg[role=img]")
    inside = page.evaluate(
        """([svg, text]) => {
            const view = svg.viewBox.baseVal, b = text.getBBox();
            return b.x >= 0 && b.x + b.width <= view.width;
        }""",
        [chart.element_handle(), label.element_handle()],
    )
    assert inside, "the label runs past the chart's edge"


def test_a_customer_reads_plain_words_for_a_probe_failure(live_server, new_page, log_in, cast):
    admin = User.objects.get(username="admin")
    item = item_create(
        created_by=admin,
        account=cast["account"],
        name="Web shop",
        probe_kind="tcp",
        probe_host="127.0.0.1",
        probe_port=9,
    )
    now = timezone.now()
    Downtime.objects.create(
        item=item,
        account=cast["account"],
        source="probe",
        created_at=now,
        starts_at=now - dt.timedelta(minutes=30),
        ends_at=now - dt.timedelta(minutes=10),
        note="Probe: ConnectionRefusedError: [Errno 111] Connection refused",
    )
    customer = new_page()
    log_in(customer, "customer", PASSWORD)
    customer.goto(f"{live_server.url}/uptime/items/{item.pk}/")

    expect(customer.locator("[data-probe-note]")).to_have_text("Our monitoring could not reach this service.")
    expect(customer.locator("main")).not_to_contain_text("ConnectionRefusedError")

    engineer = new_page()
    log_in(engineer, "engineer", PASSWORD)
    engineer.goto(f"{live_server.url}/uptime/items/{item.pk}/")
    expect(engineer.locator("main")).to_contain_text("ConnectionRefusedError")
