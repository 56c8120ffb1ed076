"""A lot that sold out, closed or expired is not "does not exist": a would-be buyer who could
see it while it was open (buy, bid, tender bid) hears 409 naming its state; a lot nobody else
ever saw (a draft, a withdrawn lot) stays 404."""

from __future__ import annotations

from typing import Any

import pytest

from market.trading.tenders import close_due_tenders
from tests.conftest import Actors, assert_problem
from tests.trading.helpers import API, Market, in_, in_db, make_due


@pytest.fixture
def market(client: Any, actors: Actors) -> Market:
    return Market(client, actors)


def assert_sold_out(r: Any, listing_id: int, state: str) -> None:
    """409 naming the state, in Chinese and English, and never the 404 wording."""
    assert_problem(r, 409, f"listing {listing_id} is {state}", f"挂牌 {listing_id}")
    assert "does not exist" not in r.text


async def test_the_last_tonne_sold_makes_buy_and_bid_409_reserved(market: Market) -> None:
    seller, first, late = await market.seller(), await market.buyer(), await market.buyer()
    lot = await market.listing(seller, quantity_t="100")
    await market.ok_buy(lot["id"], first, quantity_t="95")
    # 5 t left: the shortfall is a 409 (this always was).
    assert_problem(await market.buy(lot["id"], late, quantity_t="10"), 409, "only 5.000 t")
    await market.ok_buy(lot["id"], first, quantity_t="5")
    # Sold out: the same request is a 409 "reserved: sold out", not a 404.
    for r in (
        await market.buy(lot["id"], late, quantity_t="10"),
        await market.bid(lot["id"], late, quantity_t="10"),
    ):
        assert_sold_out(r, lot["id"], "reserved")
        assert "sold out" in r.text and "售罄" in r.text
    # Reading it stays for the parties (its state is no secret to a would-be buyer, but the
    # lot itself is no longer public).
    assert_problem(await market.get(f"/listings/{lot['id']}", late), 404)
    assert (await market.get(f"/listings/{lot['id']}", first)).status_code == 200


async def test_closed_and_expired_lots_are_409_naming_the_state(market: Market) -> None:
    seller, buyer = await market.seller(), await market.buyer()
    for state in ("closed", "expired"):
        lot = await market.listing(seller)
        r = await market.client.patch(
            f"{API}/listings/{lot['id']}", headers=seller.headers, json={"status": state}
        )
        assert r.status_code == 200, r.text
        for r in (await market.buy(lot["id"], buyer), await market.bid(lot["id"], buyer)):
            assert_sold_out(r, lot["id"], state)


async def test_lots_never_seen_by_the_buyer_stay_404(market: Market) -> None:
    seller, buyer = await market.seller(), await market.buyer()
    draft = await market.listing(seller, status="draft")
    withdrawn = await market.listing(seller)
    r = await market.client.post(
        f"{API}/listings/{withdrawn['id']}/withdraw", headers=seller.headers
    )
    assert r.status_code == 200
    for lot in (draft, withdrawn):
        for r in (await market.buy(lot["id"], buyer), await market.bid(lot["id"], buyer)):
            assert_problem(r, 404, f"listing {lot['id']} does not exist")
            assert "draft" not in r.text and "withdrawn" not in r.text
    assert_problem(await market.buy(987654, buyer), 404, "listing 987654 does not exist")


async def test_a_tender_that_took_the_whole_lot_makes_a_tender_bid_409(
    market: Market, settings: Any
) -> None:
    seller, winner, late = await market.seller(), await market.buyer(), await market.buyer()
    lot = await market.listing(seller, quantity_t="100")
    r = await market.client.post(
        f"{API}/listings/{lot['id']}/tender",
        headers=seller.headers,
        json={"closes_at": in_(hours=1), "reserve_price_cny_t": "10.00"},
    )
    assert r.status_code == 201, r.text
    tender = r.json()
    bid = await market.ok_bid(lot["id"], winner, quantity_t="100", price_cny_t="20.00")
    assert bid["tender_id"] == tender["id"]
    await make_due(settings, tender["id"])
    assert await in_db(settings, close_due_tenders) == [tender["id"]]
    for r in (
        await market.bid(lot["id"], late, quantity_t="10", price_cny_t="25.00"),
        await market.buy(lot["id"], late, quantity_t="10"),
    ):
        assert_sold_out(r, lot["id"], "reserved")
