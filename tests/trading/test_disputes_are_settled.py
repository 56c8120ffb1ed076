"""A receipt beyond the weighbridge tolerance is disputed, both parties are told, and it is
settled by agreement or by a regulator; the settled tonnes then count everywhere."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from market.alerts.models import Notification, WebhookDelivery
from market.trading.receipts import execute_core, receipts
from tests.conftest import Actors, assert_problem
from tests.trading.helpers import Market, Party, in_db, make_regulator, update_row


@pytest.fixture
def market(client: Any, actors: Actors) -> Market:
    return Market(client, actors)


async def disputed_load(
    market: Market, received: str = "97", dispatched: str = "100", quantity: str = "100"
) -> tuple[Party, Party, dict[str, Any], dict[str, Any]]:
    seller, buyer = await market.seller(), await market.buyer()
    lot = await market.listing(seller, quantity_t=quantity)
    deal = await market.ok_buy(lot["id"], buyer, quantity_t=quantity)
    load = await market.ok_ship(deal["id"], seller, dispatched_t=dispatched)
    r = await market.receive(load["id"], buyer, received_t=received)
    assert r.status_code == 200 and r.json()["status"] == "disputed", r.text
    return seller, buyer, deal, load


async def post(market: Market, load: dict[str, Any], step: str, who: Any, **body: Any) -> Any:
    headers = who.headers if isinstance(who, Party) else who
    return await market.client.post(
        f"/api/v1/shipments/{load['id']}/dispute/{step}", headers=headers, json=body
    )


#: The events of a dispute (deals and loads raise others too: tests/alerts/test_trading_events.py).
DISPUTE_EVENTS = ("shipment.disputed", "shipment.settled")


async def notes(settings: Any, org_id: int) -> list[Notification]:
    async def work(session: AsyncSession) -> list[Notification]:
        stmt = select(Notification).where(
            Notification.organization_id == org_id, col(Notification.kind).in_(DISPUTE_EVENTS)
        )
        return list((await session.exec(stmt.order_by(col(Notification.id)))).all())

    return await in_db(settings, work)


async def counted(settings: Any, shipment_id: int) -> Any:
    async def work(session: AsyncSession) -> Any:
        r = receipts(session.get_bind().dialect.name)
        stmt = sa.select(r.c.received_t, r.c.booked_t).where(r.c.shipment_id == shipment_id)
        return (await execute_core(session, stmt)).one()

    return await in_db(settings, work)


async def test_agreed_settlement_counts_in_deal_listing_and_statistics(
    market: Market, settings: Any
) -> None:
    seller, buyer = await market.seller(), await market.buyer()
    await update_row(
        settings,
        "organizations",
        seller.org_id,
        webhook_url="https://erp.example.cn/hook",
        webhook_secret="s" * 64,
    )
    lot = await market.listing(seller, quantity_t="100")
    deal = await market.ok_buy(lot["id"], buyer, quantity_t="100")
    load = await market.ok_ship(deal["id"], seller, dispatched_t="100")
    r = await market.receive(load["id"], buyer, received_t="97")
    assert r.json()["status"] == "disputed"
    dispute = (await market.get(f"/shipments/{load['id']}/dispute", seller)).json()
    assert dispute["status"] == "open" and dispute["credited_t"] == "97.000"
    assert dispute["dispatched_t"] == "100.000" and dispute["received_t"] == "97.000"
    # Both parties are told, and the seller's webhook is queued with the same event.
    for party in (seller, buyer):
        (note,) = await notes(settings, party.org_id)
        assert note.kind == "shipment.disputed" and note.payload["shipment_id"] == load["id"]
        assert note.payload["received_t"] == "97.000"
    listed = (await market.get("/notifications", buyer)).json()["items"]
    assert listed[0]["kind"] == "shipment.disputed"
    assert listed[0]["payload"]["dispatched_t"] == "100.000"

    async def deliveries(session: AsyncSession) -> list[str]:
        stmt = select(WebhookDelivery.event).where(col(WebhookDelivery.event).in_(DISPUTE_EVENTS))
        return list((await session.exec(stmt)).all())

    assert await in_db(settings, deliveries) == ["shipment.disputed"]

    r = await post(market, load, "propose", buyer, settled_t="98", note="两磅差异折中")
    assert r.status_code == 200, r.text
    assert r.json()["proposed_t"] == "98.000"
    assert r.json()["proposed_by_org_id"] == buyer.org_id
    assert_problem(await post(market, load, "accept", buyer), 403, "other party")
    r = await post(market, load, "propose", seller, settled_t="99.5")  # a counter-proposal
    assert r.json()["proposed_by_org_id"] == seller.org_id
    assert_problem(await post(market, load, "accept", buyer, settled_t="98"), 409, "99.500")
    r = await post(market, load, "accept", buyer, settled_t="99.5")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "settled" and r.json()["settled_t"] == "99.500"
    assert r.json()["method"] == "agreed"
    assert_problem(await post(market, load, "propose", seller, settled_t="99"), 409, "already")

    seen = (await market.get(f"/deals/{deal['id']}", seller)).json()
    assert seen["delivered_t"] == "99.500" and seen["status"] == "active"
    listing = (await market.get(f"/listings/{lot['id']}", seller)).json()
    assert listing["delivered_t"] == "99.500" and listing["reserved_t"] == "0.500"
    assert tuple(await counted(settings, load["id"])) == (Decimal("99.5"), Decimal("99.5"))
    assert [n.kind for n in await notes(settings, buyer.org_id)] == [
        "shipment.disputed",
        "shipment.settled",
    ]
    trail = (await market.get(f"/audit?entity=shipment&id={load['id']}", buyer)).json()
    actions = [e["action"] for e in trail["events"]]
    assert actions == [
        "dispatched",
        "disputed",
        "dispute_opened",
        "settlement_proposed",
        "settlement_proposed",
        "settled",
    ], actions


async def test_a_regulator_decides_and_the_limits_hold(market: Market, settings: Any) -> None:
    seller, buyer, deal, load = await disputed_load(market, received="95", dispatched="90")
    assert (await market.get(f"/deals/{deal['id']}", buyer)).json()["delivered_t"] == "90.000"
    # Never above what left the producer.
    r = await post(market, load, "propose", buyer, settled_t="90.001")
    assert_problem(r, 422, "settled_t", "90.000 t dispatched")
    assert_problem(await post(market, load, "propose", buyer, settled_t="0"), 422, "settled_t")
    assert_problem(await post(market, load, "accept", seller), 409, "nobody has proposed")
    stranger = await market.buyer()
    assert_problem(await post(market, load, "propose", stranger, settled_t="80"), 404)
    assert_problem(await post(market, load, "decide", seller, settled_t="80"), 403, "regulators")
    regulator = await make_regulator(settings, market.actors, "reg-dispute@example.cn")
    assert_problem(await post(market, load, "propose", regulator, settled_t="80"), 403)
    r = await post(market, load, "decide", regulator, settled_t="91")
    assert_problem(r, 422, "settled_t", "dispatched")
    r = await post(market, load, "decide", regulator, settled_t="88", note="以出厂磅单为准")
    assert r.status_code == 200, r.text
    assert r.json()["method"] == "regulator" and r.json()["settled_t"] == "88.000"
    assert_problem(await post(market, load, "decide", regulator, settled_t="87"), 409, "already")
    seen = (await market.get(f"/deals/{deal['id']}", buyer)).json()
    assert seen["delivered_t"] == "88.000"
    listing = (await market.get(f"/listings/{deal['listing_id']}", seller)).json()
    assert listing["delivered_t"] == "88.000" and listing["reserved_t"] == "12.000"
    assert tuple(await counted(settings, load["id"])) == (Decimal(88), Decimal(88))


async def test_settling_up_completes_the_deal_and_closes_the_listing(
    market: Market, settings: Any
) -> None:
    seller, buyer, deal, load = await disputed_load(market, received="97", dispatched="100")
    assert (await market.get(f"/deals/{deal['id']}", buyer)).json()["status"] == "active"
    await post(market, load, "propose", seller, settled_t="100")
    r = await post(market, load, "accept", buyer)
    assert r.status_code == 200, r.text
    seen = (await market.get(f"/deals/{deal['id']}", buyer)).json()
    assert seen["status"] == "completed" and seen["delivered_t"] == "100.000"
    listing = (await market.get(f"/listings/{deal['listing_id']}", seller)).json()
    assert listing["status"] == "closed" and listing["delivered_t"] == "100.000"


async def test_an_undisputed_receipt_has_no_dispute(market: Market) -> None:
    seller, buyer = await market.seller(), await market.buyer()
    lot = await market.listing(seller, quantity_t="100")
    deal = await market.ok_buy(lot["id"], buyer, quantity_t="100")
    load = await market.ok_ship(deal["id"], seller, dispatched_t="50")
    await market.receive(load["id"], buyer, received_t="49.5")
    assert_problem(await market.get(f"/shipments/{load['id']}/dispute", buyer), 404, "not disputed")
    assert_problem(await post(market, load, "propose", buyer, settled_t="49"), 404)


async def test_the_statistics_count_settled_tonnes_for_a_year_and_for_all_years(
    market: Market, settings: Any
) -> None:
    """The utilisation report's receipts (market.stats.facts.received_tonnes) take a settled
    dispute's tonnes instead of the weighbridge's, next to an undisputed load of the same
    lot: 97 t weighed, 99.5 t settled, + 50 t = 149.5 t — by year and over all years."""
    from market.stats.facts import received_tonnes

    seller, buyer, deal, load = await disputed_load(
        market, received="97", dispatched="100", quantity="200"
    )
    await post(market, load, "propose", seller, settled_t="99.5")
    assert (await post(market, load, "accept", buyer)).status_code == 200
    second = await market.ok_ship(deal["id"], seller, dispatched_t="50")
    assert (await market.receive(second["id"], buyer, received_t="50")).status_code == 200
    china_year = (datetime.now(UTC) + timedelta(hours=8)).year

    async def work(session: AsyncSession) -> list[Decimal]:
        out = []
        for year in (china_year, None):
            r = received_tonnes(year)
            stmt = sa.select(sa.func.sum(r.c.received_t)).where(
                r.c.material_code == deal["material_code"]
            )
            out.append((await execute_core(session, stmt)).scalar_one())
        return out

    assert await in_db(settings, work) == [Decimal("149.5"), Decimal("149.5")]
