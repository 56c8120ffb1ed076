"""A hand-worked city for the statistics tests: three producers in two districts, one consumer.

Everything goes through the real API, receipts included (buy → dispatch → receive), so the
statistics read exactly what trading writes. The figures the tests expect are worked out by
hand in ``tests/stats/test_utilisation.py`` from DOMAIN.md §3.

=========  ==============  =====================  =========================================
producer   district        site (WGS84)           ledgers (t)
=========  ==============  =====================  =========================================
A 磷化工   东宝区 420802    112.20, 31.03          phosphogypsum 2025-03 and 2025-04
B 电厂     东宝区 420802    112.21, 31.05          fly ash 2025-03
C 磷化工   钟祥市 420881    112.30, 31.42 (胡集园区) phosphogypsum 2025-03
D 水泥厂   钟祥市 420881    112.58, 31.16          consumer: receives from A and B
=========  ==============  =====================  =========================================

Receipts (receiver's weighbridge counts, in China-time months):

* A→D phosphogypsum, gypsum_retarder: dispatched 301, received 300.000 on 2025-03-10 (March);
  100.000 received 2025-03-31T17:00Z = 2025-04-01 01:00 China time (April);
  150.000 received 2025-04-15 (April). A's exchange share: March 300, April 250.
* B→D fly ash, clinker_substitute: 200.500 received 2025-03-20 (March).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from litestar import Litestar
from litestar.testing import AsyncTestClient

from market.core.settings import Settings
from tests.conftest import Actors
from tests.database import Snapshot, TestDatabase

H = dict[str, str]


async def make_regulator(settings: Settings, actors: Actors, email: str = "reg@example.cn") -> H:
    from market.accounts.service import create_user
    from market.core.db import make_engine, make_sessionmaker, transaction

    engine = make_engine(settings)
    async with transaction(make_sessionmaker(engine)) as session:
        await create_user(session, email, "regulator-pass", "监管员", role="regulator")
    await engine.dispose()
    return await actors.login(email, "regulator-pass")


async def _backdate_deal(settings: Settings, deal_id: int, created_at: datetime) -> None:
    from market.core.db import make_engine, make_sessionmaker, metadata, transaction

    deals = metadata.tables["deals"]
    engine = make_engine(settings)
    try:
        async with transaction(make_sessionmaker(engine)) as session:
            await session.exec(
                sa.update(deals).where(deals.c.id == deal_id).values(created_at=created_at)
            )
    finally:
        await engine.dispose()


def ledger_body(site_id: int, material: str, month: str, **tonnes: str) -> dict[str, Any]:
    return {"site_id": site_id, "material_code": material, "month": month, **tonnes}


async def post_ledger(client: AsyncTestClient[Litestar], headers: H, body: dict[str, Any]) -> Any:
    r = await client.post("/api/v1/ledger", headers=headers, json=body)
    assert r.status_code in (200, 201), r.text
    return r.json()


async def listing(
    client: AsyncTestClient[Litestar], headers: H, site_id: int, material: str, qty: str
) -> int:
    r = await client.post(
        "/api/v1/listings",
        headers=headers,
        json={
            "site_id": site_id,
            "material_code": material,
            "quantity_t": qty,
            "price_cny_t": "-5.00",
            "title": f"{material} 供应",
        },
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


async def receipt(
    client: AsyncTestClient[Litestar],
    seller: H,
    buyer: H,
    listing_id: int,
    buyer_site_id: int,
    use: str,
    dispatched_t: str,
    received_t: str,
    received_at: str,
    *,
    settings: Settings,
) -> dict[str, Any]:
    """Buy, dispatch and confirm one load through the trading API.

    The load is historical, and a load cannot be dated before its deal, so the deal is
    backdated (behind the API's back) to the day before, as if it had been made then."""
    r = await client.post(
        f"/api/v1/listings/{listing_id}/buy",
        headers=buyer,
        json={"site_id": buyer_site_id, "use": use, "quantity_t": dispatched_t},
    )
    assert r.status_code == 201, r.text
    deal_id = r.json()["id"]
    await _backdate_deal(settings, deal_id, datetime.fromisoformat(received_at) - timedelta(days=1))
    r = await client.post(
        f"/api/v1/deals/{deal_id}/shipments",
        headers=seller,
        json={
            "vehicle_plate": "鄂H12345",
            "carrier": "荆门运输",
            "dispatched_t": dispatched_t,
            "dispatched_at": received_at,
        },
    )
    assert r.status_code == 201, r.text
    shipment_id = r.json()["id"]
    r = await client.post(
        f"/api/v1/shipments/{shipment_id}/receive",
        headers=buyer,
        json={"received_t": received_t, "received_at": received_at},
    )
    assert r.status_code == 200, r.text
    return dict(r.json())


@dataclass
class City:
    a: H
    b: H
    c: H
    d: H
    org: dict[str, int] = field(default_factory=dict)
    site: dict[str, dict[str, Any]] = field(default_factory=dict)
    listing: dict[str, int] = field(default_factory=dict)


async def build_city(client: AsyncTestClient[Litestar], actors: Actors, settings: Settings) -> City:
    """Organisations, sites, receipts and the four balanced ledgers of the scenario."""
    city = City(
        a=await actors.user(), b=await actors.user(), c=await actors.user(), d=await actors.user()
    )
    spots = {
        "a": ("producer", "420802", 112.20, 31.03),
        "b": ("producer", "420802", 112.21, 31.05),
        "c": ("producer", "420881", 112.30, 31.42),
        "d": ("consumer", "420881", 112.58, 31.16),
    }
    for key, (kind, district, lon, lat) in spots.items():
        headers = getattr(city, key)
        org = await actors.org(headers, kind=kind, district=district, name=f"企业{key.upper()}")
        city.org[key] = org["id"]
        city.site[key] = await actors.site(headers, org["id"], lon, lat)
    city.listing["a"] = await listing(client, city.a, city.site["a"]["id"], "phosphogypsum", "5000")
    city.listing["b"] = await listing(client, city.b, city.site["b"]["id"], "fly_ash", "1000")
    d_site = city.site["d"]["id"]
    for dispatched, received, at in (
        ("301", "300", "2025-03-10T02:00:00+00:00"),
        ("100", "100", "2025-03-31T17:00:00+00:00"),
        ("150", "150", "2025-04-15T02:00:00+00:00"),
    ):
        await receipt(
            client,
            city.a,
            city.d,
            city.listing["a"],
            d_site,
            "gypsum_retarder",
            dispatched,
            received,
            at,
            settings=settings,
        )
    await receipt(
        client,
        city.b,
        city.d,
        city.listing["b"],
        d_site,
        "clinker_substitute",
        "200.5",
        "200.5",
        "2025-03-20T02:00:00+00:00",
        settings=settings,
    )
    a, b, c = city.site["a"]["id"], city.site["b"]["id"], city.site["c"]["id"]
    # A, March: 1000 = (200 in-house + 300 exchange − 0) + 400 stored + (100 − 0) disposed.
    await post_ledger(
        client,
        city.a,
        ledger_body(
            a,
            "phosphogypsum",
            "2025-03",
            generated_t="1000",
            used_inhouse_t="200",
            stored_t="400",
            disposed_t="100",
        ),
    )
    # A, April (stockpile draw-down): utilised 500 + 100 outside + 250 exchange = 850;
    # 800 = (850 − 150 from stockpile) + 0 stored + (100 − 0) disposed.
    await post_ledger(
        client,
        city.a,
        ledger_body(
            a,
            "phosphogypsum",
            "2025-04",
            generated_t="800",
            used_inhouse_t="500",
            shipped_outside_exchange_t="100",
            utilised_from_stockpile_t="150",
            disposed_t="100",
        ),
    )
    # B, March: 500 = 200.5 exchange + 299.5 stored.
    await post_ledger(
        client, city.b, ledger_body(b, "fly_ash", "2025-03", generated_t="500", stored_t="299.5")
    )
    # C, March: 2000 = 600 in-house + 1300 stored + (150 − 50 from stockpile) disposed.
    await post_ledger(
        client,
        city.c,
        ledger_body(
            c,
            "phosphogypsum",
            "2025-03",
            generated_t="2000",
            used_inhouse_t="600",
            stored_t="1300",
            disposed_t="150",
            disposed_from_stockpile_t="50",
        ),
    )
    return city


@pytest.fixture(scope="session")
def built_cities() -> dict[str, tuple[City, Snapshot]]:
    """The city of each backend and a snapshot of its rows, filled by the first test asking."""
    return {}


@pytest.fixture
async def city(
    client: AsyncTestClient[Litestar],
    actors: Actors,
    settings: Settings,
    database: TestDatabase,
    built_cities: dict[str, tuple[City, Snapshot]],
) -> City:
    """The city, built through the API once per backend (about 2.5 s) and copied back in,
    ids and tokens included, before every later test: each test still starts from the city
    exactly as built, whatever the tests before it added."""
    built = built_cities.get(settings.database_url)
    if built is None:
        city = await build_city(client, actors, settings)
        built_cities[settings.database_url] = (copy.deepcopy(city), await database.snapshot())
        return city
    await database.restore(built[1])
    return copy.deepcopy(built[0])
