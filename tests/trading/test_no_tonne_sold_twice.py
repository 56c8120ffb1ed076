"""Races, for real, on PostgreSQL: 50 clients accepting and buying one listing at once, and
tender closers racing each other. (SQLite serialises every writer, so there is nothing to
race there; these tests skip their SQLite run and do their work on PostgreSQL.)"""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlmodel import select

from market.app import create_app
from market.core.db import make_engine, make_sessionmaker, transaction
from market.offers.models import Listing
from market.trading.models import Deal, Tender
from market.trading.tenders import close_due_tenders, close_tender
from tests.conftest import Actors
from tests.trading.helpers import Market, ago, in_db, make_due, sql

CLIENTS = 50
#: Separate app instances (own engine and pool each), like separate server processes.
PROCESSES = 5


def _postgres_only(settings: Any) -> None:
    if settings.is_sqlite:
        pytest.skip("a concurrency race needs PostgreSQL (SQLite serialises writers)")


async def test_fifty_clients_accept_and_buy_one_listing(settings: Any) -> None:
    _postgres_only(settings)
    settings = settings.model_copy(update={"tender_poll_seconds": 0})
    # Litestar's AsyncTestClient runs the app on its own loop in a portal thread, one
    # request at a time; a race needs the apps started in this loop and a task per request
    # (httpx's ASGI transport). An in-flight counter proves the requests really overlapped.
    inflight = {"now": 0, "max": 0}

    def counted(app: Any) -> Any:
        async def asgi(scope: Any, receive: Any, send: Any) -> None:
            inflight["now"] += 1
            inflight["max"] = max(inflight["max"], inflight["now"])
            try:
                await app(scope, receive, send)
            finally:
                inflight["now"] -= 1

        return asgi

    async with AsyncExitStack() as stack:
        clients = []
        for _ in range(PROCESSES):
            app = create_app(settings)
            await stack.enter_async_context(app.lifespan())
            clients.append(
                await stack.enter_async_context(
                    httpx.AsyncClient(
                        transport=httpx.ASGITransport(app=counted(app)),
                        base_url="http://testserver.local",
                    )
                )
            )
        market = Market(clients[0], Actors(clients[0]))
        seller = await market.seller()
        lot = await market.listing(seller, quantity_t="1000")
        buyers = [await market.buyer() for _ in range(CLIENTS // 2)]
        # Overlapping quantities: 25 bids + 25 buys of 37–61 t ask for ~2,450 t of 1,000 t.
        sizes = [Decimal(37 + (i * 7) % 25) for i in range(CLIENTS)]
        bids = [
            await market.ok_bid(lot["id"], b, quantity_t=str(sizes[i]))
            for i, b in enumerate(buyers)
        ]

        def accept(i: int) -> Any:
            client = clients[i % PROCESSES]
            return client.post(
                f"/api/v1/bids/{bids[i]['id']}/accept", headers=seller.headers, json=None
            )

        def buy(i: int) -> Any:
            client = clients[(i + 1) % PROCESSES]
            body = {"site_id": buyers[i].site["id"], "quantity_t": str(sizes[CLIENTS // 2 + i])}
            return client.post(
                f"/api/v1/listings/{lot['id']}/buy", headers=buyers[i].headers, json=body
            )

        requests = [accept(i) for i in range(len(bids))] + [buy(i) for i in range(len(buyers))]
        responses = await asyncio.gather(*requests)

    assert inflight["max"] >= 10, f"the requests did not overlap: {inflight}"
    codes = [r.status_code for r in responses]
    won = [r for r in responses if r.status_code in (200, 201)]
    lost = [r for r in responses if r.status_code == 409]
    assert len(won) + len(lost) == CLIENTS, codes
    for r in lost:
        detail = r.json()["detail"]
        assert "available" in detail or "is reserved" in detail, detail

    async def state(session: Any) -> tuple[Listing, list[Deal]]:
        listing = await session.get(Listing, lot["id"])
        deals = (await session.exec(select(Deal).where(Deal.listing_id == lot["id"]))).all()
        return listing, list(deals)

    listing, deals = await in_db(settings, state)
    total = sum((d.quantity_t for d in deals), Decimal(0))
    assert len(deals) == len(won) >= 1
    assert total == listing.reserved_t <= listing.quantity_t == Decimal(1000)
    assert min(sizes) > listing.available_t, "it sold until no request could fit"
    # Every reservation was audited once, no more, no less.
    rows = await sql(
        settings,
        "SELECT count(*) FROM audit_events WHERE entity = 'listing' AND action = 'reserved'",
    )
    assert rows[0][0] == len(deals)
    print(
        f"\n{CLIENTS} concurrent clients via {PROCESSES} app instances: {len(deals)} deals, "
        f"{total} t reserved of {listing.quantity_t} t, {len(lost)} refused with 409, "
        f"{inflight['max']} requests in flight at once"
    )


async def _tender_with_bids(client: Any, actors: Actors, settings: Any) -> dict[str, Any]:
    market = Market(client, actors)
    seller = await market.seller()
    lot = await market.listing(seller)
    r = await client.post(
        f"/api/v1/listings/{lot['id']}/tender",
        headers=seller.headers,
        json={"closes_at": (ago(seconds=-3600)).isoformat(), "reserve_price_cny_t": "1.00"},
    )
    assert r.status_code == 201, r.text
    tender = r.json()
    for price in ("10.00", "12.00", "11.00"):
        await market.ok_bid(lot["id"], await market.buyer(), price_cny_t=price)
    await make_due(settings, tender["id"])
    return tender


async def _one_deal_and_one_close(settings: Any, tender_id: int) -> None:
    async def check(session: Any) -> None:
        tender = await session.get(Tender, tender_id)
        assert tender.status == "closed" and tender.outcome == "awarded"
        deals = (await session.exec(select(Deal).where(Deal.tender_id == tender_id))).all()
        assert len(deals) == 1 and deals[0].id == tender.deal_id

    await in_db(settings, check)
    rows = await sql(
        settings,
        "SELECT count(*) FROM audit_events WHERE entity = 'tender' AND action = 'closed' "
        "AND entity_id = :id",
        id=tender_id,
    )
    assert rows[0][0] == 1


async def test_two_closers_race_and_the_tender_closes_once(
    settings: Any, client: Any, actors: Actors
) -> None:
    _postgres_only(settings)
    tender = await _tender_with_bids(client, actors, settings)
    engines = [make_engine(settings) for _ in range(2)]
    factories = [make_sessionmaker(e) for e in engines]
    try:
        # Deterministic interleaving: A claims the tender and holds its transaction open;
        # B starts closing, blocks on the row lock, and finds it closed once A commits.
        async with transaction(factories[0]) as a:
            first = await close_tender(a, tender["id"])
            assert first is not None
            b_task = asyncio.create_task(_close_in(factories[1], tender["id"]))
            await asyncio.sleep(0.3)
            assert not b_task.done(), "B must wait for A's row lock"
        assert await b_task is None
        await _one_deal_and_one_close(settings, tender["id"])

        # Free-for-all: two "processes" run close-due over several due tenders at once.
        tenders = [await _tender_with_bids(client, actors, settings) for _ in range(4)]
        results = await asyncio.gather(*(_close_due_in(f) for f in factories))
        closed = sorted(results[0] + results[1])
        assert closed == sorted(t["id"] for t in tenders), results
        for t in tenders:
            await _one_deal_and_one_close(settings, t["id"])
    finally:
        for e in engines:
            await e.dispose()


async def _close_in(factory: Any, tender_id: int) -> Any:
    async with transaction(factory) as session:
        return await close_tender(session, tender_id)


async def _close_due_in(factory: Any) -> list[int]:
    async with transaction(factory) as session:
        return await close_due_tenders(session)
