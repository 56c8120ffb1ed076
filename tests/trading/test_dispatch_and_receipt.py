"""Shipments: dispatch by the producer, receipt by the buyer, disputes, overdue loads, and
the deal completing when its tonnes have arrived."""

from __future__ import annotations

from typing import Any

import pytest

from market.trading.shipments import flag_overdue
from tests.conftest import Actors, assert_problem
from tests.trading.helpers import (
    Market,
    Party,
    ago,
    grant_permit,
    in_,
    in_db,
    make_regulator,
    update_row,
)


@pytest.fixture
def market(client: Any, actors: Actors) -> Market:
    return Market(client, actors)


async def _deal(
    market: Market, quantity: str = "100", **listing: Any
) -> tuple[Party, Party, dict[str, Any]]:
    seller, buyer = await market.seller(), await market.buyer()
    lot = await market.listing(seller, quantity_t=quantity, **listing)
    deal = await market.ok_buy(lot["id"], buyer, quantity_t=quantity)
    return seller, buyer, deal


async def test_two_loads_complete_the_deal_and_close_the_listing(market: Market) -> None:
    seller, buyer, deal = await _deal(market)
    first = await market.ok_ship(deal["id"], seller, dispatched_t="60", vehicle_plate=" 鄂h·a1234 ")
    assert first["status"] == "dispatched" and first["vehicle_plate"] == "鄂H·A1234"
    assert first["received_t"] is None and first["overdue"] is False
    r = await market.receive(first["id"], buyer, received_t="59.5")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "received" and r.json()["received_t"] == "59.500"
    mid = (await market.get(f"/deals/{deal['id']}", buyer)).json()
    assert mid["delivered_t"] == "59.500" and mid["status"] == "active"
    second = await market.ok_ship(deal["id"], seller, dispatched_t="40.5")
    r = await market.receive(second["id"], buyer, received_t="40.5")
    assert r.status_code == 200, r.text
    done = (await market.get(f"/deals/{deal['id']}", seller)).json()
    assert done["status"] == "completed" and done["delivered_t"] == "100.000"
    assert done["completed_at"] is not None
    assert [s["id"] for s in done["shipments"]] == [first["id"], second["id"]]
    lot = (await market.get(f"/listings/{deal['listing_id']}", seller)).json()
    assert lot["status"] == "closed" and lot["delivered_t"] == "100.000"
    assert lot["reserved_t"] == "0.000"
    assert_problem(await market.ship(deal["id"], seller), 409, "completed")


async def test_weighbridge_mismatch_beyond_tolerance_is_disputed(market: Market) -> None:
    seller, buyer, deal = await _deal(market)
    ok = await market.ok_ship(deal["id"], seller, dispatched_t="50")
    r = await market.receive(ok["id"], buyer, received_t="49.000")  # exactly 2 %
    assert r.json()["status"] == "received" and r.json()["discrepancy_pct"] == "-2.000"
    off = await market.ok_ship(deal["id"], seller, dispatched_t="40")
    r = await market.receive(off["id"], buyer, received_t="38.8")  # -3 %
    assert r.json()["status"] == "disputed" and r.json()["discrepancy_pct"] == "-3.000"
    disputed = (await market.get("/shipments?status=disputed", buyer)).json()["items"]
    assert [s["id"] for s in disputed] == [off["id"]]
    # A disputed load still arrived: the receiver's tonnes count as delivered.
    seen = (await market.get(f"/deals/{deal['id']}", buyer)).json()
    assert seen["delivered_t"] == "87.800"


async def test_receiving_twice_or_by_the_wrong_organisation(market: Market, settings: Any) -> None:
    seller, buyer, deal = await _deal(market)
    load = await market.ok_ship(deal["id"], seller)
    assert_problem(
        await market.receive(load["id"], seller, received_t="50"), 403, "only the receiving"
    )
    stranger = await market.buyer()
    assert_problem(await market.receive(load["id"], stranger, received_t="50"), 404)
    regulator = await make_regulator(settings, market.actors, "reg-ship@example.cn")
    r = await market.client.post(
        f"/api/v1/shipments/{load['id']}/receive", headers=regulator, json={"received_t": "50"}
    )
    assert_problem(r, 403, "only the receiving")
    assert (await market.receive(load["id"], buyer, received_t="50")).status_code == 200
    assert_problem(
        await market.receive(load["id"], buyer, received_t="50"), 409, "already received"
    )
    seen = (await market.get(f"/deals/{deal['id']}", buyer)).json()
    assert seen["delivered_t"] == "50.000"


