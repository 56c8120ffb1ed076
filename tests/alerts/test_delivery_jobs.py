"""Webhook sending as a background job: one delivery whose outcome cannot be recorded does
not stop the others, and it is sent again once its lease runs out."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from market.alerts import delivery
from market.alerts.delivery import LEASE_MARGIN_SECONDS, deliver_due, webhook_job
from market.cli import main as cli
from market.core.settings import Settings
from tests.alerts.conftest import Receiver
from tests.alerts.helpers import deliveries, make_buyer, post_listing, save_search, set_webhook
from tests.conftest import Actors

NEAR = (112.30, 31.10)  # lon, lat


async def test_one_unrecordable_outcome_does_not_stop_the_others(
    client: Any,
    actors: Actors,
    factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    buyer = await make_buyer(actors)
    await set_webhook(client, buyer, receiver.url)
    await save_search(client, buyer)
    producer, _, site = await actors.producer(*NEAR)
    for _ in range(2):
        await post_listing(client, producer, site["id"])
    first, second = sorted(d["id"] for d in await deliveries(client, buyer.headers))
    real_record = delivery._record

    async def flaky_record(factory: Any, settings: Any, claim: Any, *rest: Any) -> None:
        if claim.id == first:
            raise RuntimeError("database gone")
        await real_record(factory, settings, claim, *rest)

    monkeypatch.setattr(delivery, "_record", flaky_record)
    now = datetime.now(UTC) + timedelta(seconds=1)
    report = await deliver_due(factory, settings, now=now)
    assert report.unrecorded == [first] and report.delivered == [second]
    assert not report.ok and f"1 not recorded [{first}]" in report.summary()
    assert f"recording webhook delivery {first} failed" in caplog.text
    assert len(receiver.requests) == 2

    monkeypatch.setattr(delivery, "_record", real_record)
    assert (await deliver_due(factory, settings, now=now)).attempted == 0, "still leased"
    lease = timedelta(seconds=settings.webhook_timeout_seconds + LEASE_MARGIN_SECONDS + 1)
    again = await deliver_due(factory, settings, now=now + lease)
    assert again.delivered == [first] and again.ok
    by_id = {d["id"]: d for d in await deliveries(client, buyer.headers)}
    assert by_id[first]["status"] == by_id[second]["status"] == "delivered"


def test_the_webhook_job_follows_the_poll_setting(settings: Settings) -> None:
    assert not webhook_job(settings).enabled, "off under env=test unless set"
    on = webhook_job(settings.model_copy(update={"webhook_poll_seconds": 2}))
    assert on.enabled and on.interval == 2 and on.name == "webhooks"


async def test_cron_sends_through_the_same_function(
    client: Any, actors: Actors, settings: Settings, receiver: Receiver
) -> None:
    buyer = await make_buyer(actors)
    await set_webhook(client, buyer, receiver.url)
    await save_search(client, buyer)
    producer, _, site = await actors.producer(*NEAR)
    await post_listing(client, producer, site["id"])
    env = {
        "MARKET_DATABASE_URL": settings.database_url,
        "MARKET_ENV": "test",
        "MARKET_WEBHOOK_ALLOWED_HOSTS": ",".join(settings.webhook_allowed_hosts),
    }
    result = await asyncio.to_thread(CliRunner().invoke, cli, ["webhooks", "deliver-due"], env=env)
    assert result.exit_code == 0, result.output
    assert "1 delivered, 0 to retry, 0 failed" in result.output and len(receiver.requests) == 1
