"""Outbound webhook connections only to public addresses (no server-side request forgery).

An organisation chooses its webhook URL, and the sender POSTs to it from inside the
exchange's network: unchecked, ``http://127.0.0.1:8000/…``, the cloud's metadata service
(100.100.100.200 on Alibaba Cloud), the database or any host on the private network could be
reached, and the delivery log would tell which ports answer. So:

* **At send time** (the real check) :class:`GuardedBackend`, httpcore's network backend of
  the sender's client, resolves the URL's host with the event loop's ``getaddrinfo``, refuses
  the connection (:class:`Refused`) if *any* resolved address is not public
  (:func:`blocked`), and then connects to one of exactly those checked addresses. The name
  is never resolved a second time, so a DNS answer that changes between the check and the
  connection (rebinding) cannot reach an internal host. The request keeps the URL's host in
  its ``Host`` header and TLS server name (httpcore takes both from the URL, not from the
  socket), so certificates are verified against the name as usual. Every spelling of an IPv4
  literal (``2130706433``, ``0x7f000001``, ``127.1``) comes back from ``getaddrinfo`` as the
  address it means, so checking resolved addresses covers them.
* **When the webhook is set** :func:`literal_address` gives quick feedback for a URL whose
  host *is* an address (in any of those spellings); names are not resolved then, since what
  they resolve to can change before anything is sent.
* ``MARKET_WEBHOOK_ALLOWED_HOSTS`` lists ``host[:port]`` receivers exempt from both checks
  (an ERP on the plant's own network; the tests' local receiver), matched against the URL's
  host exactly as written, without resolving it.

Redirects are never followed (the client is built with ``follow_redirects=False``), so a
public receiver cannot bounce the POST to an internal address either.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import anyio
import httpcore
import httpx

from market.core.settings import Settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

#: NAT64's well-known prefix (RFC 6052): ``64:ff9b::a.b.c.d`` reaches IPv4 ``a.b.c.d``.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
DEFAULT_PORTS = {"http": 80, "https": 443}
#: The sender's pool, as httpx's defaults.
MAX_CONNECTIONS, MAX_KEEPALIVE, KEEPALIVE_SECONDS = 100, 20, 5.0


class Refused(httpx.ConnectError):
    """The host resolves to an address webhooks may not reach; nothing was connected."""


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (mapped, 6to4, NAT64), if any: the
    packet goes there, so that is the address to judge."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def blocked(ip: IPAddress) -> bool:
    """True for any address that is not plainly public: loopback, private, link-local,
    multicast, reserved, unspecified, shared (100.64/10), benchmarking, documentation…, and
    IPv6 forms of those IPv4 addresses.

    ``is_global`` alone is not enough on Python 3.11: it calls 224.0.1.1 (multicast),
    ``2002:7f00:1::`` (6to4 of 127.0.0.1) and ``64:ff9b::7f00:1`` (NAT64 of it) global.
    """
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner is not None:
            return blocked(inner)
        if ip.is_site_local:
            return True
    return (
        not ip.is_global
        or ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or _is_own(ip)
    )


def _is_own(ip: IPAddress) -> bool:
    """One of this machine's own addresses (a public IP on its interface): connecting there
    reaches its services from inside, past any firewall in front of it. Only a local address
    can be bound to, which answers the question without listing the interfaces."""
    family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.bind((str(ip), 0))
    except OSError:
        return False
    return True


def literal_address(host: str) -> IPAddress | None:
    """The address ``host`` spells, if it is one: IPv6 (brackets already removed, an
    optional zone), dotted IPv4, and the forms ``inet_aton`` and ``getaddrinfo`` also read
    (``2130706433``, ``0x7f000001``, ``0177.0.0.1``, ``127.1``); None for a name."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if not host or not all(c.isalnum() or c == "." for c in host):
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


class AllowList:
    """``host[:port]`` entries of ``MARKET_WEBHOOK_ALLOWED_HOSTS`` (normalised by Settings):
    an entry without a port allows every port of that host."""

    def __init__(self, entries: Iterable[str]) -> None:
        self._entries: set[tuple[str, int | None]] = set()
        for entry in entries:
            parts = urlsplit(f"//{entry}")
            if parts.hostname:
                self._entries.add((parts.hostname.lower(), parts.port))

    def allows(self, host: str, port: int) -> bool:
        host = host.lower().strip("[]")
        return (host, None) in self._entries or (host, port) in self._entries

    def allows_url(self, url: str) -> bool:
        parts = urlsplit(url)
        port = parts.port or DEFAULT_PORTS.get(parts.scheme, 0)
        return bool(parts.hostname) and self.allows(parts.hostname or "", port)


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend that connects only to checked public addresses."""

    def __init__(self, allowed: AllowList, inner: httpcore.AsyncNetworkBackend | None = None):
        self.allowed = allowed
        self.inner = inner or httpcore.AnyIOBackend()

    async def resolve(self, host: str, port: int) -> list[IPAddress]:
        """Every address ``host`` resolves to, in the resolver's order, without repeats."""
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(
                host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
            )
        except OSError as exc:  # socket.gaierror: no such name
            raise httpcore.ConnectError(f"cannot resolve {host!r}: {exc}") from exc
        seen: dict[IPAddress, None] = {}
        for *_, sockaddr in infos:
            seen.setdefault(ipaddress.ip_address(str(sockaddr[0]).split("%")[0]), None)
        return list(seen)

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        if self.allowed.allows(host, port):
            return await self.inner.connect_tcp(
                host, port, timeout, local_address=local_address, socket_options=socket_options
            )
        try:
            with anyio.fail_after(timeout):
                addresses = await self.resolve(host, port)
                if not addresses or any(blocked(ip) for ip in addresses):
                    raise Refused(f"{host} is not a public address")
                return await self._connect_any(addresses, port, local_address, socket_options)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"connecting to {host} timed out") from exc

    async def _connect_any(
        self,
        addresses: list[IPAddress],
        port: int,
        local_address: str | None,
        socket_options: Iterable[Any] | None,
    ) -> httpcore.AsyncNetworkStream:
        """The first of the checked addresses that accepts the connection."""
        error: Exception | None = None
        for ip in addresses:
            try:
                return await self.inner.connect_tcp(
                    str(ip), port, None, local_address=local_address, socket_options=socket_options
                )
            except httpcore.ConnectError as exc:
                error = exc
        raise httpcore.ConnectError(str(error))

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise Refused("webhooks are not sent over unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport over a connection pool whose connections go through
    :class:`GuardedBackend` (httpx has no public parameter for the backend, so the pool it
    builds is replaced by an equal one that has it)."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(trust_env=False)
        if not isinstance(getattr(self, "_pool", None), httpcore.AsyncConnectionPool):
            raise RuntimeError("httpx changed: AsyncHTTPTransport has no connection pool")
        self.backend = GuardedBackend(AllowList(settings.webhook_allowed_hosts))
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=MAX_CONNECTIONS,
            max_keepalive_connections=MAX_KEEPALIVE,
            keepalive_expiry=KEEPALIVE_SECONDS,
            network_backend=self.backend,
        )


def refused_at_setting(url: str, settings: Settings) -> bool:
    """Whether a webhook URL's host is an address webhooks may never reach (quick feedback
    when it is set; names are judged when sending)."""
    host = urlsplit(url).hostname or ""
    ip = literal_address(host.split("%")[0])
    if ip is None or AllowList(settings.webhook_allowed_hosts).allows_url(url):
        return False
    return blocked(ip)
