"""The uptime probe: is each item answering? One bounded, concurrent round, no ORM inside.

A round takes plain targets and returns one outcome per target. Every check has its own
timeout (connect, send and read the status line), at most `concurrency` run at once
(an asyncio semaphore), and the whole round has a deadline after which what is still
running is cancelled and reported as not checked (neither up nor down). Nothing loops:
one request per target, no redirects followed, no body read.

Where a probe may go is decided by the allowed networks (settings.UPTIME_PROBE_ALLOWED_NETWORKS):
every address a host name resolves to is checked, and the probe connects to the checked
address itself, so a name cannot be re-pointed between the check and the request. With no
networks configured only public unicast addresses are allowed (never loopback, private,
link-local or cloud metadata ones).
"""

from __future__ import annotations

import asyncio
import dataclasses
import ipaddress
import socket
import ssl
import time
from collections.abc import Sequence
from urllib.parse import urlsplit

USER_AGENT = "Pledge-Uptime/1"
STATUS_LINE_LIMIT = 8192
URL_MAX = 500
HOST_MAX = 253


class TargetNotAllowed(ValueError):
    """The target is malformed, or lies outside the networks probes may reach."""


@dataclasses.dataclass(frozen=True)
class Target:
    item_id: int
    kind: str  # "http" or "tcp"
    url: str = ""
    expected_status: int = 200
    host: str = ""
    port: int | None = None


@dataclasses.dataclass(frozen=True)
class Outcome:
    item_id: int
    ok: bool | None  # None: not checked (the round ran out of time)
    detail: str
    seconds: float


Networks = tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]


def parse_networks(values: Sequence[str]) -> Networks:
    return tuple(ipaddress.ip_network(value.strip(), strict=False) for value in values if value.strip())


