"""A sealed tender whose best bidder is unverified and above the deal limit awards the next
best instead of failing to close (the closer runs outside any request, tender after tender)."""

from __future__ import annotations

from typing import Any

import pytest

from market.trading.tenders import close_due_tenders
from tests.conftest import Actors
from tests.trading.helpers import Market, Party, in_, in_db, make_due


async def _unverified_buyer(market: Market) -> Party:
    headers = await market.actors.user()
    org = await market.actors.org(headers, kind="consumer", verified=False)
    site = await market.actors.site(headers, org["id"], 112.60, 31.17)
    return Party(headers, org, site)


async def test_an_unverified_best_bid_loses_and_the_next_best_wins(
    client: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The closer's session reads the limit from the environment (no app binds it).
    monkeypatch.setenv("MARKET_UNVERIFIED_DEAL_LIMIT_T", "100")
    market = Market(client, Actors(client, verify_orgs=True))
    seller = await market.seller()
    lot = await market.listing(seller, quantity_t="300")
    r = await client.post(
        f"/api/v1/listings/{lot['id']}/tender",
        headers=seller.headers,
        json={"closes_at": in_(hours=2), "reserve_price_cny_t": "20.00"},
    )
    assert r.status_code == 201, r.text
    tender = r.json()
    unverified = await _unverified_buyer(market)
    verified = await market.buyer()
    best = await market.ok_bid(lot["id"], unverified, price_cny_t="40.00", quantity_t="200")
    next_best = await market.ok_bid(lot["id"], verified, price_cny_t="30.00", quantity_t="200")

    await make_due(settings, tender["id"])
    assert await in_db(settings, close_due_tenders) == [tender["id"]]
    closed = (await market.get(f"/tenders/{tender['id']}", seller)).json()
    assert closed["status"] == "closed" and closed["winning_bid_id"] == next_best["id"]
    statuses = {b["id"]: b["status"] for b in (await market.get("/bids", seller)).json()["items"]}
    assert statuses == {best["id"]: "lost", next_best["id"]: "accepted"}
