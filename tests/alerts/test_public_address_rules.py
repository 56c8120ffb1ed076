"""Which addresses a webhook may reach, how literals are read, and the allow-list setting.

No database: the rules of ``market.alerts.egress`` on their own.
"""

from __future__ import annotations

import ipaddress
import socket

import pytest

from market.alerts import egress
from market.alerts.egress import AllowList, blocked, literal_address
from market.core.settings import Settings, SettingsError

BLOCKED = [
    "127.0.0.1",
    "127.255.255.254",
    "0.0.0.0",
    "0.1.2.3",
    "10.0.0.5",
    "172.16.0.1",
    "192.168.1.1",
    "100.64.0.1",  # shared address space (carrier NAT)
    "100.100.100.200",  # Alibaba Cloud's metadata service
    "169.254.169.254",  # link-local: other clouds' metadata service
    "192.0.0.1",
    "192.0.2.1",  # documentation
    "198.18.0.1",  # benchmarking
    "224.0.0.1",
    "224.0.1.1",  # multicast that Python 3.11 calls global
    "239.255.255.250",
    "240.0.0.1",
    "255.255.255.255",
    "::1",
    "::",
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:10.0.0.5",
    "::127.0.0.1",  # IPv4-compatible (deprecated)
    "2002:7f00:1::",  # 6to4 of 127.0.0.1
    "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "64:ff9b::a00:5",  # NAT64 of 10.0.0.5
    "64:ff9b:1::a00:1",  # local-use NAT64
    "fe80::1",
    "fec0::1",  # site-local (deprecated)
    "fc00::1",
    "fd12:3456::1",
    "ff02::1",
    "2001:db8::1",  # documentation
    "2001::1",  # Teredo
]
PUBLIC = [
    "8.8.8.8",
    "114.114.114.114",
    "223.5.5.5",
    "2606:4700::1111",
    "2400:3200::1",
    "::ffff:8.8.8.8",
    "2002:808:808::",  # 6to4 of 8.8.8.8
    "64:ff9b::808:808",  # NAT64 of 8.8.8.8: what an IPv6-only server's DNS64 answers
]


@pytest.mark.parametrize("address", BLOCKED)
def test_non_public_addresses_are_blocked(address: str) -> None:
    assert blocked(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_pass(address: str) -> None:
    assert not blocked(ipaddress.ip_address(address))


def test_the_machines_own_addresses_are_blocked() -> None:
    """An address of this machine's own interfaces (even a public one) reaches its services
    from inside; whether it is ours is asked by binding to it."""
    assert egress._is_own(ipaddress.ip_address("127.0.0.1"))
    assert not egress._is_own(ipaddress.ip_address("8.8.8.8"))
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))  # no packet is sent: it only picks a route
            own = probe.getsockname()[0]
    except OSError:
        pytest.skip("no IPv4 route on this machine")
    assert egress._is_own(ipaddress.ip_address(own))


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("0x7F.0.0.1", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("0", "0.0.0.0"),
        ("::1", "::1"),
        ("::ffff:127.0.0.1", "::ffff:7f00:1"),
        ("fe80::1%eth0", "fe80::1%eth0"),
    ],
)
def test_every_spelling_of_an_address_is_read_as_one(host: str, address: str) -> None:
    assert literal_address(host) == ipaddress.ip_address(address)


@pytest.mark.parametrize("host", ["localhost", "erp.example.cn", "1e3", "0x", "", "127.0.0.1 x"])
def test_names_are_not_addresses(host: str) -> None:
    assert literal_address(host) is None


def test_the_allow_list_matches_host_and_port_as_written() -> None:
    allowed = AllowList(["127.0.0.1:8080", "erp.example.cn", "[fd00::1]:443"])
    assert allowed.allows("127.0.0.1", 8080)
    assert not allowed.allows("127.0.0.1", 8081)
    assert not allowed.allows("localhost", 8080), "names are not resolved to match"
    assert allowed.allows("ERP.example.cn", 1234), "no port: every port"
    assert allowed.allows("fd00::1", 443) and not allowed.allows("fd00::1", 80)
    assert allowed.allows_url("https://[fd00::1]/hook")
    assert allowed.allows_url("http://127.0.0.1:8080/hook")
    assert not allowed.allows_url("http://127.0.0.1/hook")


def test_allowed_hosts_from_the_environment() -> None:
    assert Settings.from_env({}).webhook_allowed_hosts == ()
    parsed = Settings.from_env(
        {"MARKET_WEBHOOK_ALLOWED_HOSTS": " ERP.example.cn, 10.0.0.5:8080,[FD00::1]:443,"}
    )
    assert parsed.webhook_allowed_hosts == ("erp.example.cn", "10.0.0.5:8080", "[fd00::1]:443")
    for bad in ("http://erp.example.cn/hook", "user@erp.example.cn", "erp.example.cn:99999"):
        with pytest.raises(SettingsError, match="MARKET_WEBHOOK_ALLOWED_HOSTS"):
            Settings.from_env({"MARKET_WEBHOOK_ALLOWED_HOSTS": bad})
