"""Battery lots pack by pack (issue #15): packs in one lot at most, never sold twice, loads
confirmed pack by pack, cascade use vs recycling, on both databases."""

from __future__ import annotations

from typing import Any

import pytest

from market.core.settings import Settings
from tests.batteries.helpers import API, Batteries, code, pack
from tests.conftest import Actors, assert_problem
from tests.trading.helpers import sql


@pytest.fixture
def market(client: Any, actors: Actors) -> Batteries:
    return Batteries(client, actors)


async def test_packs_are_listed_all_or_none_with_row_errors(market: Batteries) -> None:
    seller = await market.seller()
    lot = await market.lot(seller)
    bad = [
        pack(1),
        pack(2, code="ABCPB01"),  # too short
        pack(3, chemistry="NCM"),  # code says LFP (B)
        pack(4, vin="1M8GDM9A1KP042788"),  # wrong check digit
        pack(1),  # repeats row 1
    ]
    r = await market.add(lot["id"], seller, bad)
    body = assert_problem(r, 422, "4 of 5 packs are invalid")
    rows = {(e["row"], e["field"]) for e in body["errors"]}
    assert rows == {("2", "code"), ("3", "chemistry"), ("4", "vin"), ("5", "code")}
    listed = (await market.get(f"/listings/{lot['id']}/packs", seller)).json()
    assert listed["count"] == 0  # nothing written
    ok = await market.ok_add(lot["id"], seller, [pack(1), pack(2)])
    assert ok["count"] == 2 and ok["mass_kg"] == 760
    assert {p["status"] for p in ok["items"]} == {"listed"}
    assert ok["items"][0]["battery_type"] == "B" and ok["items"][0]["product_type"] == "P"


async def test_a_pack_is_in_one_open_lot_at_most(market: Batteries) -> None:
    seller = await market.seller()
    first = await market.lot(seller)
    second = await market.lot(seller)
    await market.ok_add(first["id"], seller, [pack(1)])
    r = await market.add(second["id"], seller, [pack(2), pack(1)])
    body = assert_problem(r, 422)
    assert body["errors"] == [
        {
            "row": "2",
            "field": "code",
            "reason": f"{code(1)} is already in lot {first['id']} (open); a pack is in one lot at most",
        }
    ]
    again = await market.add(first["id"], seller, [pack(1)])
    assert_problem(again, 422, "1 of 1 packs are invalid")
    # Another producer cannot list a pack held by the first.
    other = await market.seller()
    their_lot = await market.lot(other)
    r = await market.add(their_lot["id"], other, [pack(1)])
    assert "held by another organisation" in assert_problem(r, 422)["errors"][0]["reason"]
    # Once the first lot is withdrawn, its packs may go into another lot.
    w = await market.client.post(f"{API}/listings/{first['id']}/withdraw", headers=seller.headers)
    assert w.status_code in (200, 201), w.text
    moved = await market.ok_add(second["id"], seller, [pack(1)])
    assert [p["listing_id"] for p in moved["items"]] == [second["id"]]


async def test_a_pack_is_never_sold_twice(market: Batteries, settings: Settings) -> None:
    seller = await market.seller()
    lot = await market.lot(seller)
    await market.ok_add(lot["id"], seller, [pack(1), pack(2)])
    one = await market.recycler(settings)
    two = await market.recycler(settings)
    # Part of a lot with packs: refused on every path (buy and bid here; the same rule).
    assert_problem(await market.buy(lot["id"], one, quantity_t="1"), 409, "traded whole")
    assert_problem(await market.bid(lot["id"], one, quantity_t="1"), 409, "traded whole")
    deal = await market.ok_buy(lot["id"], one, quantity_t="3.5")
    packs = (await market.get(f"/listings/{lot['id']}/packs", seller)).json()
    assert {(p["status"], p["deal_id"], p["listing_id"]) for p in packs["items"]} == {
        ("sold", deal["id"], None)
    }
    r = await market.buy(lot["id"], two, quantity_t="3.5")
    assert r.status_code == 409, r.text
    # Nor can the seller put a sold pack into a new lot.
    fresh = await market.lot(seller)
    r = await market.add(fresh["id"], seller, [pack(1)])
    assert "was sold in deal" in assert_problem(r, 422)["errors"][0]["reason"]
    rows = await sql(settings, "SELECT count(*) FROM battery_pack_events WHERE kind = 'sold'")
    assert rows[0][0] == 2
    # The database refuses what the services would: a listed pack without a lot.
    with pytest.raises(Exception):  # noqa: B017 (IntegrityError, per driver)
        await sql(settings, "UPDATE battery_packs SET status = 'listed' WHERE listing_id IS NULL")


