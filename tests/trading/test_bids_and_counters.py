"""Bids and counter-offers: placing, answering, who may do what, and bad input."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Actors, assert_problem
from tests.trading.helpers import Market, ago, in_, make_regulator, update_row


@pytest.fixture
def market(client: Any, actors: Actors) -> Market:
    return Market(client, actors)


async def test_bid_accept_in_part_creates_a_deal_and_reserves(market: Market) -> None:
    seller, buyer = await market.seller(), await market.buyer()
    listing = await market.listing(seller)
    bid = await market.ok_bid(
        listing["id"],
        buyer,
        quantity_t="300",
        price_cny_t="32.50",
        delivery_from="2026-12-01",
        delivery_until="2026-12-31",
        use="concrete_admixture",
    )
    assert bid["status"] == "pending" and bid["kind"] == "bid" and bid["offered_by"] == "buyer"
    assert bid["quantity_t"] == "300.000" and bid["price_cny_t"] == "32.50"
    assert bid["buyer_org_id"] == buyer.org_id
    assert bid["seller_org_id"] is None, "the producer stays anonymous to a bidder until a deal"

    r = await market.act(bid["id"], "accept", seller, {"quantity_t": "200"})
    assert r.status_code == 200, r.text
    deal = r.json()["deal"]
    assert r.json()["bid"]["status"] == "accepted"
    assert deal["quantity_t"] == "200.000" and deal["price_cny_t"] == "32.50"
    assert deal["seller"]["id"] == seller.org_id and deal["buyer"]["id"] == buyer.org_id
    assert deal["buyer_site"]["id"] == buyer.site["id"] and deal["use"] == "concrete_admixture"
    assert deal["status"] == "active" and deal["terms"]["source"] == "bid"
    assert deal["delivery_from"] == "2026-12-01"

    seen = (await market.get(f"/listings/{listing['id']}", seller)).json()
    assert seen["reserved_t"] == "200.000" and seen["available_t"] == "800.000"
    assert seen["status"] == "open"


async def test_accepting_twice_is_409_and_changes_nothing(market: Market) -> None:
    seller, buyer = await market.seller(), await market.buyer()
    listing = await market.listing(seller)
    bid = await market.ok_bid(listing["id"], buyer)
    assert (await market.act(bid["id"], "accept", seller)).status_code == 200
    assert_problem(await market.act(bid["id"], "accept", seller), 409, "already accepted")
    assert_problem(await market.act(bid["id"], "reject", seller), 409, "already accepted")
    assert_problem(await market.act(bid["id"], "withdraw", buyer), 409, "already accepted")
    deals = (await market.get("/deals", seller)).json()["items"]
    assert len(deals) == 1
    seen = (await market.get(f"/listings/{listing['id']}", seller)).json()
    assert seen["reserved_t"] == "100.000"


async def test_accepting_the_whole_listing_marks_it_reserved(market: Market) -> None:
    seller, buyer = await market.seller(), await market.buyer()
    listing = await market.listing(seller, quantity_t="100")
    bid = await market.ok_bid(listing["id"], buyer, quantity_t="100")
    assert (await market.act(bid["id"], "accept", seller)).status_code == 200
    seen = (await market.get(f"/listings/{listing['id']}", seller)).json()
    assert seen["status"] == "reserved" and seen["available_t"] == "0.000"
    other = await market.buyer()
    # Fully reserved, it is no longer public, but a would-be buyer hears "sold out", not 404.
    assert_problem(await market.bid(listing["id"], other), 409, "is reserved: sold out")


async def test_reject_and_withdraw(market: Market) -> None:
    seller, buyer = await market.seller(), await market.buyer()
    listing = await market.listing(seller)
    first = await market.ok_bid(listing["id"], buyer)
    r = await market.act(first["id"], "reject", seller)
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    second = await market.ok_bid(listing["id"], buyer)
    assert_problem(await market.act(second["id"], "withdraw", seller), 403, "made this offer")
    r = await market.act(second["id"], "withdraw", buyer)
    assert r.status_code == 200 and r.json()["status"] == "withdrawn"
    assert_problem(await market.act(second["id"], "accept", seller), 409, "already withdrawn")
    assert (await market.get("/deals", seller)).json()["items"] == []


async def test_counter_offer_is_accepted_by_the_bidder(market: Market) -> None:
    seller, buyer = await market.seller(), await market.buyer()
    listing = await market.listing(seller)
    bid = await market.ok_bid(listing["id"], buyer, quantity_t="400", price_cny_t="20.00")
    r = await market.act(
        bid["id"], "counter", seller, {"price_cny_t": "28.00", "quantity_t": "300"}
    )
    assert r.status_code == 201, r.text
    offer = r.json()
    assert offer["kind"] == "counter" and offer["parent_id"] == bid["id"]
    assert offer["offered_by"] == "seller" and offer["price_cny_t"] == "28.00"
    original = (await market.get(f"/bids/{bid['id']}", buyer)).json()
    assert original["status"] == "countered"
    # The seller cannot accept its own counter; the buyer can.
    assert_problem(await market.act(offer["id"], "accept", seller), 403, "only the buyer")
    r = await market.act(offer["id"], "accept", buyer)
    assert r.status_code == 200, r.text
    deal = r.json()["deal"]
    assert deal["quantity_t"] == "300.000" and deal["price_cny_t"] == "28.00"
    assert deal["terms"]["source"] == "counter"


async def test_who_may_answer_and_see_a_bid(market: Market, settings: Any) -> None:
    seller, buyer = await market.seller(), await market.buyer()
    listing = await market.listing(seller)
    bid = await market.ok_bid(listing["id"], buyer)
    stranger = await market.buyer()
    for action in ("accept", "reject", "withdraw"):
        assert_problem(await market.act(bid["id"], action, stranger), 404, "does not exist")
    assert_problem(await market.act(bid["id"], "counter", stranger, {"price_cny_t": "1.00"}), 404)
    assert_problem(await market.act(bid["id"], "accept", buyer), 403, "only the seller")
    assert_problem(await market.get(f"/bids/{bid['id']}", stranger), 404)
    assert (await market.get("/bids", stranger)).json()["items"] == []
    assert [b["id"] for b in (await market.get("/bids", seller)).json()["items"]] == [bid["id"]]
    mine = (await market.get(f"/bids?listing_id={listing['id']}", buyer)).json()["items"]
    assert [b["id"] for b in mine] == [bid["id"]]
    assert (await market.get("/bids?status=accepted", seller)).json()["items"] == []
    assert_problem(await market.get("/bids?status=won", seller), 422, "status", "pending")
    regulator = await make_regulator(settings, market.actors, "reg-bids@example.cn")
    seen = (await market.get(f"/bids/{bid['id']}", regulator)).json()
    assert seen["seller_org_id"] == seller.org_id


async def test_bid_bad_input(market: Market) -> None:
    seller, buyer = await market.seller(), await market.buyer()
    listing = await market.listing(seller, quantity_t="500")
    lid = listing["id"]
    other_buyer = await market.buyer()
    cases: list[tuple[dict[str, Any], int, tuple[str, ...]]] = [
        ({"quantity_t": "600"}, 409, ("only 500.000 t", "available")),
        ({"quantity_t": "-5"}, 422, ("quantity_t", "greater than 0")),
        ({"quantity_t": "1.0001"}, 422, ("quantity_t", "decimal places")),
        ({"price_cny_t": "1.001"}, 422, ("price_cny_t", "decimal places")),
        ({"site_id": other_buyer.site["id"]}, 422, ("site_id", "not a site of the buying")),
        ({"site_id": None}, 422, ("site_id", "demand_id")),
        ({"organization_id": other_buyer.org_id}, 403, ("not a member",)),
        ({"expires_at": in_(hours=-1)}, 422, ("expires_at", "future")),
        ({"expires_at": "2030-01-01T00:00:00"}, 422, ("expires_at", "timezone")),
        ({"use": "rocket_fuel"}, 422, ("use", "not a typical use")),
        ({"tonnes_per_month": "10"}, 422, ("term_months",)),
        ({"tonnes_per_month": "10", "term_months": 3}, 422, ("monthly",)),
        ({"delivery_from": "2027-02-01", "delivery_until": "2027-01-01"}, 422, ("delivery_until",)),
        ({"colour": "red"}, 422, ("colour",)),
        ({"demand_id": 987654}, 422, ("demand_id", "not one of your")),
    ]
    for over, status, fragments in cases:
        assert_problem(await market.bid(lid, buyer, **over), status, *fragments)
    # Bidding on one's own listing.
    r = await market.bid(lid, seller, site_id=seller.site["id"])
    assert_problem(r, 409, "your own organisation's listing")
    assert_problem(await market.bid(987654, buyer), 404, "987654")
    assert (await market.get("/bids", buyer)).json()["items"] == []


async def test_bids_on_closed_or_expired_listings_are_refused(
    market: Market, settings: Any
) -> None:
    seller, buyer = await market.seller(), await market.buyer()
    expired = await market.listing(
        seller, available_from="2020-01-01", available_until="2020-12-31"
    )
    assert_problem(await market.bid(expired["id"], buyer), 409, "expired on 2020-12-31")
    assert_problem(await market.buy(expired["id"], buyer), 409, "expired on 2020-12-31")
    gone = await market.listing(seller)
    bid = await market.ok_bid(gone["id"], buyer)
    r = await market.client.post(f"/api/v1/listings/{gone['id']}/withdraw", headers=seller.headers)
    assert r.status_code == 200
    # Withdrawn lots are not public: 404, never a 409 telling its state.
    assert_problem(await market.bid(gone["id"], buyer), 404, "does not exist")
    draft = await market.listing(seller, status="draft")
    assert_problem(await market.bid(draft["id"], buyer), 404, "does not exist")
    assert_problem(await market.act(bid["id"], "accept", seller), 409, "withdrawn")
    still = (await market.get(f"/bids/{bid['id']}", buyer)).json()
    assert still["status"] == "pending", "a failed accept changes nothing"


async def test_expired_bid_cannot_be_accepted(market: Market, settings: Any) -> None:
    seller, buyer = await market.seller(), await market.buyer()
    listing = await market.listing(seller)
    bid = await market.ok_bid(listing["id"], buyer, expires_at=in_(hours=1))
    await update_row(settings, "bids", bid["id"], expires_at=ago(hours=1))
    assert_problem(await market.act(bid["id"], "accept", seller), 409, "expired")
    assert (await market.get(f"/bids/{bid['id']}", seller)).json()["status"] == "expired"


async def test_buyer_in_several_orgs_must_say_which(market: Market) -> None:
    seller, buyer = await market.seller(), await market.buyer()
    listing = await market.listing(seller)
    second = await market.actors.org(buyer.headers, kind="consumer")
    assert_problem(await market.bid(listing["id"], buyer), 422, "organization_id", "several")
    bid = await market.ok_bid(listing["id"], buyer, organization_id=buyer.org_id)
    assert bid["buyer_org_id"] == buyer.org_id
    r = await market.bid(listing["id"], buyer, organization_id=second["id"])
    assert_problem(r, 422, "site_id", "not a site of the buying")


async def test_bid_linked_to_a_demand_takes_its_site_and_use(market: Market) -> None:
    seller, buyer = await market.seller(), await market.buyer()
    listing = await market.listing(seller)
    r = await market.client.post(
        "/api/v1/demands",
        headers=buyer.headers,
        json={
            "site_id": buyer.site["id"],
            "material_code": "fly_ash",
            "quantity_t": "800",
            "use": "concrete_admixture",
        },
    )
    assert r.status_code == 201, r.text
    demand = r.json()
    bid = await market.ok_bid(listing["id"], buyer, site_id=None, demand_id=demand["id"])
    assert bid["demand_id"] == demand["id"] and bid["buyer_site_id"] == buyer.site["id"]
    assert bid["use"] == "concrete_admixture"
    deal = (await market.act(bid["id"], "accept", seller)).json()["deal"]
    assert deal["demand_id"] == demand["id"] and deal["use"] == "concrete_admixture"
    ggbs = await market.listing(seller, material_code="ggbs")
    r = await market.bid(ggbs["id"], buyer, site_id=None, demand_id=demand["id"])
    assert_problem(r, 422, "demand_id", "fly_ash")


async def test_standing_contract(market: Market) -> None:
    seller, buyer = await market.seller(), await market.buyer()
    listing = await market.listing(seller, cadence="monthly", quantity_t="1200")
    bid = await market.ok_bid(
        listing["id"], buyer, quantity_t=None, tonnes_per_month="100", term_months=12
    )
    assert bid["quantity_t"] == "1200.000" and bid["term_months"] == 12
    assert_problem(
        await market.act(bid["id"], "accept", seller, {"tonnes_per_month": "150"}),
        422,
        "tonnes_per_month",
        "exceed",
    )
    r = await market.act(bid["id"], "accept", seller, {"tonnes_per_month": "50"})
    assert r.status_code == 200, r.text
    deal = r.json()["deal"]
    assert deal["tonnes_per_month"] == "50.000" and deal["term_months"] == 12
    assert deal["quantity_t"] == "600.000"
    seen = (await market.get(f"/listings/{listing['id']}", seller)).json()
    assert seen["reserved_t"] == "600.000"


async def test_accept_bad_input(market: Market) -> None:
    seller, buyer = await market.seller(), await market.buyer()
    listing = await market.listing(seller)
    bid = await market.ok_bid(listing["id"], buyer)
    r = await market.act(bid["id"], "accept", seller, {"quantity_t": "101"})
    assert_problem(r, 422, "quantity_t", "exceed")
    r = await market.act(bid["id"], "accept", seller, {"quantity_t": "0"})
    assert_problem(r, 422, "quantity_t", "greater than 0")
    r = await market.act(bid["id"], "accept", seller, {"tonnes_per_month": "1"})
    assert_problem(r, 422, "tonnes_per_month", "not a standing")
    r = await market.act(
        bid["id"], "counter", seller, {"price_cny_t": "1.00", "quantity_t": "2000"}
    )
    assert_problem(r, 409, "available")
    assert (await market.get(f"/bids/{bid['id']}", seller)).json()["status"] == "pending"


async def test_lists_are_pages_with_the_total(market: Market) -> None:
    """Lists come in the one page envelope; ``total`` counts all the viewer may see, not this
    page: for the producer, a sealed tender bid is not there to count."""
    seller, buyer = await market.seller(), await market.buyer()
    listing = await market.listing(seller)
    for _ in range(3):
        await market.ok_bid(listing["id"], buyer, quantity_t="10")
    tendered = await market.listing(seller)
    r = await market.client.post(
        f"/api/v1/listings/{tendered['id']}/tender",
        headers=seller.headers,
        json={"closes_at": in_(hours=2), "reserve_price_cny_t": "20.00"},
    )
    assert r.status_code == 201, r.text
    await market.ok_bid(tendered["id"], buyer)
    page = (await market.get("/bids?page=2&page_size=2", seller)).json()
    assert (page["total"], page["page"], page["page_size"], len(page["items"])) == (3, 2, 2, 1)
    assert (await market.get("/bids", buyer)).json()["total"] == 4
    stranger = await market.buyer()
    assert (await market.get("/bids", stranger)).json()["total"] == 0
    for _ in range(2):
        await market.ok_buy(listing["id"], buyer, quantity_t="10")
    deals = (await market.get("/deals?page_size=1", buyer)).json()
    assert deals["total"] == 2 and len(deals["items"]) == 1
    deal_id = deals["items"][0]["id"]
    await market.ok_ship(deal_id, seller, dispatched_t="5")
    loads = (await market.get(f"/shipments?deal_id={deal_id}", buyer)).json()
    assert loads["total"] == 1 and loads["page"] == 1 and len(loads["items"]) == 1
