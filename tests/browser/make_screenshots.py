"""Make the README's queue screenshot (and a few more for reviewing the design).

    .venv/bin/python tests/browser/make_screenshots.py [--extra-dir /tmp/pledge-shots]

Self-contained: a throwaway SQLite database in a temporary directory, the demo seed plus a
handful of realistic tickets (at risk, missed, started, waiting), a local server on a free
port, and Debian's headless Chromium. Nothing outside this machine is contacted.
"""

import argparse
import datetime as dt
import os
import re
import socket
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README_SHOT = ROOT / "helpdesk" / "static" / "pledge" / "readme" / "queue.png"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
DEMO_PASSWORD = "pledge-demo"


def configure(data_dir: Path) -> None:
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "helpdesk.settings",
            "PLEDGE_DATA_DIR": str(data_dir),
            "DATABASE_URL": f"sqlite:///{data_dir / 'screens.sqlite3'}",
            "DEBUG": "false",
            "SECURE_SSL_REDIRECT": "false",
            "SESSION_COOKIE_SECURE": "false",
            "CSRF_COOKIE_SECURE": "false",
            "LOG_LEVEL": "WARNING",
            "EMAIL_URL": "memorymail://",
            "DJANGO_ALLOW_ASYNC_UNSAFE": "true",
        }
    )
    sys.path.insert(0, str(ROOT))
    import logging

    import django

    django.setup()
    # The 403 screenshot is deliberate: keep its "Forbidden" traceback out of the output.
    logging.getLogger("django.request").setLevel(logging.ERROR)


def seed() -> dict:
    """The demo logins plus tickets in every state the queue can show."""
    from django.core.management import call_command
    from django.utils import timezone

    from helpdesk.accounts.models import User
    from helpdesk.tickets.services.messages import message_create
    from helpdesk.tickets.services.tickets import ticket_create, ticket_start_work, ticket_transition

    call_command("migrate", verbosity=0)
    call_command("seed_demo", password=DEMO_PASSWORD, stdout=open(os.devnull, "w"))  # noqa: SIM115
    users = {u.username: u for u in User.objects.select_related("account")}
    engineer = users["engineer"]
    now = timezone.now()

    def ticket(login, minutes_ago, subject, description, priority="general", service=""):
        customer = users[login]
        return ticket_create(
            account=customer.account,
            created_by=customer,
            subject=subject,
            description=description,
            priority=priority,
            service_unavailable=priority == "high",
            affected_service=service,
            now=now - dt.timedelta(minutes=minutes_ago),
        )

    ticket(
        "customer",
        41,
        "Checkout returns 502",
        "Every order in the EU store fails at payment with a 502 since 09:02.",
        "high",
        "EU web shop",
    )
    at_risk = ticket(
        "customer",
        25,
        "Login times out",
        "The login page spins for 60 seconds and then shows a gateway timeout.\n"
        "Our status page is red for all users.",
        "high",
        "Customer login",
    )
    ticket(
        "premium",
        8,
        "Card captures fail",
        "Card captures fail with 503 since the 10:40 deploy.",
        "high",
        "Payments API",
    )
    ticket(
        "standard",
        70,
        "Outbound mail rejected",
        "Our relay rejects all outbound mail with 554.",
        "high",
        "Mail relay",
    )
    ticket("premium", 35, "Webhooks sent twice", "Order webhooks arrive two or three times after a retry.")
    started = ticket(
        "customer", 95, "Invoice PDF lacks VAT", "The PDF export of invoices leaves the VAT field empty."
    )
    ticket_start_work(ticket=started, actor=engineer, now=now - dt.timedelta(minutes=60))
    waiting = ticket(
        "standard",
        300,
        "Backup checksum warning",
        "Last night's backup log says 'checksum mismatch on chunk 14'.",
    )
    ticket_start_work(ticket=waiting, actor=engineer, now=now - dt.timedelta(minutes=240))
    ticket_transition(ticket=waiting, actor=engineer, to_status="waiting_on_customer")

    message_create(
        ticket=at_risk,
        author=users["customer"],
        body="Still down. Attaching the load balancer log in a minute.",
        now=now - dt.timedelta(minutes=20),
    )
    message_create(
        ticket=at_risk,
        author=engineer,
        public=False,
        body="LB health checks flap since the 10:40 deploy; paging the on-call SRE.",
        now=now - dt.timedelta(minutes=3),
    )
    return {"at_risk": at_risk}


def serve() -> str:
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadedWSGIServer(("127.0.0.1", port), QuietHandler, allow_reuse_address=True)
    server.set_app(StaticFilesHandler(WSGIHandler()))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{port}"


def shoot(base: str, tickets: dict, extra_dir: Path | None) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)

        def session(username, width=1280, height=800):
            context = browser.new_context(
                viewport={"width": width, "height": height},
                timezone_id="UTC",
                device_scale_factor=1,
            )
            page = context.new_page()
            page.goto(f"{base}/login/")
            page.get_by_label("Username").fill(username)
            page.get_by_label("Password").fill(DEMO_PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_load_state("networkidle")
            return page

        engineer = session("engineer")
        engineer.wait_for_timeout(1200)  # let the countdowns tick once
        README_SHOT.parent.mkdir(parents=True, exist_ok=True)
        engineer.screenshot(path=str(README_SHOT))
        print(f"wrote {README_SHOT.relative_to(ROOT)}")

        if extra_dir:
            extra_dir.mkdir(parents=True, exist_ok=True)
            shots = []
            pk = tickets["at_risk"].pk
            engineer.goto(f"{base}/tickets/{pk}/")
            shots.append((engineer, "ticket-staff.png", True))
            customer = session("customer")
            shots.append((customer, "portal.png", False))
            customer_ticket = session("customer")
            customer_ticket.goto(f"{base}/tickets/{pk}/")
            shots.append((customer_ticket, "ticket-customer.png", True))
            new = session("customer")
            new.goto(f"{base}/portal/tickets/new/")
            new.get_by_role("radio", name=re.compile(r"^High")).check()
            new.get_by_role("button", name="Submit ticket").click()
            shots.append((new, "ticket-new-errors.png", True))
            phone_queue = session("engineer", 375, 812)
            shots.append((phone_queue, "queue-375.png", False))
            phone_ticket = session("customer", 375, 812)
            phone_ticket.goto(f"{base}/tickets/{pk}/")
            shots.append((phone_ticket, "ticket-375.png", True))
            anonymous = browser.new_context(viewport={"width": 1280, "height": 720}).new_page()
            anonymous.goto(f"{base}/portal/")
            shots.append((anonymous, "login.png", False))
            customer_queue = session("customer")
            customer_queue.goto(f"{base}/queue/")
            shots.append((customer_queue, "403.png", False))
            phone_new = session("customer", 375, 812)
            phone_new.goto(f"{base}/portal/tickets/new/")
            shots.append((phone_new, "ticket-new-375.png", True))
            wide = session("engineer", 1440, 900)
            shots.append((wide, "queue-1440.png", False))
            for page, name, full in shots:
                page.wait_for_timeout(300)
                page.screenshot(path=str(extra_dir / name), full_page=full)
                print(f"wrote {extra_dir / name}")
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--extra-dir", type=Path, help="Also save portal and ticket screenshots here.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pledge-screens-") as tmp:
        configure(Path(tmp))
        tickets = seed()
        shoot(serve(), tickets, args.extra_dir)


if __name__ == "__main__":
    main()
