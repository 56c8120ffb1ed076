"""One guard on every path to a deal (issue #15): a lot with packs is taken whole by buying,
an accepted bid or a tender award, its packs go to that deal and no other; two buyers at
once get one deal; a deal closed before its packs left gives them back; the matcher
proposes cascade lots to cascade-use firms only."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from market.core.settings import Settings
from market.trading.tenders import close_due_tenders
from tests.batteries.helpers import API, Batteries, code, pack
from tests.conftest import Actors, assert_problem
from tests.trading.helpers import Party, in_, in_db, make_due, sql


@pytest.fixture
def market(client: Any, actors: Actors) -> Batteries:
    return Batteries(client, actors)


async def _holders(settings: Settings) -> list[tuple[Any, ...]]:
    rows = await sql(settings, "SELECT code, status, deal_id FROM battery_packs ORDER BY code")
    return [tuple(r) for r in rows]


async def test_an_accepted_bid_takes_the_packs(market: Batteries, settings: Settings) -> None:
    seller = await market.seller()
    lot = await market.lot(seller)
    await market.ok_add(lot["id"], seller, [pack(1), pack(2)])
    buyer = await market.recycler(settings)
    bid = await market.ok_bid(lot["id"], buyer, quantity_t="3.5", price_cny_t="8500.00")
    r = await market.act(bid["id"], "accept", seller)
    assert r.status_code in (200, 201), r.text
    deal_id = r.json()["deal"]["id"]
    assert await _holders(settings) == [(code(1), "sold", deal_id), (code(2), "sold", deal_id)]


async def test_a_tender_passes_over_a_bid_for_part_of_the_lot(
    market: Batteries, settings: Settings
) -> None:
    seller = await market.seller()
    lot = await market.lot(seller)
    r = await market.client.post(
        f"{API}/listings/{lot['id']}/tender",
        headers=seller.headers,
        json={"closes_at": in_(hours=2), "reserve_price_cny_t": "5000.00"},
    )
    assert r.status_code == 201, r.text
    tender = r.json()
    part, whole = await market.recycler(settings), await market.recycler(settings)
    # Bids placed before the packs were listed: the best one is for part of the lot.
    top = await market.ok_bid(lot["id"], part, quantity_t="1", price_cny_t="9900.00")
    second = await market.ok_bid(lot["id"], whole, quantity_t="3.5", price_cny_t="9000.00")
    await market.ok_add(lot["id"], seller, [pack(1), pack(2)])
    # From now on a bid for part of the lot is refused up front.
    late = await market.bid(lot["id"], part, quantity_t="2", price_cny_t="9999.00")
    assert_problem(late, 409, "traded whole")
    await make_due(settings, tender["id"])
    assert await in_db(settings, close_due_tenders) == [tender["id"]]
    closed = (await market.get(f"/tenders/{tender['id']}", seller)).json()
    assert closed["winning_bid_id"] == second["id"]
    assert (await market.get(f"/bids/{top['id']}", seller)).json()["status"] == "lost"
    assert {s for _, s, _ in await _holders(settings)} == {"sold"}
    assert {d for _, _, d in await _holders(settings)} == {closed["deal_id"]}


async def test_two_buyers_at_once_get_one_deal(market: Batteries, settings: Settings) -> None:
    seller = await market.seller()
    lot = await market.lot(seller)
    await market.ok_add(lot["id"], seller, [pack(s) for s in range(1, 6)])
    buyers = [await market.recycler(settings) for _ in range(4)]
    answers = await asyncio.gather(*(market.buy(lot["id"], b, quantity_t="3.5") for b in buyers))
    assert sorted(a.status_code for a in answers) == [201, 409, 409, 409]
    deals = {d for _, _, d in await _holders(settings)}
    assert len(deals) == 1 and None not in deals
    sold = await sql(settings, "SELECT count(*) FROM battery_pack_events WHERE kind = 'sold'")
    assert sold[0][0] == 5


async def test_a_deal_closed_short_gives_its_packs_back(
    market: Batteries, settings: Settings
) -> None:
    seller = await market.seller()
    lot = await market.lot(seller)
    await market.ok_add(lot["id"], seller, [pack(1), pack(2)])
    buyer = await market.recycler(settings)
    deal = await market.ok_buy(lot["id"], buyer, quantity_t="3.5")
    r = await market.client.post(f"{API}/deals/{deal['id']}/close", headers=buyer.headers)
    assert r.status_code == 200, r.text
    back = (await market.get(f"/listings/{lot['id']}/packs", seller)).json()
    assert {(p["status"], p["listing_id"]) for p in back["items"]} == {("listed", lot["id"])}
    other = await market.recycler(settings)
    again = await market.ok_buy(lot["id"], other, quantity_t="3.5")
    assert {d for _, _, d in await _holders(settings)} == {again["id"]}


async def _demand(market: Batteries, who: Party) -> int:
    body = {
        "site_id": who.site["id"],
        "material_code": "battery_lfp",
        "quantity_t": "5",
        "max_haul_km": "300",
    }
    r = await market.client.post(f"{API}/demands", headers=who.headers, json=body)
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


async def test_matches_follow_the_battery_use(market: Batteries, settings: Settings) -> None:
    seller = await market.seller()
    cascade = await market.lot(seller)
    recycling = await market.lot(seller)
    r = await market.client.put(
        f"{API}/listings/{cascade['id']}/battery-use",
        headers=seller.headers,
        json={"battery_use": "cascade"},
    )
    assert r.status_code == 200, r.text
    recycler = await market.recycler(settings, miit_listed=True)
    second_life = await market.recycler(settings, miit_cascade_listed=True)
    demands = {who.org_id: await _demand(market, who) for who in (recycler, second_life)}

    async def matched(listing_id: int) -> set[int]:
        r = await market.get(f"/listings/{listing_id}/matches", seller)
        assert r.status_code == 200, r.text
        return {i["demand"]["id"] for i in r.json()["items"]}

    assert await matched(cascade["id"]) == {demands[second_life.org_id]}
    assert await matched(recycling["id"]) == {demands[recycler.org_id]}
