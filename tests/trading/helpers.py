"""Building blocks for the trading tests: a producer with an open listing, buyers with a
receiving site, and direct database access for what only time would otherwise do."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import sqlalchemy as sa
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from market.core.db import make_engine, make_sessionmaker, metadata, transaction
from market.core.settings import Settings
from tests.conftest import Actors

T = TypeVar("T")
API = "/api/v1"


@dataclass
class Party:
    headers: dict[str, str]
    org: dict[str, Any]
    site: dict[str, Any]

    @property
    def org_id(self) -> int:
        return int(self.org["id"])


def iso(dt: datetime) -> str:
    return dt.isoformat()


def ago(**delta: float) -> datetime:
    """A UTC time this long ago."""
    return datetime.now(UTC) - timedelta(**delta)


def in_(**delta: float) -> str:
    """An ISO time this far from now (negative for the past)."""
    return iso(datetime.now(UTC) + timedelta(**delta))


class Market:
    """The trading API as the tests use it."""

    def __init__(self, client: AsyncTestClient[Litestar], actors: Actors) -> None:
        self.client = client
        self.actors = actors

    async def seller(self, lon: float = 112.123456, lat: float = 31.234567) -> Party:
        headers, org, site = await self.actors.producer(lon=lon, lat=lat)
        return Party(headers, org, site)

    async def buyer(self, lon: float = 112.60, lat: float = 31.17) -> Party:
        headers = await self.actors.user()
        org = await self.actors.org(headers, kind="consumer", district="420881")
        site = await self.actors.site(headers, org["id"], lon=lon, lat=lat)
        return Party(headers, org, site)

    async def listing(self, seller: Party, **over: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "site_id": seller.site["id"],
            "material_code": "fly_ash",
            "quantity_t": "1000",
            "cadence": "one_off",
            "price_cny_t": "35.00",
            "title": "二级粉煤灰",
        }
        body.update(over)
        r = await self.client.post(f"{API}/listings", headers=seller.headers, json=body)
        assert r.status_code == 201, r.text
        return dict(r.json())

    async def bid(self, listing_id: int, buyer: Party, **over: Any) -> Any:
        body: dict[str, Any] = {
            "site_id": buyer.site["id"],
            "quantity_t": "100",
            "price_cny_t": "30.00",
        }
        body.update(over)
        return await self.client.post(
            f"{API}/listings/{listing_id}/bids", headers=buyer.headers, json=body
        )

    async def ok_bid(self, listing_id: int, buyer: Party, **over: Any) -> dict[str, Any]:
        r = await self.bid(listing_id, buyer, **over)
        assert r.status_code == 201, r.text
        return dict(r.json())

    async def buy(self, listing_id: int, buyer: Party, **over: Any) -> Any:
        body: dict[str, Any] = {"site_id": buyer.site["id"], "quantity_t": "100"}
        body.update(over)
        return await self.client.post(
            f"{API}/listings/{listing_id}/buy", headers=buyer.headers, json=body
        )

    async def ok_buy(self, listing_id: int, buyer: Party, **over: Any) -> dict[str, Any]:
        r = await self.buy(listing_id, buyer, **over)
        assert r.status_code == 201, r.text
        return dict(r.json())

    async def act(self, bid_id: int, action: str, who: Party, body: Any = None) -> Any:
        return await self.client.post(
            f"{API}/bids/{bid_id}/{action}", headers=who.headers, json=body
        )

    async def ship(self, deal_id: int, seller: Party, **over: Any) -> Any:
        body: dict[str, Any] = {
            "vehicle_plate": "鄂H·12345",
            "carrier": "荆门顺达物流",
            "dispatched_t": "50",
        }
        body.update(over)
        return await self.client.post(
            f"{API}/deals/{deal_id}/shipments", headers=seller.headers, json=body
        )

    async def ok_ship(self, deal_id: int, seller: Party, **over: Any) -> dict[str, Any]:
        r = await self.ship(deal_id, seller, **over)
        assert r.status_code == 201, r.text
        return dict(r.json())

    async def receive(self, shipment_id: int, who: Party, **body: Any) -> Any:
        return await self.client.post(
            f"{API}/shipments/{shipment_id}/receive", headers=who.headers, json=body
        )

    async def get(self, path: str, who: Party | dict[str, str]) -> Any:
        headers = who.headers if isinstance(who, Party) else who
        return await self.client.get(f"{API}{path}", headers=headers)


async def in_db(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``work`` in its own transaction on the test database (for what only time does)."""
    engine = make_engine(settings)
    try:
        async with transaction(make_sessionmaker(engine)) as session:
            return await work(session)
    finally:
        await engine.dispose()


async def sql(settings: Settings, statement: str, **params: Any) -> Any:
    async def work(session: AsyncSession) -> Any:
        result = await session.exec(text(statement).bindparams(**params))  # type: ignore[call-overload]
        return result.all() if result.returns_rows else result.rowcount

    return await in_db(settings, work)


async def update_row(settings: Settings, table: str, row_id: int, **values: Any) -> None:
    """Change a row behind the API's back (typed: tonnes as kg, times as UTC), e.g. to move
    a deadline into the past instead of waiting for it."""
    tbl = metadata.tables[table]

    async def work(session: AsyncSession) -> None:
        await session.exec(sa.update(tbl).where(tbl.c.id == row_id).values(**values))

    await in_db(settings, work)


async def make_regulator(settings: Settings, actors: Actors, email: str) -> dict[str, str]:
    from market.accounts.service import create_user

    async def work(session: AsyncSession) -> None:
        await create_user(session, email, "regulator-pass", "监管员", role="regulator")

    await in_db(settings, work)
    return await actors.login(email, "regulator-pass")


async def make_due(settings: Settings, tender_id: int) -> None:
    """Let a tender's time run out: move its ``closes_at`` to a second ago and its bids back
    by as much, as if the clock had advanced (bids placed after ``closes_at`` never win)."""
    from market.trading.models import Bid, Tender

    async def work(session: AsyncSession) -> None:
        tender = await session.get(Tender, tender_id)
        assert tender is not None
        shift = tender.closes_at - ago(seconds=1)
        tender.closes_at -= shift
        session.add(tender)
        bids = await session.exec(select(Bid).where(Bid.tender_id == tender_id))
        for bid in bids.all():
            bid.created_at -= shift
            session.add(bid)

    await in_db(settings, work)


async def grant_permit(
    settings: Settings,
    org_id: int,
    kind: str,
    *,
    valid_days: int = 365,
    annual_capacity_t: Any = None,
) -> None:
    """Record a hazardous-waste permit behind the API's back (the API takes a regulator)."""
    from decimal import Decimal

    from market.accounts.models import Permit

    async def work(session: AsyncSession) -> None:
        capacity = None if annual_capacity_t is None else Decimal(str(annual_capacity_t))
        until = (datetime.now(UTC) + timedelta(days=valid_days)).date()
        session.add(
            Permit(organization_id=org_id, kind=kind, valid_until=until, annual_capacity_t=capacity)
        )

    await in_db(settings, work)
