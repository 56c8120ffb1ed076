"""Webhook delivery against a real local HTTP server: signing, retries, the log, claiming.

Time is stepped by passing ``now`` to ``deliver_due``: no sleeping, no timing assertions.
"""

from __future__ import annotations

import asyncio
import socket
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from market.alerts.delivery import deliver_due
from market.alerts.webhooks import verify_signature
from market.core.settings import Settings
from tests.alerts.conftest import Receiver, allowing
from tests.alerts.helpers import (
    Buyer,
    deliveries,
    make_buyer,
    notifications,
    post_listing,
    save_search,
    set_webhook,
)
from tests.conftest import Actors

NEAR = (112.30, 31.10)  # lon, lat
Factory = async_sessionmaker[AsyncSession]


async def _matched(client, actors: Actors, url: str) -> tuple[Buyer, str, dict[str, Any]]:
    """A buyer with a webhook and a search, and a producer's listing that matches it."""
    buyer = await make_buyer(actors)
    secret = (await set_webhook(client, buyer, url))["secret"]
    await save_search(client, buyer)
    producer, _, site = await actors.producer(*NEAR)
    listing = await post_listing(client, producer, site["id"])
    return buyer, secret, listing


def _later(seconds: float = 1) -> datetime:
    """A moment safely after everything the test created (rows are stamped with real time)."""
    return datetime.now(UTC) + timedelta(seconds=seconds)


async def test_delivery_is_signed_and_logged(
    client, actors: Actors, factory: Factory, settings: Settings, receiver: Receiver
) -> None:
    buyer, secret, listing = await _matched(client, actors, receiver.url)
    [pending] = await deliveries(client, buyer.headers)
    assert pending["status"] == "pending" and pending["attempts"] == 0
    assert receiver.requests == []

    now = _later()
    report = await deliver_due(factory, settings, now=now)
    assert report.delivered == [pending["id"]] and report.attempted == 1

    [req] = receiver.requests
    h = {k.lower(): v for k, v in req.headers.items()}
    assert req.path == "/hooks/exchange"
    assert h["content-type"] == "application/json"
    assert h["x-exchange-event"] == "listing_match"
    assert h["x-exchange-delivery"] == str(pending["id"])
    assert h["x-exchange-timestamp"] == str(int(now.timestamp()))
    assert verify_signature(secret, h["x-exchange-timestamp"], req.body, h["x-exchange-signature"])
    assert not verify_signature(
        secret, h["x-exchange-timestamp"], req.body + b" ", h["x-exchange-signature"]
    )
    assert not verify_signature(
        "wrong", h["x-exchange-timestamp"], req.body, h["x-exchange-signature"]
    )
    # The body is exactly the stored text, and says what matched.
    assert req.body.decode() == pending["body"]
    doc = req.json()
    [note] = await notifications(client, buyer.headers)
    assert doc["event"] == "listing_match" and doc["notification_id"] == note["id"]
    assert doc["organization_id"] == buyer.org["id"]
    assert doc["data"]["listing"]["id"] == listing["id"]

    [done] = await deliveries(client, buyer.headers)
    assert done["status"] == "delivered" and done["attempts"] == 1
    assert done["last_status_code"] == 200 and done["last_error"] is None
    assert done["delivered_at"] is not None and done["next_attempt_at"] is None
    [attempt] = done["log"]
    assert attempt["status_code"] == 200 and attempt["error"] is None
    assert attempt["duration_ms"] >= 0
    # Delivered is final: nothing is sent again.
    again = await deliver_due(factory, settings, now=now + timedelta(days=1))
    assert again.attempted == 0 and len(receiver.requests) == 1


