"""/metrics: django-prometheus's figures and Pledge's gauges, for this machine or a scraper with the token."""

import pytest

from helpdesk.mailbox.models import InboundMail
from helpdesk.mailbox.services.ingest import mail_ingest, mail_release_held
from sla.clocks.services.heartbeat import sweep_heartbeat_record
from tests.factories import CustomerFactory
from tests.mailbox.mails import customer_mail

NO_FROM = b"To: support@pledge.test\r\nSubject: No sender\r\nMessage-ID: <nofrom@x.test>\r\n\r\nHello\r\n"


def _value(text: str, name: str) -> float:
    line = next(
        line for line in text.splitlines() if line.startswith(name + " ") or line.startswith(name + "{")
    )
    return float(line.rsplit(" ", 1)[1])


def test_pledges_gauges_are_read_from_the_database(client, ticket, high_ticket):
    sweep_heartbeat_record()

    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1")

    assert response.status_code == 200
    text = response.content.decode()
    assert 'pledge_open_tickets{state="new"} 2.0' in text
    assert 'pledge_open_tickets{state="work_started"} 0.0' in text
    assert 0 <= _value(text, "pledge_sweep_lag_seconds") < 5
    assert 'pledge_misses_recorded{counted="true"} 0.0' in text
    assert "pledge_chat_queue_length 0.0" in text
    assert 'pledge_mail_ingest_failures{outcome="held"} 0.0' in text
    assert "django_http_requests_total_by_method_total" in text


@pytest.mark.parametrize("address", ["10.0.0.9", "203.0.113.5"])
def test_metrics_refuse_other_machines(client, db, address):
    assert client.get("/metrics", REMOTE_ADDR=address).status_code == 403


def test_a_scraper_with_the_token_is_served_from_anywhere(client, db, settings):
    settings.METRICS_TOKEN = "s3cret-scrape-token"

    assert client.get("/metrics", REMOTE_ADDR="10.0.0.9").status_code == 403
    assert (
        client.get("/metrics", REMOTE_ADDR="10.0.0.9", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    )
    served = client.get("/metrics", REMOTE_ADDR="10.0.0.9", HTTP_AUTHORIZATION="Bearer s3cret-scrape-token")
    assert served.status_code == 200


def _ingest_failures(client) -> dict[str, float]:
    text = client.get("/metrics", REMOTE_ADDR="127.0.0.1").content.decode()
    prefix = 'pledge_mail_ingest_failures{outcome="'
    return {
        line[len(prefix) :].split('"', 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith(prefix)
    }


def test_mail_ingest_failures_count_the_mailbox_records_held_refused_and_rejected(
    client, settings, account, customer
):
    settings.SUPPORT_EMAIL = "support@pledge.test"
    assert _ingest_failures(client) == {"held": 0, "refused": 0, "rejected": 0}

    mail_ingest(raw=customer_mail(sender=customer.email, message_id="<fine@x.test>"))  # a ticket: no failure
    mail_ingest(raw=customer_mail(sender="new.person@customer.test", message_id="<held@x.test>"))
    mail_ingest(raw=NO_FROM)
    settings.INBOUND_UNKNOWN_SENDERS = "refuse"
    mail_ingest(raw=customer_mail(sender="stranger@elsewhere.test", message_id="<stranger@x.test>"))
    mail_ingest(raw=customer_mail(sender="stranger@elsewhere.test", message_id="<stranger@x.test>"))  # again

    assert _ingest_failures(client) == {"held": 1, "refused": 1, "rejected": 1}

    # Staff add the held mail's sender and release it: it is held no longer.
    CustomerFactory(account=account, email="new.person@customer.test")
    mail_release_held(inbound_id=InboundMail.objects.get(outcome="held").pk)
    assert _ingest_failures(client) == {"held": 0, "refused": 1, "rejected": 1}
