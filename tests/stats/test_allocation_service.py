"""The allocation service: database rows → matching.allocation → flows, totals, potential."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import TypeVar

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from geodata.distance import geodesic_km
from market.core.errors import Invalid
from market.core.settings import Settings
from market.stats.allocation import AllocationQuery, Period, period_tonnes, run_allocation
from market.stats.allocation_schemas import HypotheticalConsumer, ScenarioChanges
from tests.conftest import Actors
from tests.stats.allocation_market import build_market, post

T = TypeVar("T")


async def in_session(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    from market.core.db import make_engine, make_sessionmaker, transaction

    engine = make_engine(settings)
    try:
        async with transaction(make_sessionmaker(engine)) as session:
            return await work(session)
    finally:
        await engine.dispose()


def _flows(report_result) -> dict[tuple[int, int | None], Decimal]:
    return {(f.listing_id, f.demand_id): f.tonnes for f in report_result.flows}


async def test_hand_worked_market(client, actors: Actors, settings: Settings) -> None:
    m = await build_market(client, actors)
    report = await in_session(
        settings, lambda s: run_allocation(s, settings, AllocationQuery("fly_ash", 2026))
    )
    r = report.result
    assert _flows(r) == {
        (m.listing["p1"], m.demand["c1"]): Decimal("80.000"),
        (m.listing["p2"], m.demand["c2"]): Decimal("50.000"),
        (m.listing["p1"], m.demand["c2"]): Decimal("10.000"),
    }
    cross = next(f for f in r.flows if f.road_km > 0)
    # Road km = geodesic × 1.3, to 0.1 km; freight = km × 0.45 to the fen.
    assert abs(float(cross.road_km) - geodesic_km(112.20, 31.03, 112.30, 31.03) * 1.3) < 0.1
    freight = (cross.road_km * Decimal("0.45")).quantize(Decimal("0.01"))
    assert cross.delivered_cny_t == Decimal("10.00") + freight
    s = r.summary
    assert s.tonnes_allocated == Decimal("140.000") and s.unallocated_supply_t == Decimal("10.000")
    assert s.unmet_demand_t == 0 and s.supply_t == Decimal("150.000")
    assert s.total_cost_cny == Decimal("800.00") + Decimal("250.00") + 10 * (10 + freight)
    assert s.tonne_km == 10 * cross.road_km
    assert s.haul_co2_t == (s.tonne_km * Decimal("0.09") / 1000).quantize(Decimal("0.001"))
    # Actual 2026: 200 of 1000 t utilised (20 %); with the 140 t allocated, 34 %.
    (fly,) = r.by_material
    assert (fly.actual_rate_pct, fly.potential_rate_pct, fly.gap_pct) == (
        Decimal("20.00"),
        Decimal("34.00"),
        Decimal("14.00"),
    )
    assert sum(d.allocated_t for d in r.by_district) == Decimal("140.000")
    assert report.baseline is None and report.difference is None
    # A month: one-off lots count once whatever the period.
    march = await in_session(
        settings, lambda s: run_allocation(s, settings, AllocationQuery("fly_ash", 2026, 3))
    )
    assert march.result.summary.tonnes_allocated == Decimal("140.000")


async def test_empty_and_all_excluded(client, actors: Actors, settings: Settings) -> None:
    empty = await in_session(
        settings, lambda s: run_allocation(s, settings, AllocationQuery("ggbs", 2026))
    )
    assert empty.result.flows == () and empty.result.summary.tonnes_allocated == 0
    assert empty.result.by_material[0].actual_rate_pct is None
    # The demand caps the price below the lot's: nothing is feasible, nothing moves.
    producer, _, psite = await actors.producer()
    buyer, _, bsite = await actors.producer(kind="consumer")
    lot = {"site_id": psite["id"], "material_code": "ggbs", "quantity_t": "30"}
    await post(client, "/api/v1/listings", producer, {**lot, "price_cny_t": "100.00"})
    await post(
        client,
        "/api/v1/demands",
        buyer,
        {
            "site_id": bsite["id"],
            "material_code": "ggbs",
            "quantity_t": "20",
            "max_price_cny_t": "50.00",
        },
    )
    excluded = await in_session(
        settings, lambda s: run_allocation(s, settings, AllocationQuery("ggbs", 2026))
    )
    summary = excluded.result.summary
    assert (summary.listings, summary.demands, summary.flows) == (1, 1, 0)
    assert summary.tonnes_allocated == 0 and summary.unallocated_supply_t == Decimal("30.000")
    assert summary.unmet_demand_t == Decimal("20.000") and summary.total_cost_cny == 0


def test_period_tonnes() -> None:
    assert period_tonnes(Decimal(10), "monthly", 12) == 120
    assert period_tonnes(Decimal(10), "one_off", 12) == 10
    assert period_tonnes(Decimal(10), "monthly", 0) == 0
    assert Period(2026).months_inside(None, None) == 12
    from datetime import date

    assert Period(2026).months_inside(date(2026, 11, 15), None) == 2
    assert Period(2026, 3).months_inside(date(2026, 4, 1), None) == 0
    with pytest.raises(Invalid):
        Period(2026, 13)


async def test_scenario_changes_only_the_run(client, actors: Actors, settings: Settings) -> None:
    m = await build_market(client, actors)
    plant = HypotheticalConsumer(
        name="新建水泥厂",
        material="fly_ash",
        lon=112.25,
        lat=31.03,
        capacity_t_per_year=Decimal("120"),
    )
    changes = ScenarioChanges(consumers=[plant], removed_producers=[m.org["p2"]])
    report = await in_session(
        settings,
        lambda s: run_allocation(s, settings, AllocationQuery("fly_ash", 2026, changes=changes)),
    )
    assert report.baseline is not None and report.difference is not None
    assert report.baseline.summary.tonnes_allocated == Decimal("140.000")
    # Without P2 only P1's 100 t can move.
    assert report.result.summary.tonnes_allocated == Decimal("100.000")
    assert all(f.listing_id == m.listing["p1"] for f in report.result.flows)
    assert report.difference.tonnes_allocated == Decimal("-40.000")
    # Over one month the plant takes 120 ÷ 12 = 10 t.
    month = await in_session(
        settings,
        lambda s: run_allocation(
            s,
            settings,
            AllocationQuery("fly_ash", 2026, 3, changes=ScenarioChanges(consumers=[plant])),
        ),
    )
    assert month.result.summary.demand_t == Decimal("150.000")
    assert month.result.summary.tonnes_allocated == Decimal("150.000")
    plant_flows = [f for f in month.result.flows if f.consumer == 0]
    assert plant_flows and plant_flows[0].demand_id is None
    assert sum(f.tonnes for f in plant_flows) == Decimal("10.000")


async def test_freight_and_haul_overrides(client, actors: Actors, settings: Settings) -> None:
    await build_market(client, actors)
    free = ScenarioChanges(freight_cny_per_t_km=Decimal("0"))
    report = await in_session(
        settings,
        lambda s: run_allocation(s, settings, AllocationQuery("fly_ash", 2026, changes=free)),
    )
    assert report.result.summary.freight_cny_per_t_km == 0
    assert report.result.summary.total_cost_cny < report.baseline.summary.total_cost_cny  # type: ignore[union-attr]
    # A 5 km haul limit for everyone leaves only the same-site pairs: 80 + 50 t.
    short = ScenarioChanges(max_haul_km=Decimal("5"))
    report = await in_session(
        settings,
        lambda s: run_allocation(s, settings, AllocationQuery("fly_ash", 2026, changes=short)),
    )
    assert report.result.summary.tonnes_allocated == Decimal("130.000")
    assert report.result.summary.tonne_km == 0


async def test_monthly_offers_and_windows(client, actors: Actors, settings: Settings) -> None:
    producer, _, psite = await actors.producer()
    buyer, _, bsite = await actors.producer(kind="consumer")
    await post(
        client,
        "/api/v1/listings",
        producer,
        {
            "site_id": psite["id"],
            "material_code": "fly_ash",
            "quantity_t": "10",
            "cadence": "monthly",
            "price_cny_t": "1.00",
        },
    )
    await post(
        client,
        "/api/v1/demands",
        buyer,
        {
            "site_id": bsite["id"],
            "material_code": "fly_ash",
            "quantity_t": "1000",
            "needed_from": "2026-01-01",
        },
    )
    year = await in_session(
        settings, lambda s: run_allocation(s, settings, AllocationQuery("fly_ash", 2026))
    )
    assert year.result.summary.tonnes_allocated == Decimal("120.000")
    month = await in_session(
        settings, lambda s: run_allocation(s, settings, AllocationQuery("fly_ash", 2026, 6))
    )
    assert month.result.summary.tonnes_allocated == Decimal("10.000")
    # The demand's window starts in 2026: nothing in 2025.
    before = await in_session(
        settings, lambda s: run_allocation(s, settings, AllocationQuery("fly_ash", 2025))
    )
    assert before.result.summary.demands == 0 and before.result.flows == ()


async def test_unknown_material_is_422(settings: Settings) -> None:
    with pytest.raises(Invalid) as err:
        await in_session(
            settings, lambda s: run_allocation(s, settings, AllocationQuery("unobtainium", 2026))
        )
    assert err.value.errors[0]["field"] == "material"


def test_potential_rate_never_passes_100_percent() -> None:
    from market.stats.allocation import potential

    ledgers = {"generated_t": "100", "utilised_from_stockpile_t": "0", "utilised_t": "50"}
    # 30 t more fits in what the period left unutilised (50 t): 80 %.
    p = potential("420802", "东宝区", ledgers, Decimal(30))
    assert (p.actual_rate_pct, p.potential_rate_pct, p.stockpile_drawn_t) == (
        Decimal("50.00"),
        Decimal("80.00"),
        Decimal("0.000"),
    )
    # 140 t: 50 t from this period, 90 t from earlier stockpiles (base 190): 100 %.
    p = potential("420802", "东宝区", ledgers, Decimal(140))
    assert p.stockpile_drawn_t == Decimal("90.000") and p.potential_rate_pct == Decimal("100.00")
    assert p.gap_pct == Decimal("50.00")
    # No ledgers: no rate at all, whatever could move.
    p = potential("420881", "钟祥市", {}, Decimal(10))
    assert p.actual_rate_pct is None and p.potential_rate_pct is None and p.gap_pct is None
