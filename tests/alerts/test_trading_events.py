"""Trading events reach the right organisations, once each: a notification and, with a webhook
set, one queued signed delivery of the same event; bid and tender events never name the
producer."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from market.alerts.models import Notification, WebhookDelivery
from market.trading.tenders import close_due_tenders
from tests.conftest import Actors
from tests.trading.helpers import Market, Party, in_, in_db, make_due, update_row

HOOK = "https://erp.example.cn/hook"


@pytest.fixture
def market(client: Any, actors: Actors) -> Market:
    return Market(client, actors)


async def with_webhook(settings: Any, party: Party) -> Party:
    await update_row(
        settings, "organizations", party.org_id, webhook_url=HOOK, webhook_secret="s" * 64
    )
    return party


async def told(settings: Any, party: Party) -> list[tuple[str, dict[str, Any]]]:
    """(kind, payload) of every notification the party's organisation got, oldest first."""

    async def work(session: AsyncSession) -> list[tuple[str, dict[str, Any]]]:
        stmt = select(Notification).where(Notification.organization_id == party.org_id)
        rows = (await session.exec(stmt.order_by(col(Notification.id)))).all()
        return [(n.kind, dict(n.payload)) for n in rows]

    return await in_db(settings, work)


async def queued(settings: Any, party: Party) -> list[dict[str, Any]]:
    """The bodies of the party's queued webhook deliveries, oldest first (event checked)."""

    async def work(session: AsyncSession) -> list[dict[str, Any]]:
        stmt = select(WebhookDelivery).where(WebhookDelivery.organization_id == party.org_id)
        rows = (await session.exec(stmt.order_by(col(WebhookDelivery.id)))).all()
        bodies = []
        for row in rows:
            assert row.status == "pending" and row.url == HOOK
            body = json.loads(row.body)
            assert body["event"] == row.event
            bodies.append(body)
        return bodies

    return await in_db(settings, work)


async def kinds(settings: Any, party: Party) -> list[str]:
    return [kind for kind, _ in await told(settings, party)]


async def only(settings: Any, party: Party, kind: str) -> dict[str, Any]:
    """The party's one notification of ``kind`` (and its one queued delivery)."""
    (payload,) = [p for k, p in await told(settings, party) if k == kind]
    (body,) = [b for b in await queued(settings, party) if b["event"] == kind]
    assert body["data"] == payload
    return payload


def private(payload: dict[str, Any], seller: Party) -> None:
    """Nothing in the payload names the producer or pins its site."""
    text = json.dumps(payload, ensure_ascii=False)
    assert seller.org["name"] not in text
    assert str(seller.org_id) not in json.dumps(
        {k: v for k, v in payload.items() if k.endswith("org_id")}
    )
    listing = payload["listing"]
    assert "organization" not in listing and listing["site"]["approximate"] is True
    assert listing["site"]["lon"] == 112.12 and listing["site"]["lat"] == 31.23


async def test_bid_counter_and_accept_tell_the_other_side_each_time(
    market: Market, settings: Any
) -> None:
    seller = await with_webhook(settings, await market.seller())
    buyer = await with_webhook(settings, await market.buyer())
    lot = await market.listing(seller)
    bid = await market.ok_bid(lot["id"], buyer, quantity_t="400", price_cny_t="20.00")
    received = await only(settings, seller, "bid.received")
    assert received["bid_id"] == bid["id"] and received["listing_id"] == lot["id"]
    assert received["quantity_t"] == "400.000" and received["price_cny_t"] == "20.00"
    assert received["offered_by"] == "buyer" and received["status"] == "pending"
    assert await kinds(settings, buyer) == []

    r = await market.act(bid["id"], "counter", seller, {"price_cny_t": "28.00"})
    assert r.status_code == 201, r.text
    offer = r.json()
    countered = await only(settings, buyer, "bid.countered")
    assert countered["bid_id"] == offer["id"] and countered["parent_id"] == bid["id"]
    assert countered["price_cny_t"] == "28.00" and countered["offered_by"] == "seller"
    private(countered, seller)

    r = await market.act(offer["id"], "counter", buyer, {"price_cny_t": "25.50"})
    assert r.status_code == 201, r.text
    back = r.json()
    assert (await only(settings, seller, "bid.countered"))["bid_id"] == back["id"]

    r = await market.act(back["id"], "accept", seller)
    assert r.status_code == 200, r.text
    deal = r.json()["deal"]
    accepted = await only(settings, buyer, "bid.accepted")
    assert accepted["bid_id"] == back["id"] and accepted["deal_id"] == deal["id"]
    assert accepted["status"] == "accepted" and accepted["price_cny_t"] == "25.50"
    for party in (seller, buyer):
        created = await only(settings, party, "deal.created")
        assert created["deal_id"] == deal["id"] and created["bid_id"] == back["id"]
        assert created["quantity_t"] == "400.000" and created["price_cny_t"] == "25.50"
        assert created["source"] == "counter"
    assert await kinds(settings, seller) == ["bid.received", "bid.countered", "deal.created"]
    assert await kinds(settings, buyer) == ["bid.countered", "deal.created", "bid.accepted"]