# IPv6 prefixes that carry an IPv4 address in their last 32 bits and reach it (NAT64, RFC 6052/8215).
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address leads to (6to4, Teredo, NAT64, IPv4-compatible)."""
    found = []
    if ip.sixtofour:
        found.append(ip.sixtofour)
    if ip.teredo:
        found.extend(ip.teredo)
    if any(ip in net for net in _NAT64) or (ip in _IPV4_COMPATIBLE and int(ip) > 1):
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return found


def _one_allowed(ip, networks: Networks) -> bool:
    if networks:
        return any(ip.version == net.version and ip in net for net in networks)
    return ip.is_global and not ip.is_multicast


def address_allowed(address: str, networks: Networks) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if not _one_allowed(ip, networks):
        return False
    # An IPv6 form of a metadata or private IPv4 address (64:ff9b::a9fe:a9fe) is that address.
    embedded = _embedded_ipv4(ip) if isinstance(ip, ipaddress.IPv6Address) else []
    return all(_one_allowed(inner, networks) for inner in embedded)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _check_host(host: str, networks: Networks, *, field: str) -> str:
    host = host.strip().lower().rstrip(".")
    if not host or len(host) > HOST_MAX:
        raise TargetNotAllowed(f"{field}: give a host name or IP address.")
    if any(ch.isspace() or ch in "/\\@?#" for ch in host):
        raise TargetNotAllowed(f"{field}: {host!r} is not a host name.")
    if _is_ip(host):
        if not address_allowed(host, networks):
            raise TargetNotAllowed(
                f"{field}: probes may not reach {host} from here ({_allowed_text(networks)})."
            )
        return host
    if host == "localhost":
        if not (address_allowed("127.0.0.1", networks) or address_allowed("::1", networks)):
            raise TargetNotAllowed(f"{field}: probes may not reach this machine.")
        return host
    if networks:
        # Resolving a name here would already send traffic (DNS) off this machine.
        raise TargetNotAllowed(
            f"{field}: only {_allowed_text(networks)} may be probed here; give an IP address or localhost."
        )
    labels = host.split(".")
    valid = all(0 < len(label) <= 63 and label.replace("-", "").isalnum() for label in labels)
    if len(labels) < 2 or not valid:
        raise TargetNotAllowed(f"{field}: {host!r} is not a host name.")
    return host


def _allowed_text(networks: Networks) -> str:
    return ", ".join(str(net) for net in networks) if networks else "public addresses only"


def check_http_target(url, networks: Networks) -> str:
    """A URL the probe may request: http or https, a host inside the allowed networks. Cleaned, or raises."""
    if not isinstance(url, str) or not url.strip():
        raise TargetNotAllowed("probe_url: give the URL to request.")
    url = url.strip()
    if len(url) > URL_MAX:
        raise TargetNotAllowed(f"probe_url: at most {URL_MAX} characters.")
    if any(ord(ch) < 33 or ord(ch) == 127 for ch in url):
        raise TargetNotAllowed("probe_url: no spaces or control characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise TargetNotAllowed(f"probe_url: {exc}.") from exc
    if parts.scheme not in ("http", "https"):
        raise TargetNotAllowed("probe_url: only http:// and https:// URLs are probed.")
    if parts.username is not None or parts.password is not None:
        raise TargetNotAllowed("probe_url: credentials in the URL are not allowed.")
    if not parts.hostname:
        raise TargetNotAllowed("probe_url: the URL names no host.")
    if port == 0:
        raise TargetNotAllowed("probe_url: port 0 cannot be probed.")
    _check_host(parts.hostname, networks, field="probe_url")
    return url


def check_tcp_target(host, port, networks: Networks) -> tuple[str, int]:
    if not isinstance(host, str):
        raise TargetNotAllowed("probe_host: give a host name or IP address.")
    host = _check_host(host.strip("[]"), networks, field="probe_host")
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise TargetNotAllowed("probe_port: give a port from 1 to 65535.")
    return host, port


# --- the round -------------------------------------------------------------------------------


async def _resolve(host: str, port: int, networks: Networks) -> str:
    """An allowed address of the host (checked here, connected to by the caller)."""
    if _is_ip(host):
        if not address_allowed(host, networks):
            raise TargetNotAllowed(f"{host} is outside the allowed networks")
        return host
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = [info[4][0] for info in infos]
    allowed = [address for address in addresses if address_allowed(address, networks)]
    if not allowed or len(allowed) != len(addresses):
        raise TargetNotAllowed(f"{host} resolves outside the allowed networks")
    return allowed[0]


async def _http(target: Target, networks: Networks) -> tuple[bool, str]:
    parts = urlsplit(target.url)
    secure = parts.scheme == "https"
    host = parts.hostname or ""
    port = parts.port or (443 if secure else 80)
    address = await _resolve(host, port, networks)
    context = ssl.create_default_context() if secure else None
    reader, writer = await asyncio.open_connection(
        address, port, ssl=context, server_hostname=host if secure else None, limit=STATUS_LINE_LIMIT
    )
    try:
        path = parts.path or "/"
        if parts.query:
            path = f"{path}?{parts.query}"
        netloc = parts.netloc.rsplit("@", 1)[-1]
        writer.write(
            f"GET {path} HTTP/1.1\r\nHost: {netloc}\r\nUser-Agent: {USER_AGENT}\r\n"
            "Accept: */*\r\nConnection: close\r\n\r\n".encode("ascii", "strict")
        )
        await writer.drain()
        line = await reader.readline()
    finally:
        writer.close()
    fields = line.decode("latin-1").split(None, 2)
    if len(fields) < 2 or not fields[0].startswith("HTTP/") or not fields[1].isdigit():
        return False, "no HTTP status line"
    status = int(fields[1])
    if status != target.expected_status:
        return False, f"HTTP {status}, expected {target.expected_status}"
    return True, f"HTTP {status}"


async def _tcp(target: Target, networks: Networks) -> tuple[bool, str]:
    address = await _resolve(target.host, target.port, networks)
    _, writer = await asyncio.open_connection(address, target.port)
    writer.close()
    return True, "connected"


async def _one(target: Target, *, timeout: float, networks: Networks, gate: asyncio.Semaphore) -> Outcome:
    async with gate:
        began = time.monotonic()
        check = _http if target.kind == "http" else _tcp
        try:
            ok, detail = await asyncio.wait_for(check(target, networks), timeout)
        except TimeoutError:
            ok, detail = False, f"no answer within {timeout:g} s"
        except TargetNotAllowed as exc:
            ok, detail = False, f"refused: {exc}"
        except (OSError, ssl.SSLError, UnicodeError, ValueError) as exc:
            reason = getattr(exc, "strerror", None)
            ok, detail = False, type(exc).__name__ + (f": {reason}" if reason else "")
        return Outcome(target.item_id, ok, detail[:200], time.monotonic() - began)


async def _round(
    targets: Sequence[Target], *, timeout: float, concurrency: int, deadline: float, networks: Networks
) -> list[Outcome]:
    gate = asyncio.Semaphore(max(1, concurrency))
    tasks = {
        asyncio.ensure_future(_one(t, timeout=timeout, networks=networks, gate=gate)): t for t in targets
    }
    if not tasks:
        return []
    done, pending = await asyncio.wait(tasks, timeout=deadline)
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)
    outcomes = [task.result() for task in done]
    outcomes += [
        Outcome(tasks[task].item_id, None, "not checked: the round ran out of time", deadline)
        for task in pending
    ]
    return outcomes


def probe_all(
    targets: Sequence[Target], *, timeout: float, concurrency: int, deadline: float, networks: Networks
) -> list[Outcome]:
    """Check every target once; returns within about `deadline` seconds whatever the targets do."""
    return asyncio.run(
        _round(targets, timeout=timeout, concurrency=concurrency, deadline=deadline, networks=networks)
    )
