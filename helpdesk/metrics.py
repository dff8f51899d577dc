"""Metrics for operators at /metrics: django-prometheus's request and database figures, plus Pledge's own.

Pledge's gauges are read from the database when Prometheus scrapes (the database is the record):
how long ago the miss sweep ran, misses recorded (counted or not), open tickets by state, the
live chat queue and inbound mail that failed to ingest (held for review, refused, rejected).
/metrics answers only this machine (loopback), or a scraper sending
`Authorization: Bearer <METRICS_TOKEN>` when that is set.
"""

import hmac
import ipaddress

from django.conf import settings
from django.db.models import Count
from django.http import HttpResponseForbidden
from django.utils import timezone
from django_prometheus.exports import ExportToDjangoView
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY, Collector

from helpdesk.chat.models import ChatSession, ChatStatus
from helpdesk.kit.logins import client_address
from helpdesk.mailbox.selectors import ingest_failure_counts
from helpdesk.tickets.models import OPEN_STATUSES, Ticket
from sla.clocks.models import Miss, SweepHeartbeat


def _counts(queryset, field: str) -> dict:
    return dict(queryset.order_by().values(field).annotate(n=Count("pk")).values_list(field, "n"))


class PledgeCollector(Collector):
    def describe(self):
        """The names, without a query: the registry asks for them when the URL map is imported."""
        yield GaugeMetricFamily("pledge_sweep_lag_seconds", "")
        yield GaugeMetricFamily("pledge_misses_recorded", "", labels=["counted"])
        yield GaugeMetricFamily("pledge_open_tickets", "", labels=["state"])
        yield GaugeMetricFamily("pledge_chat_queue_length", "")
        yield GaugeMetricFamily("pledge_mail_ingest_failures", "", labels=["outcome"])

    def collect(self):
        beat = SweepHeartbeat.objects.filter(pk=1).values_list("at", flat=True).first()
        lag = GaugeMetricFamily("pledge_sweep_lag_seconds", "Seconds since the miss sweep ran (-1: never).")
        lag.add_metric([], (timezone.now() - beat).total_seconds() if beat else -1)
        yield lag

        misses = GaugeMetricFamily(
            "pledge_misses_recorded", "Misses recorded, by counted.", labels=["counted"]
        )
        by_counted = _counts(Miss.objects.all(), "counted")
        for counted in (True, False):
            misses.add_metric([str(counted).lower()], by_counted.get(counted, 0))
        yield misses

        tickets = GaugeMetricFamily("pledge_open_tickets", "Open tickets by state.", labels=["state"])
        by_state = _counts(Ticket.objects.filter(status__in=OPEN_STATUSES), "status")
        for state in OPEN_STATUSES:
            tickets.add_metric([state.value], by_state.get(state.value, 0))
        yield tickets

        queue = GaugeMetricFamily("pledge_chat_queue_length", "Chat requests waiting for an engineer.")
        queue.add_metric([], ChatSession.objects.filter(status=ChatStatus.QUEUED).count())
        yield queue

        failures = GaugeMetricFamily(
            "pledge_mail_ingest_failures",
            "Inbound mails not ingested: held for review, refused or rejected (as recorded now).",
            labels=["outcome"],
        )
        for outcome, count in ingest_failure_counts().items():
            failures.add_metric([outcome], count)
        yield failures


_collector = PledgeCollector()
if _collector not in REGISTRY._collector_to_names:  # a reloaded URL map must not register it twice
    REGISTRY.register(_collector)


def metrics(request):
    token = settings.METRICS_TOKEN
    if token:
        sent = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(sent.encode(), token.encode()):
            return HttpResponseForbidden("Metrics need the scraper's token.")
    else:
        try:
            local = ipaddress.ip_address(client_address(request)).is_loopback
        except ValueError:
            local = False
        if not local:
            return HttpResponseForbidden("Metrics are served to this machine only (or set METRICS_TOKEN).")
    return ExportToDjangoView(request)
