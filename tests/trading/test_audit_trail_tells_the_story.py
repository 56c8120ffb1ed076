"""The audit trail: every state change appends an event in the same transaction, the
parties and regulators can read it, and nobody can change it."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.exc import DBAPIError

from tests.conftest import Actors, assert_problem
from tests.trading.helpers import Market, make_regulator, sql


@pytest.fixture
def market(client: Any, actors: Actors) -> Market:
    return Market(client, actors)


async def test_a_completed_deal_tells_its_story_in_order(market: Market, settings: Any) -> None:
    seller, buyer = await market.seller(), await market.buyer()
    lot = await market.listing(seller, quantity_t="80")
    bid = await market.ok_bid(lot["id"], buyer, quantity_t="80", price_cny_t="20.00")
    offer = (await market.act(bid["id"], "counter", seller, {"price_cny_t": "24.00"})).json()
    deal = (await market.act(offer["id"], "accept", buyer)).json()["deal"]
    load = await market.ok_ship(deal["id"], seller, dispatched_t="80")
    assert (await market.receive(load["id"], buyer, received_t="79.5")).status_code == 200
    last = await market.ok_ship(deal["id"], seller, dispatched_t="0.5")
    assert (await market.receive(last["id"], buyer, received_t="0.5")).status_code == 200

    r = await market.get(f"/audit?entity=deal&id={deal['id']}", buyer)
    assert r.status_code == 200, r.text
    events = r.json()["events"]
    story = [(e["entity"], e["entity_id"], e["action"]) for e in events]
    assert story == [
        ("bid", bid["id"], "placed"),
        ("bid", bid["id"], "countered"),
        ("bid", offer["id"], "countered_with"),
        ("bid", offer["id"], "accepted"),
        ("deal", deal["id"], "created"),
        ("shipment", load["id"], "dispatched"),
        ("shipment", load["id"], "received"),
        ("deal", deal["id"], "delivered"),
        ("shipment", last["id"], "dispatched"),
        ("shipment", last["id"], "received"),
        ("deal", deal["id"], "completed"),
    ]
    ids = [e["id"] for e in events]
    assert ids == sorted(ids)
    times = [e["at"] for e in events]
    assert times == sorted(times)
    by_action: dict[tuple[str, str], dict[str, Any]] = {}
    for e in events:
        by_action.setdefault((e["entity"], e["action"]), e)
    placed = by_action[("bid", "placed")]
    assert placed["before"] is None and placed["after"]["price_cny_t"] == "20.00"
    assert placed["actor_org_id"] == buyer.org_id and placed["actor_user_id"] is not None
    accepted = by_action[("bid", "accepted")]
    assert accepted["before"] == {"status": "pending"} and accepted["after"] == {
        "status": "accepted"
    }
    assert accepted["actor_org_id"] == buyer.org_id
    created = by_action[("deal", "created")]
    assert created["after"]["quantity_t"] == "80.000" and created["after"]["price_cny_t"] == "24.00"
    received = by_action[("shipment", "received")]
    assert received["before"] == {"status": "dispatched"}
    assert received["after"]["received_t"] == "79.500"
    completed = by_action[("deal", "completed")]
    assert completed["before"] == {"status": "active", "delivered_t": "79.500"}
    assert completed["after"]["status"] == "completed"

    listing_trail = (await market.get(f"/audit?entity=listing&id={lot['id']}", seller)).json()
    actions = [(e["action"], (e["after"] or {}).get("status")) for e in listing_trail["events"]]
    assert actions == [
        ("created", "open"),
        ("reserved", "reserved"),
        ("delivered", "reserved"),
        ("delivered", "closed"),
    ]


async def test_listing_changes_are_audited_and_failures_leave_no_event(market: Market) -> None:
    seller, buyer = await market.seller(), await market.buyer()
    lot = await market.listing(seller)
    url = f"/api/v1/listings/{lot['id']}"
    r = await market.client.patch(url, headers=seller.headers, json={"price_cny_t": "40.00"})
    assert r.status_code == 200
    r = await market.client.patch(url, headers=seller.headers, json={"status": "draft"})
    assert r.status_code == 409
    bid = await market.ok_bid(lot["id"], buyer)
    assert_problem(await market.act(bid["id"], "accept", seller, {"quantity_t": "5000"}), 422)
    assert (await market.client.post(f"{url}/withdraw", headers=seller.headers)).status_code == 200
    trail = (await market.get(f"/audit?entity=listing&id={lot['id']}", seller)).json()["events"]
    assert [(e["action"], e["before"], e["after"]) for e in trail[1:]] == [
        ("updated", {"price_cny_t": "35.00"}, {"price_cny_t": "40.00"}),
        ("withdrawn", {"status": "open"}, {"status": "withdrawn"}),
    ]
    bid_trail = (await market.get(f"/audit?entity=bid&id={bid['id']}", buyer)).json()["events"]
    assert [e["action"] for e in bid_trail] == ["placed"]


async def test_who_may_read_the_trail(market: Market, settings: Any) -> None:
    seller, buyer = await market.seller(), await market.buyer()
    lot = await market.listing(seller)
    deal = await market.ok_buy(lot["id"], buyer)
    stranger = await market.buyer()
    for entity, eid in (("deal", deal["id"]), ("listing", lot["id"])):
        r = await market.get(f"/audit?entity={entity}&id={eid}", stranger)
        assert_problem(r, 403, "only the parties and regulators")
        assert (await market.get(f"/audit?entity={entity}&id={eid}", buyer)).status_code == 200
    regulator = await make_regulator(settings, market.actors, "reg-audit@example.cn")
    r = await market.get(f"/audit?entity=deal&id={deal['id']}", regulator)
    assert [e["action"] for e in r.json()["events"]] == ["created"]
    assert_problem(await market.get("/audit?entity=user&id=1", regulator), 422, "entity", "listing")
    assert_problem(await market.get("/audit?entity=deal&id=987654", regulator), 404, "987654")
    assert_problem(await market.get("/audit?entity=deal", regulator), 422, "id", "required")
    assert_problem(await market.get("/audit?entity=deal&id=0", regulator), 422, "id")


async def test_events_cannot_be_changed_on_postgresql(market: Market, settings: Any) -> None:
    if settings.is_sqlite:
        pytest.skip("the append-only trigger is PostgreSQL's (SQLite has no API for it either)")
    seller = await market.seller()
    await market.listing(seller)
    for statement in ("UPDATE audit_events SET action = 'forged'", "DELETE FROM audit_events"):
        with pytest.raises(DBAPIError, match="append-only"):
            await sql(settings, statement)
    rows = await sql(settings, "SELECT action, entity FROM audit_events")
    assert [r[0] for r in rows if r[1] == "listing"] == ["created"]