async def test_rejected_bid_tells_the_bidder_only(market: Market, settings: Any) -> None:
    seller, buyer = await market.seller(), await with_webhook(settings, await market.buyer())
    lot = await market.listing(seller)
    bid = await market.ok_bid(lot["id"], buyer)
    assert (await market.act(bid["id"], "reject", seller)).status_code == 200
    rejected = await only(settings, buyer, "bid.rejected")
    assert rejected["bid_id"] == bid["id"] and rejected["status"] == "rejected"
    assert rejected["deal_id"] is None
    private(rejected, seller)
    assert await kinds(settings, seller) == ["bid.received"]
    assert await queued(settings, seller) == []  # no webhook set: notification only


async def test_tender_close_tells_each_bidder_won_or_lost(market: Market, settings: Any) -> None:
    seller = await with_webhook(settings, await market.seller())
    a = await with_webhook(settings, await market.buyer())
    b = await with_webhook(settings, await market.buyer())
    lot = await market.listing(seller, quantity_t="500")
    r = await market.client.post(
        f"/api/v1/listings/{lot['id']}/tender",
        headers=seller.headers,
        json={"closes_at": in_(hours=2), "reserve_price_cny_t": "20.00"},
    )
    assert r.status_code == 201, r.text
    tender = r.json()
    low = await market.ok_bid(lot["id"], a, quantity_t="500", price_cny_t="25.00")
    high = await market.ok_bid(lot["id"], b, quantity_t="500", price_cny_t="31.00")
    assert await kinds(settings, seller) == [], "sealed: the producer hears of no bid"
    await make_due(settings, tender["id"])
    assert await in_db(settings, close_due_tenders) == [tender["id"]]

    won = await only(settings, b, "tender.won")
    assert won["tender_id"] == tender["id"] and won["bid_id"] == high["id"]
    assert won["result"] == "won" and won["price_cny_t"] == "31.00" and won["deal_id"]
    lost = await only(settings, a, "tender.lost")
    assert lost["bid_id"] == low["id"] and lost["deal_id"] is None
    assert "31.00" not in json.dumps(lost), "a loser does not learn the winning price"
    private(won, seller)
    private(lost, seller)
    assert await kinds(settings, a) == ["tender.lost"]
    assert await kinds(settings, b) == ["deal.created", "tender.won"]
    assert await kinds(settings, seller) == ["deal.created"]
    assert (await only(settings, seller, "deal.created"))["tender_id"] == tender["id"]


async def test_shipment_events_reach_receiver_then_producer(market: Market, settings: Any) -> None:
    seller = await with_webhook(settings, await market.seller())
    buyer = await with_webhook(settings, await market.buyer())
    lot = await market.listing(seller, quantity_t="100")
    deal = await market.ok_buy(lot["id"], buyer, quantity_t="100")
    assert (await only(settings, buyer, "deal.created"))["source"] == "buy"
    assert (await only(settings, seller, "deal.created"))["deal_id"] == deal["id"]

    load = await market.ok_ship(deal["id"], seller, dispatched_t="50")
    dispatched = await only(settings, buyer, "shipment.dispatched")
    assert dispatched["shipment_id"] == load["id"] and dispatched["deal_id"] == deal["id"]
    assert dispatched["dispatched_t"] == "50.000" and dispatched["received_t"] is None
    assert "shipment.dispatched" not in await kinds(settings, seller)

    r = await market.receive(load["id"], buyer, received_t="49.9")
    assert r.status_code == 200 and r.json()["status"] == "received", r.text
    received = await only(settings, seller, "shipment.received")
    assert received["status"] == "received" and received["received_t"] == "49.900"
    assert await kinds(settings, seller) == ["deal.created", "shipment.received"]
    assert await kinds(settings, buyer) == ["deal.created", "shipment.dispatched"]

    # A receipt beyond the tolerance: received (producer) and disputed (both), once each.
    second = await market.ok_ship(deal["id"], seller, dispatched_t="50")
    r = await market.receive(second["id"], buyer, received_t="45")
    assert r.json()["status"] == "disputed", r.text
    seller_kinds = await kinds(settings, seller)
    assert seller_kinds[-2:] == ["shipment.received", "shipment.disputed"]
    assert (await kinds(settings, buyer))[-2:] == ["shipment.dispatched", "shipment.disputed"]
    bodies = [b["event"] for b in await queued(settings, seller)]
    assert bodies == seller_kinds


async def test_notifications_list_every_trading_event(market: Market, settings: Any) -> None:
    """The notifications API types each payload (bid, deal and shipment events alike)."""
    seller, buyer = await market.seller(), await market.buyer()
    lot = await market.listing(seller)
    bid = await market.ok_bid(lot["id"], buyer)
    assert (await market.act(bid["id"], "accept", seller)).status_code == 200
    r = await market.get("/notifications", buyer)
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert [i["kind"] for i in items] == ["bid.accepted", "deal.created"]
    assert items[0]["payload"]["listing"]["site"]["approximate"] is True
    assert items[1]["payload"]["deal_id"] == items[0]["payload"]["deal_id"]
    r = await market.get("/notifications", seller)
    assert [i["kind"] for i in r.json()["items"]] == ["deal.created", "bid.received"]