async def test_a_receipt_records_the_missing_pack(market: Batteries, settings: Settings) -> None:
    seller = await market.seller()
    lot = await market.lot(seller)
    await market.ok_add(lot["id"], seller, [pack(1), pack(2), pack(3)])
    buyer = await market.recycler(settings)
    deal = await market.ok_buy(lot["id"], buyer, quantity_t="3.5")
    load = await market.ok_ship(deal["id"], seller, dispatched_t="1.140")
    r = await market.ship_packs(
        load["id"], seller, [code(1), code(2), code(3), "ABCPB011234567TC39999999"]
    )
    assert_problem(r, 422, "1 of 4 packs are invalid")
    r = await market.ship_packs(load["id"], seller, [code(1), code(2), code(3)])
    assert r.status_code == 200, r.text
    assert_problem(await market.receive_packs(load["id"], seller, [code(1)]), 403)
    bad = await market.receive_packs(load["id"], buyer, [code(1), code(4)])
    assert "was not on this load" in assert_problem(bad, 422)["errors"][0]["reason"]
    ok = await market.receive_packs(load["id"], buyer, [code(1), code(3)])
    assert ok.status_code == 200, ok.text
    assert ok.json() == {
        "shipment_id": load["id"],
        "received": [code(1), code(3)],
        "missing": [code(2)],
    }
    again = await market.receive_packs(load["id"], buyer, [code(2)])
    assert_problem(again, 409, "already confirmed")
    rows = await sql(
        settings,
        "SELECT p.code, p.status, p.holder_org_id FROM battery_packs p ORDER BY p.code",
    )
    assert [tuple(r) for r in rows] == [
        (code(1), "received", buyer.org_id),
        (code(2), "missing", seller.org_id),
        (code(3), "received", buyer.org_id),
    ]
    trail = (await market.get(f"/audit?entity=shipment&id={load['id']}", buyer)).json()
    events = trail["events"]
    missing = [e for e in events if e["action"] == "packs_received"]
    assert missing and missing[0]["after"]["missing"] == [code(2)]
    # The receiver holds its packs now and may list them again (e.g. for recycling).
    buyer_site = buyer.site["id"]
    relist = await market.listing(
        buyer,
        site_id=buyer_site,
        material_code="battery_lfp",
        quantity_t="0.76",
        price_cny_t="8000.00",
    )
    again = await market.ok_add(relist["id"], buyer, [pack(1, soh_pct="40.0"), pack(3)])
    assert again["count"] == 2
    assert_problem(await market.add(relist["id"], buyer, [pack(2)]), 422)


async def test_cascade_lots_go_to_cascade_firms_above_the_cutoff(
    market: Batteries, settings: Settings
) -> None:
    seller = await market.seller()
    lot = await market.lot(seller)
    r = await market.client.put(
        f"{API}/listings/{lot['id']}/battery-use",
        headers=seller.headers,
        json={"battery_use": "cascade"},
    )
    assert r.status_code == 200, r.text
    cutoff = r.json()["cascade_cutoff"]
    assert cutoff["min_soh_pct"] == "20.000000" or float(cutoff["min_soh_pct"]) == 20
    assert cutoff["confirmed"] is False and "DOMAIN.md" in cutoff["source"]
    low = await market.add(lot["id"], seller, [pack(1), pack(2, soh_pct="19.9")])
    assert assert_problem(low, 422)["errors"][0]["field"] == "soh_pct"
    await market.ok_add(lot["id"], seller, [pack(1)])
    recycler = await market.recycler(settings)  # MIIT-listed recycler, not cascade-use
    assert_problem(await market.buy(lot["id"], recycler, quantity_t="3.5"), 403, "cascade-use")
    regulator = await market.regulator(settings)
    r = await market.client.put(
        f"{API}/organizations/{recycler.org_id}/miit-cascade",
        headers=regulator,
        json={"listed": True},
    )
    assert r.status_code == 200 and r.json()["miit_cascade_listed"] is True, r.text
    r = await market.client.put(
        f"{API}/organizations/{recycler.org_id}/miit-cascade",
        headers=seller.headers,
        json={"listed": True},
    )
    assert r.status_code == 403
    deal = await market.ok_buy(lot["id"], recycler, quantity_t="3.5")
    assert deal["listing_id"] == lot["id"]
    # A recycling lot still goes only to MIIT-listed recyclers.
    other = await market.lot(seller)
    cascade_only = await market.recycler(settings, miit_cascade_listed=True)
    assert_problem(await market.buy(other["id"], cascade_only, quantity_t="3.5"), 403, "MIIT list")


async def test_a_dispatch_and_a_receipt_can_carry_the_packs(
    market: Batteries, settings: Settings
) -> None:
    seller = await market.seller()
    lot = await market.lot(seller)
    await market.ok_add(lot["id"], seller, [pack(1), pack(2)])
    buyer = await market.recycler(settings)
    deal = await market.ok_buy(lot["id"], buyer, quantity_t="3.5")
    # A code not sold in this deal: the whole dispatch is refused, no load is recorded.
    bad = await market.ship(deal["id"], seller, dispatched_t="0.76", pack_codes=[code(9)])
    assert_problem(bad, 422, "1 of 1 packs are invalid")
    assert (await market.get(f"/deals/{deal['id']}", seller)).json()["shipments"] == []
    load = await market.ok_ship(
        deal["id"], seller, dispatched_t="0.76", pack_codes=[code(1), code(2)]
    )
    r = await market.receive(load["id"], buyer, received_t="0.38", pack_codes=[code(2)])
    assert r.status_code == 200, r.text
    rows = await sql(settings, "SELECT code, status FROM battery_packs ORDER BY code")
    assert [tuple(x) for x in rows] == [(code(1), "missing"), (code(2), "received")]
    # Without pack_codes a receipt leaves the packs to be confirmed on their own.
    other = await market.lot(seller)
    await market.ok_add(other["id"], seller, [pack(3)])
    deal2 = await market.ok_buy(other["id"], buyer, quantity_t="3.5")
    load2 = await market.ok_ship(deal2["id"], seller, dispatched_t="0.38", pack_codes=[code(3)])
    r = await market.receive(load2["id"], buyer, received_t="0.38")
    assert r.status_code == 200, r.text
    r = await market.receive_packs(load2["id"], buyer, [code(3)])
    assert r.json()["received"] == [code(3)]
