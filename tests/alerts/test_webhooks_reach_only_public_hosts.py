"""Webhooks cannot be pointed at the exchange's own network (server-side request forgery).

The local receiver listens on 127.0.0.1 and only ``127.0.0.1:<its port>`` is allowed
(tests/alerts/conftest.py): every other way of writing or naming that same socket must be
refused, when the webhook is set where the host is an address, and always when sending;
had the guard let one through, the receiver would have recorded it.
"""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from market.alerts import egress
from market.alerts.delivery import REFUSED, deliver_due, http_client
from market.alerts.egress import GuardedBackend, Refused
from market.alerts.models import WebhookDelivery
from market.core.db import transaction
from market.core.settings import Settings
from tests.alerts.conftest import Receiver
from tests.alerts.helpers import (
    Buyer,
    deliveries,
    make_buyer,
    post_listing,
    save_search,
    set_webhook,
)
from tests.conftest import Actors, assert_problem

NEAR = (112.30, 31.10)  # lon, lat
Factory = async_sessionmaker[AsyncSession]

#: Hosts that all mean this machine (or every address of it), as the issue listed them.
LOOPBACK_LITERALS = [
    "127.0.0.1",
    "[::1]",
    "2130706433",
    "0x7f000001",
    "127.1",
    "0.0.0.0",
    "[::ffff:127.0.0.1]",
    "0177.0.0.1",
    "[::ffff:7f00:1]",
]
OTHER_INTERNAL_LITERALS = [
    "10.0.0.5",
    "192.168.1.1",
    "169.254.169.254",
    "100.100.100.200",
    "[fe80::1%25eth0]",
    "[fd00::1]",
    "224.0.0.1",
    "[2002:7f00:1::]",
    "[64:ff9b::7f00:1]",
]


def _port(receiver: Receiver) -> int:
    port = urlsplit(receiver.url).port
    assert port is not None
    return port


def _later() -> datetime:
    return datetime.now(UTC) + timedelta(seconds=1)


async def _put(client: Any, buyer: Buyer, url: str) -> Any:
    return await client.put(
        f"/api/v1/organizations/{buyer.org['id']}/webhook",
        headers=buyer.headers,
        json={"url": url},
    )


async def test_address_literals_are_refused_when_the_webhook_is_set(
    client: Any, actors: Actors, receiver: Receiver
) -> None:
    buyer = await make_buyer(actors)
    port = _port(receiver)
    for host in LOOPBACK_LITERALS + OTHER_INTERNAL_LITERALS:
        # Also on the receiver's port: only "127.0.0.1:<port>" itself is allowed.
        on_its_port = [] if host == "127.0.0.1" else [f"https://{host}:{port}/hooks/exchange"]
        for url in [f"http://{host}/hook", *on_its_port]:
            # httpx reads a leading zero as a malformed address, not as octal.
            reason = "not a valid URL" if host == "0177.0.0.1" else "public address"
            problem = assert_problem(await _put(client, buyer, url), 422, "url", reason)
            assert problem["errors"][0]["field"] == "url", problem
    # The server's own API, by address.
    assert_problem(
        await _put(client, buyer, "http://127.0.0.1:8000/api/v1/organizations"), 422, "url"
    )
    # Nothing was stored, and the allowed receiver (exactly as allowed) is accepted.
    org = await client.get(f"/api/v1/organizations/{buyer.org['id']}", headers=buyer.headers)
    assert org.json()["webhook_url"] is None
    assert (await _put(client, buyer, receiver.url)).status_code == 200
    # Public addresses and names are accepted (names are judged when sending).
    for url in ("http://8.8.8.8/hook", "https://[2606:4700::1111]/hook", "http://localhost/"):
        assert (await _put(client, buyer, url)).status_code == 200, url


async def test_a_name_for_loopback_is_refused_when_sending(
    client: Any, actors: Actors, factory: Factory, settings: Settings, receiver: Receiver
) -> None:
    """``localhost`` passes the set-time check (it is a name) and is refused when sending,
    though it names the very socket that is allowed as 127.0.0.1."""
    buyer = await make_buyer(actors)
    await set_webhook(client, buyer, f"http://localhost:{_port(receiver)}/hooks/exchange")
    await save_search(client, buyer)
    producer, _, site = await actors.producer(*NEAR)
    await post_listing(client, producer, site["id"])

    report = await deliver_due(factory, settings, now=_later())
    assert len(report.retrying) == 1 and receiver.requests == []
    [d] = await deliveries(client, buyer.headers)
    assert d["status"] == "pending" and d["attempts"] == 1
    assert d["last_error"] == REFUSED and d["last_status_code"] is None
    assert [a["error"] for a in d["log"]] == [REFUSED]
    assert d["last_error"].startswith("refused")


#: Every other way to reach the receiver's socket (httpx itself refuses ``0177.0.0.1``).
SAME_SOCKET = [h for h in LOOPBACK_LITERALS if h not in ("127.0.0.1", "0177.0.0.1")]


