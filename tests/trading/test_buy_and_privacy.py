"""Buying at the asking price, and what a deal reveals to the two parties."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Actors, assert_problem
from tests.trading.helpers import Market, make_regulator


@pytest.fixture
def market(client: Any, actors: Actors) -> Market:
    return Market(client, actors)


async def test_buy_at_the_asking_price(market: Market) -> None:
    seller, buyer = await market.seller(), await market.buyer()
    listing = await market.listing(seller, quantity_t="250.5", price_cny_t="-12.50")
    deal = await market.ok_buy(listing["id"], buyer, quantity_t="250.5", use="cement_admixture")
    assert deal["price_cny_t"] == "-12.50" and deal["quantity_t"] == "250.500"
    assert deal["terms"] == {"source": "buy"} and deal["bid_id"] is None
    assert deal["material_code"] == "fly_ash" and deal["status"] == "active"
    seen = (await market.get(f"/listings/{listing['id']}", seller)).json()
    assert seen["status"] == "reserved" and seen["reserved_t"] == "250.500"
    # Sold out: anyone who could see the open lot learns why (not "does not exist").
    assert_problem(await market.buy(listing["id"], await market.buyer()), 409, "is reserved")
    assert_problem(await market.buy(listing["id"], buyer), 409, "is reserved")


async def test_buy_bad_input(market: Market) -> None:
    seller, buyer = await market.seller(), await market.buyer()
    listing = await market.listing(seller, quantity_t="100")
    lid = listing["id"]
    assert_problem(await market.buy(lid, buyer, quantity_t="100.001"), 409, "only 100.000 t")
    assert_problem(await market.buy(lid, buyer, quantity_t=None), 422, "quantity_t")
    assert_problem(await market.buy(lid, buyer, price_cny_t="1.00"), 422, "price_cny_t")
    assert_problem(await market.buy(lid, buyer, quantity_t="-1"), 422, "greater than 0")
    assert_problem(await market.buy(lid, seller, site_id=seller.site["id"]), 409, "your own")
    assert_problem(await market.buy(lid, buyer, use="rocket_fuel"), 422, "use")
    no_org = await market.actors.user()
    r = await market.client.post(
        f"/api/v1/listings/{lid}/buy", headers=no_org, json={"site_id": 1, "quantity_t": "1"}
    )
    assert_problem(r, 403, "not a member of any organisation")
    seen = (await market.get(f"/listings/{lid}", seller)).json()
    assert seen["reserved_t"] == "0.000" and seen["status"] == "open"
    assert (await market.get("/deals", seller)).json()["items"] == []


async def test_the_parties_see_each_other_in_full_after_a_deal(market: Market) -> None:
    seller, buyer = await market.seller(lon=112.123456, lat=31.234567), await market.buyer()
    listing = await market.listing(seller)
    before = (await market.get(f"/listings/{listing['id']}", buyer)).json()
    assert before["anonymous"] is True and before["organization"]["id"] is None
    assert before["site"]["lon"] == 112.12 and before["site"]["district_code"] == "420802"
    deal = await market.ok_buy(listing["id"], buyer)
    after = (await market.get(f"/listings/{listing['id']}", buyer)).json()
    assert after["anonymous"] is False and after["organization"]["id"] == seller.org_id
    assert after["site"]["lon"] == 112.123456
    seen = (await market.get(f"/deals/{deal['id']}", buyer)).json()
    assert seen["seller"]["name"] == seller.org["name"]
    assert seen["seller_site"]["lon"] == 112.123456
    assert seen["buyer"]["name"] == buyer.org["name"]
    # Everybody else still sees the producer anonymised.
    other = await market.buyer()
    still = (await market.get(f"/listings/{listing['id']}", other)).json()
    assert still["anonymous"] is True
    search = (await market.get("/listings?material=fly_ash", buyer)).json()["items"]
    assert [i["anonymous"] for i in search if i["id"] == listing["id"]] == [False]


async def test_deals_are_visible_to_the_parties_and_regulators_only(
    market: Market, settings: Any
) -> None:
    seller, buyer = await market.seller(), await market.buyer()
    listing = await market.listing(seller)
    deal = await market.ok_buy(listing["id"], buyer)
    other = await market.buyer()
    assert_problem(await market.get(f"/deals/{deal['id']}", other), 404, "does not exist")
    assert (await market.get("/deals", other)).json()["items"] == []
    for party in (seller, buyer):
        ids = [d["id"] for d in (await market.get("/deals", party)).json()["items"]]
        assert ids == [deal["id"]]
    regulator = await make_regulator(settings, market.actors, "reg-deals@example.cn")
    assert (await market.get(f"/deals/{deal['id']}", regulator)).status_code == 200
    r = await market.get(f"/deals?status=active&listing_id={listing['id']}", regulator)
    assert [d["id"] for d in r.json()["items"]] == [deal["id"]]
    assert (await market.get("/deals?status=completed", regulator)).json()["items"] == []
    assert_problem(await market.get("/deals?status=done", seller), 422, "status", "active")
