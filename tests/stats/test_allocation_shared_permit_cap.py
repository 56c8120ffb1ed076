"""Hazardous demands of one organisation share its permit capacity left this year (#13)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from market.core.settings import Settings
from market.stats.allocation import AllocationQuery, run_allocation
from tests.conftest import Actors
from tests.stats.test_allocation_service import in_session
from tests.trading.helpers import API, Market, Party, grant_permit


async def _demand(market: Market, who: Party, tonnes: str) -> int:
    body = {
        "site_id": who.site["id"],
        "material_code": "battery_lead_acid",
        "quantity_t": tonnes,
        "max_haul_km": "200",
    }
    r = await market.client.post(f"{API}/demands", headers=who.headers, json=body)
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


async def test_two_demands_share_one_permits_100_t(
    client: Any, actors: Actors, settings: Settings
) -> None:
    """Recycler R holds HW31 with 100 t/yr and posts two demands of 100 t; 150 t of lead-acid
    batteries are offered nearby. Each demand alone fits the permit, but together they may
    take 100 t: 100 t allocated, 50 t left (each capped apart, 150 t would move)."""
    market = Market(client, actors)
    seller = await market.seller(lon=112.20, lat=30.98)
    lot = await market.listing(
        seller, material_code="battery_lead_acid", quantity_t="150", price_cny_t="10.00"
    )
    headers, org, site = await actors.producer(lon=112.27, lat=31.02, kind="recycler")
    recycler = Party(headers, org, site)
    await grant_permit(settings, recycler.org_id, "HW31", annual_capacity_t="100")
    first = await _demand(market, recycler, "100")
    second = await _demand(market, recycler, "100")

    year = datetime.now(UTC).year
    report = await in_session(
        settings,
        lambda s: run_allocation(s, settings, AllocationQuery("battery_lead_acid", year)),
    )
    r = report.result
    assert r.summary.demand_t == Decimal("200.000")
    assert r.summary.tonnes_allocated == Decimal("100.000")
    assert r.summary.unallocated_supply_t == Decimal("50.000")
    assert {f.listing_id for f in r.flows} == {lot["id"]}
    assert {f.demand_id for f in r.flows} <= {first, second}
    assert sum(f.tonnes for f in r.flows) == Decimal("100.000")