async def test_shipment_bad_input(market: Market, settings: Any) -> None:
    seller, buyer, deal = await _deal(market)
    did = deal["id"]
    # The deal was made yesterday, so a load two hours ago is plausible.
    await update_row(settings, "deals", did, created_at=ago(days=1))
    cases: list[tuple[dict[str, Any], int, tuple[str, ...]]] = [
        ({"dispatched_t": "-1"}, 422, ("dispatched_t", "greater than 0")),
        ({"dispatched_t": "0"}, 422, ("dispatched_t", "greater than 0")),
        ({"dispatched_t": "103"}, 409, ("only 100.000 t", "remain")),
        ({"vehicle_plate": ""}, 422, ("vehicle_plate",)),
        ({"carrier": None}, 422, ("carrier",)),
        ({"dispatched_at": in_(days=1)}, 422, ("dispatched_at", "future")),
        ({"weight": "5"}, 422, ("weight",)),
    ]
    for over, status, fragments in cases:
        assert_problem(await market.ship(did, seller, **over), status, *fragments)
    assert_problem(await market.ship(did, buyer), 403, "only the producer")
    assert_problem(await market.ship(987654, seller), 404, "987654")
    load = await market.ok_ship(did, seller, dispatched_at=in_(hours=-2))
    for body, status, fragments in [
        ({"received_t": "-50"}, 422, ("received_t", "greater than 0")),
        ({}, 422, ("received_t",)),
        ({"received_t": "50", "received_at": in_(hours=-3)}, 422, ("received_at", "before")),
        ({"received_t": "50", "received_at": in_(days=1)}, 422, ("received_at", "future")),
    ]:
        assert_problem(await market.receive(load["id"], buyer, **body), status, *fragments)
    assert (await market.get("/shipments?status=received", buyer)).json()["items"] == []
    assert_problem(await market.get("/shipments?status=lost", buyer), 422, "status", "dispatched")


async def test_hazardous_waste_needs_a_manifest_number(market: Market, settings: Any) -> None:
    seller, buyer = await market.seller(), await market.buyer()
    await grant_permit(settings, buyer.org_id, "HW08")
    lot = await market.listing(seller, quantity_t="100", material_code="waste_mineral_oil")
    deal = await market.ok_buy(lot["id"], buyer, quantity_t="100")
    # The platform numbers the transfer manifest (转移联单) itself; free text is refused.
    for text in ("ABC", "HB4208-2026-000123"):
        r = await market.ship(deal["id"], seller, manifest_no=text)
        assert_problem(r, 422, "manifest_no", "14 digits")
    load = await market.ok_ship(deal["id"], seller, manifest_no="  ", dispatched_t="10")
    number = load["manifest_no"]
    assert len(number) == 14 and number.isdigit() and number[4:8] == "4208", number


async def test_late_loads_are_flagged_overdue(market: Market, settings: Any) -> None:
    seller, buyer, deal = await _deal(market)
    late = await market.ok_ship(deal["id"], seller, dispatched_t="10")
    fresh = await market.ok_ship(deal["id"], seller, dispatched_t="10")
    assert late["due_at"] > late["dispatched_at"]
    await update_row(settings, "shipments", late["id"], due_at=ago(minutes=1))
    flagged = await in_db(settings, flag_overdue)
    assert flagged == [late["id"]]
    assert await in_db(settings, flag_overdue) == [], "flagged once"
    overdue = (await market.get("/shipments?overdue=true", seller)).json()["items"]
    assert [s["id"] for s in overdue] == [late["id"]]
    listed = (await market.get("/shipments?status=dispatched", buyer)).json()["items"]
    assert {s["id"] for s in listed} == {late["id"], fresh["id"]}
    stranger = await market.buyer()
    assert (await market.get("/shipments", stranger)).json()["items"] == []
