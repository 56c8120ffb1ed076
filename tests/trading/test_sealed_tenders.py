"""Sealed tenders: opening, sealed bidding, closing by price then time, the reserve, and
closing by itself (app background task, ``market tenders close-due``)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from click.testing import CliRunner
from litestar.testing import AsyncTestClient

from market.app import create_app
from market.cli import main as cli
from market.trading.tenders import close_due_tenders
from tests.conftest import Actors, assert_problem
from tests.trading.helpers import Market, Party, in_, in_db, make_due


@pytest.fixture
def market(client: Any, actors: Actors) -> Market:
    return Market(client, actors)


async def _tender(market: Market, seller: Party, listing_id: int, **over: Any) -> Any:
    body = {"closes_at": in_(hours=2), "reserve_price_cny_t": "20.00"}
    body.update(over)
    return await market.client.post(
        f"/api/v1/listings/{listing_id}/tender", headers=seller.headers, json=body
    )


async def _due(settings: Any, tender_id: int) -> None:
    await make_due(settings, tender_id)


async def test_highest_price_wins_ties_by_earliest(market: Market, settings: Any) -> None:
    seller = await market.seller()
    lot = await market.listing(seller, quantity_t="500")
    r = await _tender(market, seller, lot["id"])
    assert r.status_code == 201, r.text
    tender = r.json()
    assert tender["status"] == "open" and tender["quantity_t"] == "500.000"
    assert tender["reserve_price_cny_t"] == "20.00"
    a, b, c, d = [await market.buyer() for _ in range(4)]
    low = await market.ok_bid(lot["id"], a, price_cny_t="25.00", quantity_t="500")
    early = await market.ok_bid(lot["id"], b, price_cny_t="31.00", quantity_t="400")
    late = await market.ok_bid(lot["id"], c, price_cny_t="31.00", quantity_t="500")
    below = await market.ok_bid(lot["id"], d, price_cny_t="19.99", quantity_t="10")
    assert early["tender_id"] == tender["id"] and early["expires_at"] == tender["closes_at"]

    # Sealed: the producer sees none of them until close, the others only their own.
    assert (await market.get("/bids", seller)).json()["items"] == []
    assert_problem(await market.get(f"/bids/{early['id']}", seller), 404)
    assert [x["id"] for x in (await market.get("/bids", b)).json()["items"]] == [early["id"]]
    seen = (await market.get(f"/tenders/{tender['id']}", b)).json()
    assert seen["reserve_price_cny_t"] is None, "the reserve is the producer's secret"
    assert_problem(await market.buy(lot["id"], a), 409, "under sealed tender")

    assert await in_db(settings, close_due_tenders) == [], "not due yet"
    await _due(settings, tender["id"])
    assert await in_db(settings, close_due_tenders) == [tender["id"]]
    assert await in_db(settings, close_due_tenders) == [], "closes once"

    closed = (await market.get(f"/tenders/{tender['id']}", seller)).json()
    assert closed["status"] == "closed" and closed["outcome"] == "awarded"
    assert closed["winning_bid_id"] == early["id"]
    statuses = {x["id"]: x["status"] for x in (await market.get("/bids", seller)).json()["items"]}
    assert statuses == {
        early["id"]: "accepted",
        late["id"]: "lost",
        low["id"]: "lost",
        below["id"]: "lost",
    }
    deal = (await market.get(f"/deals/{closed['deal_id']}", b)).json()
    assert deal["buyer"]["id"] == b.org_id and deal["quantity_t"] == "400.000"
    assert deal["price_cny_t"] == "31.00" and deal["terms"]["source"] == "tender"
    listing = (await market.get(f"/listings/{lot['id']}", seller)).json()
    assert listing["reserved_t"] == "400.000" and listing["status"] == "open"


async def test_negative_prices_lowest_fee_wins_and_reserve_applies(
    market: Market, settings: Any
) -> None:
    seller = await market.seller()
    lot = await market.listing(
        seller, quantity_t="300", material_code="phosphogypsum", price_cny_t="-15.00"
    )
    tender = (await _tender(market, seller, lot["id"], reserve_price_cny_t="-20.00")).json()
    a, b, c = [await market.buyer() for _ in range(3)]
    await market.ok_bid(lot["id"], a, price_cny_t="-25.00")
    cheapest = await market.ok_bid(lot["id"], b, price_cny_t="-12.00")
    await market.ok_bid(lot["id"], c, price_cny_t="-18.00")
    await _due(settings, tender["id"])
    await in_db(settings, close_due_tenders)
    closed = (await market.get(f"/tenders/{tender['id']}", seller)).json()
    assert closed["winning_bid_id"] == cheapest["id"]


async def test_reserve_not_met_leaves_the_lot_unsold(market: Market, settings: Any) -> None:
    seller, buyer = await market.seller(), await market.buyer()
    lot = await market.listing(seller)
    tender = (await _tender(market, seller, lot["id"], reserve_price_cny_t="50.00")).json()
    bid = await market.ok_bid(lot["id"], buyer, price_cny_t="49.99")
    await _due(settings, tender["id"])
    await in_db(settings, close_due_tenders)
    closed = (await market.get(f"/tenders/{tender['id']}", seller)).json()
    assert closed["outcome"] == "unsold" and closed["deal_id"] is None
    assert (await market.get(f"/bids/{bid['id']}", buyer)).json()["status"] == "lost"
    # After the tender the listing trades normally again.
    assert (await market.buy(lot["id"], buyer)).status_code == 201


async def test_tender_rules_and_bad_input(market: Market) -> None:
    seller, buyer = await market.seller(), await market.buyer()
    lot = await market.listing(seller)
    assert_problem(
        await _tender(market, seller, lot["id"], closes_at=in_(hours=-1)),
        422,
        "closes_at",
        "future",
    )
    assert_problem(
        await _tender(market, seller, lot["id"], closes_at="2030-01-01T08:00:00"), 422, "closes_at"
    )
    assert_problem(
        await _tender(market, seller, lot["id"], reserve_price_cny_t="1.234"), 422, "decimal places"
    )
    assert_problem(await _tender(market, buyer, lot["id"]), 403, "only members of the producer")
    assert (await _tender(market, seller, lot["id"])).status_code == 201
    assert_problem(await _tender(market, seller, lot["id"]), 409, "already under tender")
    bid = await market.ok_bid(lot["id"], buyer)
    assert_problem(await market.act(bid["id"], "accept", seller), 404)
    assert_problem(await market.act(bid["id"], "accept", buyer), 403)
    r = await market.bid(lot["id"], buyer, expires_at=in_(minutes=30))
    assert_problem(r, 422, "expires_at", "until the tender closes")
    r = await market.act(bid["id"], "withdraw", buyer)
    assert r.status_code == 200 and r.json()["status"] == "withdrawn"


async def test_cli_close_due(market: Market, settings: Any) -> None:
    seller, buyer = await market.seller(), await market.buyer()
    lot = await market.listing(seller)
    tender = (await _tender(market, seller, lot["id"])).json()
    await market.ok_bid(lot["id"], buyer, price_cny_t="21.00")
    await _due(settings, tender["id"])
    env = {"MARKET_DATABASE_URL": settings.database_url, "MARKET_ENV": "test"}
    result = await asyncio.to_thread(CliRunner().invoke, cli, ["tenders", "close-due"], env=env)
    assert result.exit_code == 0, result.output
    assert f"closed 1 tenders [{tender['id']}]" in result.output
    closed = (await market.get(f"/tenders/{tender['id']}", seller)).json()
    assert closed["outcome"] == "awarded"


async def test_the_app_closes_due_tenders_by_itself(settings: Any, actors: Actors) -> None:
    app = create_app(settings.model_copy(update={"tender_poll_seconds": 0.2}))
    async with AsyncTestClient(app=app) as client:
        market = Market(client, Actors(client))
        seller, buyer = await market.seller(), await market.buyer()
        lot = await market.listing(seller)
        tender = (await _tender(market, seller, lot["id"], closes_at=in_(seconds=1))).json()
        await market.ok_bid(lot["id"], buyer, price_cny_t="22.00")
        for _ in range(50):
            await asyncio.sleep(0.1)
            seen = (await market.get(f"/tenders/{tender['id']}", seller)).json()
            if seen["status"] == "closed":
                break
        assert seen["status"] == "closed" and seen["outcome"] == "awarded"
