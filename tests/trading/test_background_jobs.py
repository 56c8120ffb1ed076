"""The trading job through cron (``market tenders close-due``): the same function the app's
scheduler runs, each due tender closed in its own transaction."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from click.testing import CliRunner

from market.cli import main as cli
from market.trading import jobs
from tests.conftest import Actors
from tests.trading.helpers import API, Market, Party, in_, make_due


@pytest.fixture
def market(client: Any, actors: Actors) -> Market:
    return Market(client, actors)


async def _tender(market: Market, seller: Party) -> dict[str, Any]:
    lot = await market.listing(seller)
    r = await market.client.post(
        f"{API}/listings/{lot['id']}/tender",
        headers=seller.headers,
        json={"closes_at": in_(hours=2), "reserve_price_cny_t": "10.00"},
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


async def _close_due(settings: Any) -> Any:
    env = {"MARKET_DATABASE_URL": settings.database_url, "MARKET_ENV": "test"}
    return await asyncio.to_thread(CliRunner().invoke, cli, ["tenders", "close-due"], env=env)


async def test_cron_closes_the_other_tenders_when_one_fails(
    market: Market, settings: Any, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    seller, buyer = await market.seller(), await market.buyer()
    # The failing tender comes first: the ones after it must still close.
    bad, good, other = [await _tender(market, seller) for _ in range(3)]
    await market.ok_bid(good["listing_id"], buyer, price_cny_t="12.00")
    for tender in (bad, good, other):
        await make_due(settings, tender["id"])
    real_close = jobs.close_tender

    async def flaky_close(session: Any, tender_id: int, now: Any = None) -> Any:
        if tender_id == bad["id"]:
            raise RuntimeError("boom")
        return await real_close(session, tender_id, now)

    monkeypatch.setattr(jobs, "close_tender", flaky_close)
    with caplog.at_level(logging.ERROR, logger="market.trading.jobs"):
        result = await _close_due(settings)
    assert result.exit_code == 1, result.output
    assert f"closed 2 tenders [{good['id']}, {other['id']}]" in result.output
    assert f"failed to close 1 tenders [{bad['id']}]" in result.output
    assert f"closing tender {bad['id']} failed" in caplog.text and "boom" in caplog.text

    def status(t: dict[str, Any]) -> Any:
        return market.get(f"/tenders/{t['id']}", seller)

    assert (await status(bad)).json()["status"] == "open", "rolled back alone"
    awarded = (await status(good)).json()
    assert awarded["status"] == "closed" and awarded["outcome"] == "awarded"
    assert (await status(other)).json()["outcome"] == "unsold"

    # The next run (the fault gone) closes the one left behind, and only it.
    monkeypatch.setattr(jobs, "close_tender", real_close)
    again = await _close_due(settings)
    assert again.exit_code == 0, again.output
    assert f"closed 1 tenders [{bad['id']}]" in again.output
    assert (await status(bad)).json()["status"] == "closed"


async def test_cron_with_nothing_due(market: Market, settings: Any) -> None:
    result = await _close_due(settings)
    assert result.exit_code == 0, result.output
    assert "closed 0 tenders []; expired 0 offers; flagged 0 shipments overdue" in result.output
