"""IPv6 forms of metadata, private and loopback IPv4 addresses are refused like the addresses themselves."""

import pytest

from sla.uptime.probes import address_allowed, parse_networks


@pytest.mark.parametrize(
    "address",
    [
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
        "64:ff9b::169.254.169.254",
        "64:ff9b:1::a9fe:a9fe",
        "2002:a9fe:a9fe::",  # 6to4 of 169.254.169.254
        "2002:0a00:0001::1",  # 6to4 of 10.0.0.1
        "2001:0:4136:e378:8000:63bf:5601:5456",  # Teredo, client 169.254.171.169
        "::169.254.169.254",  # IPv4-compatible
        "::ffff:169.254.169.254",
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    ],
)
def test_ipv6_forms_of_forbidden_ipv4_are_refused(address):
    assert not address_allowed(address, ())


@pytest.mark.parametrize("address", ["64:ff9b::808:808", "2606:4700:4700::1111", "8.8.8.8"])
def test_public_addresses_still_pass(address):
    assert address_allowed(address, ())


def test_allowed_networks_still_decide_for_plain_addresses():
    loopback = parse_networks(["127.0.0.0/8", "::1/128"])
    assert address_allowed("127.0.0.1", loopback)
    assert address_allowed("::ffff:127.0.0.1", loopback)
    assert not address_allowed("64:ff9b::a9fe:a9fe", loopback)