@pytest.mark.parametrize("host", [*SAME_SOCKET, "localhost", "LocalHost"])
async def test_every_spelling_is_refused_when_sending(
    settings: Settings, receiver: Receiver, host: str
) -> None:
    """What the set-time check would have caught is refused again at send time (a URL stored
    before the check existed, say), in every spelling, on the receiver's own port."""
    async with http_client(settings) as client:
        with pytest.raises(Refused):
            await client.post(f"http://{host}:{_port(receiver)}/hooks/exchange", content=b"{}")
        with pytest.raises(Refused):  # the allowed address, on another port
            await client.post(f"http://127.0.0.1:{_port(receiver) + 1}/", content=b"{}")
        # The allowed spelling of the same socket does arrive.
        assert (await client.post(receiver.url, content=b"{}")).status_code == 200
    assert [r.path for r in receiver.requests] == ["/hooks/exchange"]


async def test_a_stored_internal_url_is_refused_and_logged(
    client: Any, actors: Actors, factory: Factory, settings: Settings, receiver: Receiver
) -> None:
    buyer = await make_buyer(actors)
    await set_webhook(client, buyer, receiver.url)
    await save_search(client, buyer)
    producer, _, site = await actors.producer(*NEAR)
    await post_listing(client, producer, site["id"])
    async with transaction(factory) as session:
        await session.exec(
            update(WebhookDelivery).values(url=f"http://2130706433:{_port(receiver)}/x")
        )
    await deliver_due(factory, settings, now=_later())
    assert receiver.requests == []
    [d] = await deliveries(client, buyer.headers)
    assert d["last_error"] == REFUSED


async def test_any_internal_answer_refuses_and_the_checked_address_is_the_one_used(
    settings: Settings, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A name is resolved once per connection; a mixed answer is refused as a whole, and an
    accepted answer is connected to as it was checked, with the URL's own Host header."""
    lookups: list[str] = []
    answers = {
        "mixed.example.cn": ["93.184.216.34", "127.0.0.1"],
        "hooks.example.cn": ["127.0.0.1"],
    }

    async def resolve(self: GuardedBackend, host: str, port: int) -> list[Any]:
        lookups.append(host)
        return [egress.ipaddress.ip_address(a) for a in answers[host]]

    monkeypatch.setattr(GuardedBackend, "resolve", resolve)
    port = _port(receiver)
    async with http_client(settings) as client:
        with pytest.raises(Refused):
            await client.post(f"http://mixed.example.cn:{port}/hook", content=b"{}")
        assert receiver.requests == []
        # Pretend 127.0.0.1 were public, to see where the connection goes.
        monkeypatch.setattr(egress, "blocked", lambda ip: False)
        r = await client.post(f"http://hooks.example.cn:{port}/hook", content=b"{}")
    assert r.status_code == 200 and lookups == ["mixed.example.cn", "hooks.example.cn"]
    [req] = receiver.requests
    assert req.headers["Host"] == f"hooks.example.cn:{port}"


async def test_failures_never_show_the_socket_error(
    client: Any,
    actors: Actors,
    factory: Factory,
    settings: Settings,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    buyer = await make_buyer(actors)
    await set_webhook(client, buyer, "https://no-such-host.example.cn/hook")
    await save_search(client, buyer)
    producer, _, site = await actors.producer(*NEAR)
    await post_listing(client, producer, site["id"])

    real = socket.getaddrinfo

    def no_such_name(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "no-such-host.example.cn":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)  # the database's connections, on PostgreSQL

    monkeypatch.setattr(socket, "getaddrinfo", no_such_name)
    await deliver_due(factory, settings, now=_later())
    [d] = await deliveries(client, buyer.headers)
    assert d["last_error"] == "failed: could not connect"
    assert "Name or service" not in str(d)


async def test_redirects_are_not_followed(settings: Settings, receiver: Receiver) -> None:
    receiver.fail_times(1, status=302)
    receiver.redirect_to = receiver.url + "/elsewhere"
    async with http_client(settings) as client:
        r = await client.post(receiver.url, content=b"{}")
    assert r.status_code == 302 and r.headers["Location"].endswith("/elsewhere")
    assert [req.path for req in receiver.requests] == ["/hooks/exchange"]


def test_the_sender_ignores_proxy_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    """A proxy would make the connection the check sees the proxy's, not the receiver's."""
    monkeypatch.setenv("HTTP_PROXY", "http://10.0.0.1:3128")
    monkeypatch.setenv("HTTPS_PROXY", "http://10.0.0.1:3128")
    client = http_client(Settings(env="test"))
    assert isinstance(client._transport, egress.GuardedTransport)
    assert not client._mounts, "no proxy transports"
    assert isinstance(client._transport, httpx.AsyncHTTPTransport)
