"""The uptime probe against real servers this test starts on loopback, and the downtime it records.

A healthy HTTP server, one that answers 500, one that accepts connections and never answers
(past the timeout), an open TCP port and a closed one. Nothing leaves this machine: targets
outside the allowed networks are refused before any packet is sent.
"""

import datetime as dt
import http.server
import socket
import threading
import time

import pytest
from django.db.models import Count

from helpdesk.accounts.models import ItemState, MonitoredItem
from sla.uptime import probes
from sla.uptime.models import Downtime, DowntimeEvent
from sla.uptime.services import items as uptime_items
from sla.uptime.services.items import item_create
from sla.uptime.services.probing import probe_round
from tests.factories import AccountFactory, BillingAdminFactory, CustomerFactory
from tests.workers import Processes

TIMEOUT = 1.0
LOOPBACK = probes.parse_networks(["127.0.0.0/8", "::1/128"])
T0 = dt.datetime(2026, 3, 10, 10, 0, 20, tzinfo=dt.UTC)
MIN = dt.timedelta(minutes=1)


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - the stdlib's name
        status = self.server.status
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


class HttpServer:
    """A loopback HTTP server answering `status` (switchable while it runs)."""

    def __init__(self, status: int = 200):
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.server.status = status
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/health?probe=1"

    def answer(self, status: int) -> None:
        self.server.status = status

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class HangingServer:
    """Accepts TCP connections (the kernel does, from the backlog) and never says a word."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(256)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/"

    def close(self) -> None:
        self.sock.close()


def closed_port() -> int:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


@pytest.fixture
def servers():
    healthy, failing, hanging = HttpServer(200), HttpServer(500), HangingServer()
    yield {"healthy": healthy, "failing": failing, "hanging": hanging}
    for server in (healthy, failing, hanging):
        server.close()


@pytest.fixture(autouse=True)
def _probe_settings(settings):
    settings.UPTIME_PROBE_TIMEOUT = TIMEOUT
    settings.UPTIME_PROBE_ROUND_SECONDS = 10
    settings.UPTIME_PROBE_CONCURRENCY = 50
    settings.UPTIME_FAILURES_TO_OPEN = 2
    settings.UPTIME_PROBE_SECONDS = 60
    settings.UPTIME_PROBE_ALLOWED_NETWORKS = ["127.0.0.0/8", "::1/128"]


# --- the round, without the database ----------------------------------------------------------------


def test_one_round_sees_up_failing_hanging_and_tcp_targets_within_its_bound(servers):
    targets = [
        probes.Target(1, "http", url=servers["healthy"].url),
        probes.Target(2, "http", url=servers["failing"].url),
        probes.Target(3, "http", url=servers["hanging"].url),
        probes.Target(4, "tcp", host="127.0.0.1", port=servers["healthy"].port),
        probes.Target(5, "tcp", host="127.0.0.1", port=closed_port()),
        probes.Target(6, "http", url=servers["failing"].url, expected_status=500),
        probes.Target(7, "http", url=f"http://localhost:{servers['healthy'].port}/"),
    ]
    began = time.monotonic()

    outcomes = {
        o.item_id: o
        for o in probes.probe_all(targets, timeout=TIMEOUT, concurrency=10, deadline=10, networks=LOOPBACK)
    }

    took = time.monotonic() - began
    assert took < TIMEOUT + 1.0, f"the round took {took:.2f}s"
    assert outcomes[1].ok and outcomes[1].detail == "HTTP 200"
    assert not outcomes[2].ok and outcomes[2].detail == "HTTP 500, expected 200"
    assert not outcomes[3].ok and "no answer within 1 s" in outcomes[3].detail
    assert TIMEOUT - 0.05 <= outcomes[3].seconds < TIMEOUT + 0.5
    assert outcomes[4].ok and outcomes[4].detail == "connected"
    assert not outcomes[5].ok and "ConnectionRefused" in outcomes[5].detail
    assert outcomes[6].ok  # a 500 was what this one expects
    assert outcomes[7].ok  # localhost resolves on this machine, to loopback


def test_a_round_of_many_hanging_targets_stops_at_its_deadline_and_reports_the_rest_unchecked(servers):
    hanging = servers["hanging"].url
    targets = [probes.Target(i, "http", url=hanging) for i in range(40)]
    began = time.monotonic()

    outcomes = probes.probe_all(targets, timeout=TIMEOUT, concurrency=4, deadline=2.5, networks=LOOPBACK)

    took = time.monotonic() - began
    assert took < 3.5, f"the round took {took:.2f}s"
    assert len(outcomes) == 40
    failed = [o for o in outcomes if o.ok is False]
    unchecked = [o for o in outcomes if o.ok is None]
    assert 4 <= len(failed) <= 12  # about concurrency × deadline / timeout
    assert len(failed) + len(unchecked) == 40


@pytest.mark.parametrize(
    "target",
    [
        probes.Target(1, "http", url="http://10.1.2.3/"),
        probes.Target(2, "http", url="http://169.254.169.254/latest/meta-data/"),
        probes.Target(3, "tcp", host="192.168.0.1", port=22),
        probes.Target(4, "tcp", host="8.8.8.8", port=53),
        probes.Target(5, "http", url="http://[::ffff:10.0.0.1]/"),
    ],
)
def test_a_target_outside_the_allowed_networks_is_refused_without_a_packet(target):
    began = time.monotonic()

    (outcome,) = probes.probe_all([target], timeout=5, concurrency=1, deadline=5, networks=LOOPBACK)

    assert outcome.ok is False and outcome.detail.startswith("refused:")
    assert time.monotonic() - began < 0.5


def test_with_no_networks_configured_only_public_addresses_are_allowed():
    public = probes.parse_networks([])

    assert probes.address_allowed("93.184.216.34", public)
    for address in (
        "127.0.0.1",
        "::1",
        "10.0.0.1",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "fd00::1",
        "fe80::1",
        "0.0.0.0",  # noqa: S104
        "::ffff:127.0.0.1",
        "224.0.0.1",
    ):
        assert not probes.address_allowed(address, public), address


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("ftp://127.0.0.1/", "only http:// and https://"),
        ("file:///etc/passwd", "only http:// and https://"),
        ("gopher://127.0.0.1:70/", "only http:// and https://"),
        ("http://user:secret@127.0.0.1/", "credentials"),
        ("http://10.0.0.1/", "may not reach 10.0.0.1"),
        ("http://example.com/", "give an IP address or localhost"),
        ("http://127.0.0.1:99999/", "Port out of range"),
        ("http://127.0.0.1/a b", "no spaces"),
        ("http://127.0.0.1/\r\nHost: evil", "no spaces"),
        ("http:///nohost", "names no host"),
        ("http://127.0.0.1/" + "a" * 600, "at most 500"),
    ],
)
def test_probe_urls_are_checked_before_they_are_stored(url, problem):
    with pytest.raises(probes.TargetNotAllowed) as refused:
        probes.check_http_target(url, LOOPBACK)

    assert problem in str(refused.value)


# --- rounds that record downtime ------------------------------------------------------------------


def _item(account, admin, name, **probe):
    return item_create(created_by=admin, account=account, name=name, **probe)


@pytest.fixture
def watched(db, servers):
    admin = BillingAdminFactory()
    account = AccountFactory()
    CustomerFactory(account=account)
    items = {
        "healthy": _item(account, admin, "Shop", probe_kind="http", probe_url=servers["healthy"].url),
        "failing": _item(account, admin, "API", probe_kind="http", probe_url=servers["failing"].url),
        "hanging": _item(account, admin, "Admin", probe_kind="http", probe_url=servers["hanging"].url),
        "tcp_up": _item(
            account,
            admin,
            "Database",
            probe_kind="tcp",
            probe_host="127.0.0.1",
            probe_port=servers["healthy"].port,
        ),
        "tcp_down": _item(
            account, admin, "Mail", probe_kind="tcp", probe_host="127.0.0.1", probe_port=closed_port()
        ),
        "unprobed": _item(account, admin, "Office"),
    }
    return items


def _round(now):
    began = time.monotonic()
    summary = probe_round(now=now)
    took = time.monotonic() - began
    assert took < TIMEOUT + 2.0, f"a round took {took:.2f}s"
    return summary


def _open():
    return {d.item.name: d for d in Downtime.objects.filter(ends_at__isnull=True).select_related("item")}


def test_two_failed_rounds_open_a_downtime_from_the_first_failures_minute(watched):
    first = _round(T0)

    assert (first.checked, first.up, first.failed, first.opened) == (5, 2, 3, 0)
    assert not Downtime.objects.exists()  # one failure is not yet downtime
    assert MonitoredItem.objects.get(pk=watched["failing"].pk).consecutive_failures == 1

    second = _round(T0 + MIN)

    assert second.opened == 3
    opened = _open()
    assert set(opened) == {"API", "Admin", "Mail"}
    for downtime in opened.values():
        assert downtime.starts_at == dt.datetime(2026, 3, 10, 10, 0, tzinfo=dt.UTC)  # the first failure
        assert downtime.source == "probe" and downtime.created_by is None
    assert "HTTP 500" in opened["API"].note and "no answer" in opened["Admin"].note
    states = dict(MonitoredItem.objects.values_list("name", "state"))
    assert states == {
        "Shop": ItemState.UP,
        "API": ItemState.DOWN,
        "Admin": ItemState.DOWN,
        "Database": ItemState.UP,
        "Mail": ItemState.DOWN,
        "Office": ItemState.UNKNOWN,
    }
    assert DowntimeEvent.objects.filter(code="opened").count() == 3


def test_a_recovery_closes_the_downtime_at_its_minute_and_a_later_failure_opens_a_new_one(watched, servers):
    _round(T0)
    _round(T0 + MIN)
    servers["failing"].answer(200)

    third = _round(T0 + 2 * MIN + dt.timedelta(seconds=15))

    assert third.closed == 1
    api = Downtime.objects.get(item=watched["failing"])
    assert api.ends_at == dt.datetime(2026, 3, 10, 10, 2, tzinfo=dt.UTC)
    assert api.events.values_list("code", flat=True).count() == 2
    assert set(_open()) == {"Admin", "Mail"}  # still down, still open, never doubled

    servers["failing"].answer(503)
    _round(T0 + 3 * MIN)
    _round(T0 + 4 * MIN)

    api_records = Downtime.objects.filter(item=watched["failing"]).order_by("starts_at")
    assert [(d.starts_at.minute, d.ends_at and d.ends_at.minute) for d in api_records] == [(0, 2), (3, None)]
    per_item = Downtime.objects.filter(ends_at__isnull=True).values("item").annotate(n=Count("pk"))
    assert {row["n"] for row in per_item} == {1}


def test_a_round_in_the_same_interval_probes_nothing_twice(watched):
    _round(T0)

    again = probe_round(now=T0 + dt.timedelta(seconds=10))

    assert again.checked == 0
    assert MonitoredItem.objects.get(pk=watched["failing"].pk).consecutive_failures == 1


def test_items_not_checked_in_time_keep_their_count(watched, settings):
    settings.UPTIME_PROBE_ROUND_SECONDS = 0.3  # the hanging one cannot be finished in time

    summary = probe_round(now=T0)

    assert summary.not_checked >= 1
    hanging = MonitoredItem.objects.get(pk=watched["hanging"].pk)
    assert hanging.consecutive_failures == 0 and hanging.last_probed_at is None


def test_a_record_that_reaches_the_database_unchecked_is_still_never_probed(watched, servers):
    MonitoredItem.objects.filter(pk=watched["healthy"].pk).update(probe_url="http://10.9.9.9/")

    _round(T0)

    shop = MonitoredItem.objects.get(pk=watched["healthy"].pk)
    assert shop.last_probe_ok is False and shop.last_probe_detail.startswith("refused:")


def test_changing_the_probe_ends_the_open_record_and_starts_counting_afresh(watched, servers):
    _round(T0)
    _round(T0 + MIN)
    admin = BillingAdminFactory()

    uptime_items.item_update(
        item=watched["failing"], actor=admin, probe_url=servers["healthy"].url, now=T0 + 5 * MIN
    )

    api = MonitoredItem.objects.get(pk=watched["failing"].pk)
    assert (api.state, api.consecutive_failures) == (ItemState.UNKNOWN, 0)
    record = Downtime.objects.get(item=api)
    assert record.ends_at == T0.replace(second=0) + 5 * MIN


# --- with a real worker and beat --------------------------------------------------------------------


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_beat_probes_every_interval_and_a_real_worker_opens_and_closes_downtime(tmp_path, servers):
    admin = BillingAdminFactory()
    account = AccountFactory()
    _item(account, admin, "Shop", probe_kind="http", probe_url=servers["healthy"].url)
    failing = _item(account, admin, "API", probe_kind="http", probe_url=servers["failing"].url)
    _item(account, admin, "Admin", probe_kind="http", probe_url=servers["hanging"].url)
    processes = Processes(
        tmp_path,
        env={
            "UPTIME_PROBE_SECONDS": "1.5",
            "UPTIME_PROBE_TIMEOUT": "1",
            "UPTIME_FAILURES_TO_OPEN": "2",
            "UPTIME_PROBE_ALLOWED_NETWORKS": "127.0.0.0/8,::1/128",
        },
    )
    try:
        processes.start_worker(purge=True)
        processes.start_beat()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and Downtime.objects.filter(ends_at__isnull=True).count() < 2:
            time.sleep(0.3)
        opened = set(Downtime.objects.values_list("item__name", flat=True))
        assert opened == {"API", "Admin"}, processes.logs()

        servers["failing"].answer(200)
        deadline = time.monotonic() + 20
        closed = Downtime.objects.filter(item=failing, ends_at__isnull=False)
        while time.monotonic() < deadline and not closed.exists():
            time.sleep(0.3)
        assert Downtime.objects.get(item=failing).ends_at is not None, processes.logs()
        assert MonitoredItem.objects.get(name="Shop").last_probe_ok is True
    finally:
        processes.stop()