async def test_retries_back_off_exponentially_then_deliver(
    client, actors: Actors, factory: Factory, settings: Settings, receiver: Receiver
) -> None:
    buyer, secret, _ = await _matched(client, actors, receiver.url)
    receiver.fail_times(2)
    factory = factory
    t0 = _later()
    assert settings.webhook_backoff_seconds == 30

    first = await deliver_due(factory, settings, now=t0)
    assert len(first.retrying) == 1 and len(receiver.requests) == 1
    [d] = await deliveries(client, buyer.headers)
    assert d["status"] == "pending" and d["attempts"] == 1 and d["last_status_code"] == 500
    assert d["last_error"] == "failed: HTTP 500"
    assert _parse(d["next_attempt_at"]) == t0 + timedelta(seconds=30)

    # Not due yet one second early; due at base × 2^0 = 30 s, then base × 2^1 = 60 s later.
    assert (await deliver_due(factory, settings, now=t0 + timedelta(seconds=29))).attempted == 0
    second = await deliver_due(factory, settings, now=t0 + timedelta(seconds=30))
    assert len(second.retrying) == 1 and len(receiver.requests) == 2
    t2 = t0 + timedelta(seconds=30 + 60)
    assert (await deliver_due(factory, settings, now=t2 - timedelta(seconds=1))).attempted == 0
    third = await deliver_due(factory, settings, now=t2)
    assert len(third.delivered) == 1 and len(receiver.requests) == 3

    [d] = await deliveries(client, buyer.headers)
    assert d["status"] == "delivered" and d["attempts"] == 3
    assert [a["status_code"] for a in d["log"]] == [500, 500, 200]
    assert [_parse(a["attempted_at"]) for a in d["log"]] == [t0, t0 + timedelta(seconds=30), t2]
    # Every retry carries the same delivery id and body, freshly timestamped and signed.
    assert len({r.headers["X-Exchange-Delivery"] for r in receiver.requests}) == 1
    assert len({r.body for r in receiver.requests}) == 1
    stamps = [r.headers["X-Exchange-Timestamp"] for r in receiver.requests]
    assert stamps == [str(int(t.timestamp())) for t in (t0, t0 + timedelta(seconds=30), t2)]
    for r in receiver.requests:
        assert verify_signature(
            secret, r.headers["X-Exchange-Timestamp"], r.body, r.headers["X-Exchange-Signature"]
        )


async def test_gives_up_after_max_attempts(
    client, actors: Actors, factory: Factory, settings: Settings, receiver: Receiver
) -> None:
    settings = settings.model_copy(
        update={"webhook_max_attempts": 3, "webhook_backoff_seconds": 10}
    )
    buyer, _, _ = await _matched(client, actors, receiver.url)
    receiver.fail_times(10, status=503)
    t = _later()
    outcomes = []
    for step in (0, 10, 20):  # backoff 10 s, then 20 s
        t += timedelta(seconds=step)
        report = await deliver_due(factory, settings, now=t)
        outcomes.append((len(report.retrying), len(report.failed)))
    assert outcomes == [(1, 0), (1, 0), (0, 1)]
    [d] = await deliveries(client, buyer.headers, "?status=failed")
    assert d["attempts"] == 3 and d["last_status_code"] == 503 and d["delivered_at"] is None
    assert [a["status_code"] for a in d["log"]] == [503, 503, 503]
    # Failed is final.
    later = await deliver_due(factory, settings, now=t + timedelta(days=30))
    assert later.attempted == 0 and len(receiver.requests) == 3
    assert await deliveries(client, buyer.headers, "?status=pending") == []


