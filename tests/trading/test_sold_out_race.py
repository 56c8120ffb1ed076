"""Fifty buyers race for a lot that sells out exactly: 200 t, 50 × 10 t. Twenty get a deal,
the thirty too late hear 409 "reserved: sold out", nobody hears 404, and the lot holds exactly
what the deals took.

On PostgreSQL the requests really race (five app instances, each its own engine and pool, all
in this event loop through httpx's ASGI transport, as in ``test_no_tonne_sold_twice.py``); on
SQLite writers queue (``BEGIN IMMEDIATE``), so the same outcome must come out of the queue.
"""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from decimal import Decimal
from typing import Any

import httpx
from sqlmodel import select

from market.app import create_app
from market.offers.models import Listing
from market.trading.models import Deal
from tests.conftest import Actors
from tests.trading.helpers import API, Market, in_db

BUYERS = 50
LOT_T = Decimal(200)
EACH_T = Decimal(10)
WINNERS = int(LOT_T / EACH_T)


async def test_fifty_buyers_twenty_deals_thirty_sold_out(settings: Any) -> None:
    settings = settings.model_copy(update={"tender_poll_seconds": 0})
    processes = 1 if settings.is_sqlite else 5
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
        for _ in range(processes):
            app = create_app(settings)
            await stack.enter_async_context(app.lifespan())
            transport = httpx.ASGITransport(app=counted(app))
            clients.append(
                await stack.enter_async_context(
                    httpx.AsyncClient(transport=transport, base_url="http://testserver.local")
                )
            )
        market = Market(clients[0], Actors(clients[0]))  # type: ignore[arg-type]
        seller = await market.seller()
        lot = await market.listing(seller, quantity_t=str(LOT_T))
        buyers = [await market.buyer() for _ in range(BUYERS)]
        inflight["max"] = 0

        def buy(i: int) -> Any:
            body = {"site_id": buyers[i].site["id"], "quantity_t": str(EACH_T)}
            return clients[i % processes].post(
                f"{API}/listings/{lot['id']}/buy", headers=buyers[i].headers, json=body
            )

        responses = await asyncio.gather(*(buy(i) for i in range(BUYERS)))

    codes = sorted(r.status_code for r in responses)
    assert codes.count(201) == WINNERS and codes.count(409) == BUYERS - WINNERS, codes
    assert 404 not in codes
    for r in responses:
        if r.status_code == 409:
            assert f"listing {lot['id']} is reserved" in r.json()["detail"], r.text
    assert inflight["max"] >= 10, f"the requests did not overlap: {inflight}"

    async def state(session: Any) -> tuple[Listing, list[Deal]]:
        listing = await session.get(Listing, lot["id"])
        deals = (await session.exec(select(Deal).where(Deal.listing_id == lot["id"]))).all()
        return listing, list(deals)

    listing, deals = await in_db(settings, state)
    assert len(deals) == WINNERS
    assert {d.buyer_org_id for d in deals} == {
        buyers[i].org_id for i, r in enumerate(responses) if r.status_code == 201
    }
    total = sum((d.quantity_t for d in deals), Decimal(0))
    assert listing.reserved_t == total == listing.quantity_t == LOT_T
    assert listing.status == "reserved" and listing.available_t == 0