async def test_unreachable_and_slow_receivers_are_logged_as_errors(
    client,
    actors: Actors,
    factory: Factory,
    settings: Settings,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = settings.model_copy(update={"webhook_timeout_seconds": 0.3})
    buyer, _, _ = await _matched(client, actors, receiver.url)
    receiver.hang = True
    t = _later()
    report = await deliver_due(factory, settings, now=t)
    assert len(report.retrying) == 1
    [d] = await deliveries(client, buyer.headers)
    assert d["last_status_code"] is None and d["last_error"] == "failed: timed out after 0.3 s"

    # Nobody listening at all: a port that was bound and released again (allowed, like the
    # receiver, so that the connection is tried). The log says so without the socket's text.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    settings = allowing(settings, f"127.0.0.1:{closed_port}")
    monkeypatch.setattr(client.app.state, "settings", settings)
    await set_webhook(client, buyer, f"http://127.0.0.1:{closed_port}/hook")
    await deliver_due(factory, settings, now=t + timedelta(seconds=30))
    [d] = await deliveries(client, buyer.headers)
    assert d["url"].endswith(f":{closed_port}/hook") and d["attempts"] == 2
    assert d["last_error"] == "failed: could not connect"
    assert [a["error"] for a in d["log"]] == [
        "failed: timed out after 0.3 s",
        "failed: could not connect",
    ]


async def test_two_senders_never_send_the_same_delivery(
    client, actors: Actors, factory: Factory, settings: Settings, receiver: Receiver
) -> None:
    buyer, _, _ = await _matched(client, actors, receiver.url)
    producer, _, site = await actors.producer(*NEAR)
    for price in ("11.00", "10.00", "9.00"):
        await post_listing(client, producer, site["id"], price_cny_t=price)
    assert len(await deliveries(client, buyer.headers, "?status=pending")) == 4
    now = _later()
    reports = await asyncio.gather(*(deliver_due(factory, settings, now=now) for _ in range(3)))
    sent = sorted(i for r in reports for i in r.delivered)
    assert len(sent) == 4 and len(set(sent)) == 4
    assert len(receiver.requests) == 4
    assert len({r.headers["X-Exchange-Delivery"] for r in receiver.requests}) == 4


async def test_listing_post_never_waits_for_the_webhook(
    client, actors: Actors, factory: Factory, settings: Settings, receiver: Receiver
) -> None:
    """A receiver that would hang forever does not hold up the producer's request."""
    receiver.hang = True
    buyer, _, listing = await _matched(client, actors, receiver.url)
    assert listing["status"] == "open"
    assert receiver.requests == []
    [d] = await deliveries(client, buyer.headers)
    assert d["status"] == "pending" and d["attempts"] == 0 and d["log"] == []


async def test_the_app_sends_in_the_background_when_enabled(
    actors: Actors, settings: Settings, receiver: Receiver
) -> None:
    """Under env=test the sender is off unless webhook_poll_seconds is set explicitly."""
    from litestar.testing import AsyncTestClient

    from market.app import create_app
    from tests.conftest import Actors as ActorsCls

    assert settings.webhook_poll_interval == 0
    enabled = settings.model_copy(update={"webhook_poll_seconds": 0.05})
    async with AsyncTestClient(app=create_app(enabled)) as bg_client:
        bg_actors = ActorsCls(bg_client)
        _, secret, _ = await _matched(bg_client, bg_actors, receiver.url)
        assert await asyncio.to_thread(receiver.arrived.wait, 10), "nothing was sent"
        [req] = receiver.requests
        assert verify_signature(
            secret,
            req.headers["X-Exchange-Timestamp"],
            req.body,
            req.headers["X-Exchange-Signature"],
        )


async def test_changing_or_removing_the_webhook_redirects_or_fails_pending_deliveries(
    client, actors: Actors, factory: Factory, settings: Settings, receiver: Receiver
) -> None:
    buyer, old_secret, _ = await _matched(client, actors, receiver.url + "/old")
    new_secret = (await set_webhook(client, buyer, receiver.url))["secret"]
    assert new_secret != old_secret
    await deliver_due(factory, settings, now=_later())
    [req] = receiver.requests
    assert req.path == "/hooks/exchange"
    h = req.headers
    assert verify_signature(
        new_secret, h["X-Exchange-Timestamp"], req.body, h["X-Exchange-Signature"]
    )
    assert not verify_signature(
        old_secret, h["X-Exchange-Timestamp"], req.body, h["X-Exchange-Signature"]
    )

    producer, _, site = await actors.producer(*NEAR)
    await post_listing(client, producer, site["id"], price_cny_t="5.00")
    removed = await set_webhook(client, buyer, None)
    assert removed["url"] is None and removed["secret"] is None
    await post_listing(client, producer, site["id"], price_cny_t="4.00")
    report = await deliver_due(factory, settings, now=_later())
    assert report.attempted == 0 and len(receiver.requests) == 1
    statuses = [(d["status"], d["last_error"]) for d in await deliveries(client, buyer.headers)]
    assert statuses == [("failed", "webhook removed"), ("delivered", None)]
    # Notifications do not depend on the webhook.
    assert len(await notifications(client, buyer.headers)) == 3


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
