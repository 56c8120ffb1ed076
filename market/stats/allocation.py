"""City-wide allocation of one material over a period: what could be used, at what cost.

The database rows of one material are turned into the matcher's plain inputs by the same
code pairwise matching uses (:func:`market.offers.matches.to_supply` and the demand loader,
with the grade presets, the buyer's limits, hazardous-waste permits valid today with
capacity left and the MIIT battery-recycler flag); :func:`matching.allocation.allocate`
then applies the matcher's hard filters (spec compliance, haul limits, price limits,
permits, MIIT) and solves one min-cost flow. Quantities follow the period:

* a **one-off** listing or demand counts its open tonnes (a listing's ``available_t``) once,
  if its window (``available_from/until``, ``needed_from/until``) overlaps the period;
* a **monthly** one counts them once per month of the period inside its window (12 for a
  year without a window, 1 for a month);
* a hazardous material's demands are capped by their organisation's permit capacity left in
  the period's year (the largest among its valid permits covering the material; a permit
  with no recorded capacity caps nothing). Several demands of one organisation share that
  capacity: the flow has one node per such organisation between its demands and the sink
  (:attr:`Snapshot.permit_caps`, ``shared_caps`` of :func:`matching.allocation.allocate`).

A place (district, park or enterprise, as on the /city page) narrows the listings to the
producers there and the actual figures to the same producers; the demands stay city-wide
(the question is where that area's waste could go).

A scenario (:mod:`market.stats.allocation_schemas`) is applied to that in-memory snapshot
only: hypothetical consumers are added (capacity per year × months ÷ 12), removed
producers' listings dropped, the freight rate and every consumer's haul limit replaced.
Nothing is written.

Potential utilisation: the ledgers' actual figures of the same period and material by the
official formula (:mod:`market.stats.utilisation`), with the allocated tonnes added to the
utilised tonnes of the producer's district. Allocated tonnes first take up what the period
generated and did not utilise (``generated + from stockpile − utilised``); beyond that they
can only come from earlier years' stockpiles, which the formula adds to the base as well::

    drawn     = max(0, allocated − (base − utilised))      base = generated + from stockpile
    potential = (utilised + allocated) ÷ (base + drawn)

so a rate never passes 100 %. A district with no ledgers (base 0) has no rate. The gap is
``potential − actual`` in percentage points.
"""

from __future__ import annotations

import calendar
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from geodata.districts import DISTRICT_NAMES
from market.accounts import permit_use
from market.accounts.models import Organization, Site
from market.catalogue import service as catalogue
from market.catalogue.models import Material
from market.core import decimals as dec
from market.core.errors import Invalid
from market.core.settings import Settings
from market.offers.compliance import requirement_limits
from market.offers.demands import check_requirements, requirements_to_json
from market.offers.matches import _demand_objects, to_supply
from market.offers.models import Demand, Listing
from market.offers.schemas import bounds
from market.stats.allocation_schemas import HypotheticalConsumer, ScenarioChanges
from market.stats.allocation_worker import allocate_off_loop
from market.stats.facts import pct
from market.stats.filters import StatsFilter
from market.stats.grouping import grouped, totals
from matching.allocation import Allocation
from matching.compliance import combine
from matching.model import Demand as MDemand
from matching.model import Supply as MSupply
from matching.model import permit_kinds_of
from matching.scoring import MatchSettings

_KG = Decimal("0.001")

METHOD = (
    "one exact min-cost flow over the feasible pairs of pairwise matching: most tonnes "
    "first, then least delivered cost (price + road km × freight); monthly offers × months "
    "of the period; potential rate = (utilised + allocated) ÷ (generated + utilised from "
    "stockpile + allocated beyond what the period left unutilised), by the producer's district"
)

Progress = Callable[[str], None]


# --- the period ------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    year: int
    month: int | None = None

    def __post_init__(self) -> None:
        StatsFilter(self.year, self.month)  # the statistics' own range checks (422)

    @property
    def months(self) -> list[tuple[int, int]]:
        return [(self.year, self.month)] if self.month else [(self.year, m) for m in range(1, 13)]

    def months_inside(self, start: date | None, end: date | None) -> int:
        """Months of the period that overlap the window ``[start, end]`` (None: open)."""
        n = 0
        for y, m in self.months:
            first, last = date(y, m, 1), date(y, m, calendar.monthrange(y, m)[1])
            if (start is None or start <= last) and (end is None or end >= first):
                n += 1
        return n


def period_tonnes(tonnes: Decimal, cadence: str, months: int) -> Decimal:
    """Tonnes over the period: a monthly offer once per month inside its window."""
    if months == 0:
        return Decimal(0)
    return tonnes * months if cadence == "monthly" else tonnes


# --- the in-memory snapshot ------------------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    """One material's open offers over a period, as the allocation takes them."""

    material: Material
    period: Period
    supplies: tuple[MSupply, ...]
    demands: tuple[MDemand, ...]
    #: listing id → producer's county-level district code
    district: dict[int, str | None]
    settings: MatchSettings
    road_kg_co2e_per_t_km: Decimal
    #: index into the scenario's consumers per (negative) demand id
    consumer_index: dict[int, int]
    #: organisation id → permit capacity left in the period's year, shared by its demands
    permit_caps: dict[int, Decimal] = field(default_factory=dict)


async def _permit_caps(
    session: AsyncSession, material: Material, org_ids: set[int], year: int
) -> dict[int, Decimal | None]:
    """Per organisation: capacity left in ``year`` under its valid permits covering the
    material (None: a permit without a recorded capacity, i.e. no cap)."""
    kinds = permit_kinds_of(material.hazard_code)
    today = permit_use.china_date(datetime.now(UTC))
    caps: dict[int, Decimal | None] = {}
    for org_id, items in (await permit_use.standings(session, org_ids)).items():
        covering = [s for s in items if s.permit.kind in kinds and s.valid_on(today)]
        if not covering:
            continue
        left = [s.remaining_t(year) for s in covering]
        caps[org_id] = None if None in left else max(v for v in left if v is not None)
    return caps


async def load_snapshot(
    session: AsyncSession,
    settings: Settings,
    material_code: str,
    period: Period,
    place: StatsFilter | None = None,
) -> Snapshot:
    """Open listings and demands of ``material_code`` with their period quantities;
    ``place`` (its district, park and organisations) narrows the listings only."""
    material = await session.get(Material, material_code)
    if material is None:
        raise Invalid("material", f"unknown material {material_code!r}")
    district = func.coalesce(col(Site.district_code), col(Organization.district_code))
    where = [col(Listing.material_code) == material_code, col(Listing.status) == "open"]
    if place is not None:
        where += place.site_conditions(col(Listing.site_id))
        if place.org_ids is not None:
            where.append(col(Listing.organization_id).in_(sorted(place.org_ids)))
    rows = (
        await session.exec(
            select(Listing, Site, district)
            .join(Site, col(Site.id) == col(Listing.site_id))
            .join(Organization, col(Organization.id) == col(Listing.organization_id))
            .where(*where)
            .order_by(col(Listing.id))
        )
    ).all()
    supplies: list[MSupply] = []
    districts: dict[int, str | None] = {}
    for listing, site, code in rows:
        months = period.months_inside(listing.available_from, listing.available_until)
        qty = period_tonnes(listing.available_t, listing.cadence, months)
        if qty <= 0:
            continue
        s = to_supply(listing, site, material)
        supplies.append(replace(s, quantity_t=qty))
        districts[s.id] = code
    terms = {
        d_id: (cadence, start, end)
        for d_id, cadence, start, end in (
            await session.exec(
                select(
                    col(Demand.id),
                    col(Demand.cadence),
                    col(Demand.needed_from),
                    col(Demand.needed_until),
                ).where(col(Demand.material_code) == material_code, col(Demand.status) == "open")
            )
        ).all()
    }
    wanted = await _demand_objects(session, material_code)
    caps = (
        await _permit_caps(session, material, {d.org_id for d in wanted}, period.year)
        if material.hazardous
        else {}
    )
    demands: list[MDemand] = []
    for d in sorted(wanted, key=lambda d: d.id):
        if d.id not in terms:
            continue
        cadence, start, end = terms[d.id]
        qty = period_tonnes(d.quantity_t, cadence, period.months_inside(start, end))
        cap = caps.get(d.org_id)
        if cap is not None:
            qty = min(qty, cap)
        if qty > 0:
            demands.append(replace(d, quantity_t=qty))
    return Snapshot(
        material=material,
        period=period,
        supplies=tuple(supplies),
        demands=tuple(demands),
        district=districts,
        settings=MatchSettings(
            freight_cny_per_t_km=settings.freight_cny_per_t_km, circuity=float(settings.circuity)
        ),
        road_kg_co2e_per_t_km=settings.road_kg_co2e_per_t_km,
        consumer_index={},
        permit_caps={
            org: cap
            for org, cap in caps.items()
            if cap is not None and any(d.org_id == org for d in demands)
        },
    )


# --- scenarios ---------------------------------------------------------------------------------


async def check_changes(session: AsyncSession, changes: ScenarioChanges, prefix: str) -> None:
    """What the body's schema cannot check: materials, parameters, grades, organisations.
    ``prefix`` is where the changes sit in the request (``"changes."``, ``"scenario."``)."""
    for i, c in enumerate(changes.consumers):
        at = f"{prefix}consumers.{i}"
        if await session.get(Material, c.material) is None:
            raise Invalid(f"{at}.material", f"unknown material {c.material!r}")
        try:
            await check_requirements(session, c.material, bounds(c.requirements), c.grade)
        except Invalid as exc:
            field = exc.errors[0]["field"] if exc.errors else "requirements"
            reason = exc.errors[0]["reason"] if exc.errors else exc.detail
            raise Invalid(f"{at}.{field}", reason) from exc
    if changes.removed_producers:
        wanted = set(changes.removed_producers)
        found = set(
            (
                await session.exec(
                    select(col(Organization.id)).where(col(Organization.id).in_(sorted(wanted)))
                )
            ).all()
        )
        for i, org_id in enumerate(changes.removed_producers):
            if org_id not in found:
                raise Invalid(f"{prefix}removed_producers.{i}", f"unknown organisation {org_id}")


async def _consumer_demand(
    session: AsyncSession, snap: Snapshot, index: int, c: HypotheticalConsumer
) -> MDemand:
    period_t = (c.capacity_t_per_year * len(snap.period.months) / 12).quantize(_KG, ROUND_FLOOR)
    row = Demand(
        organization_id=0,
        site_id=0,
        material_code=c.material,
        quantity_t=period_t,
        requirements=requirements_to_json(bounds(c.requirements)),
        grade_key=c.grade,
    )
    limits = requirement_limits(row)
    if c.grade is not None:
        presets = {g.key: g.limits for g in await catalogue.matching_grades(session, c.material)}
        if c.grade in presets:
            limits = combine(presets[c.grade], limits)
    mat = snap.material
    permits = permit_kinds_of(mat.hazard_code) if c.licensed else frozenset()
    return MDemand(
        id=-(index + 1),
        org_id=-(index + 1),
        material=c.material,
        lon=c.lon,
        lat=c.lat,
        quantity_t=period_t,
        max_price_cny_t=c.max_price_cny_t,
        max_haul_km=c.max_haul_km,
        limits=limits,
        permits=permits,
        miit_listed=c.licensed,
    )


async def apply_changes(
    session: AsyncSession, snap: Snapshot, changes: ScenarioChanges
) -> Snapshot:
    """A new snapshot with the scenario's changes; ``snap`` and the database are untouched."""
    removed = set(changes.removed_producers)
    supplies = tuple(s for s in snap.supplies if s.org_id not in removed)
    demands = list(snap.demands)
    if changes.max_haul_km is not None:
        demands = [replace(d, max_haul_km=changes.max_haul_km) for d in demands]
    index: dict[int, int] = {}
    for i, c in enumerate(changes.consumers):
        if c.material != snap.material.code:
            continue
        d = await _consumer_demand(session, snap, i, c)
        if changes.max_haul_km is not None:
            d = replace(d, max_haul_km=changes.max_haul_km)
        if d.quantity_t > 0:
            demands.append(d)
            index[d.id] = i
    ms = snap.settings
    if changes.freight_cny_per_t_km is not None:
        ms = replace(ms, freight_cny_per_t_km=changes.freight_cny_per_t_km)
    if changes.max_haul_km is not None:
        ms = replace(ms, default_max_haul_km=changes.max_haul_km)
    return replace(
        snap, supplies=supplies, demands=tuple(demands), settings=ms, consumer_index=index
    )


# --- results -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FlowView:
    listing_id: int
    demand_id: int | None
    consumer: int | None
    tonnes: Decimal
    delivered_cny_t: Decimal
    cost_cny: Decimal
    road_km: Decimal
    from_lon: float
    from_lat: float
    to_lon: float
    to_lat: float
    origin_district: str | None


@dataclass(frozen=True)
class Summary:
    listings: int
    demands: int
    flows: int
    supply_t: Decimal
    demand_t: Decimal
    tonnes_allocated: Decimal
    unallocated_supply_t: Decimal
    unmet_demand_t: Decimal
    total_cost_cny: Decimal
    tonne_km: Decimal
    haul_co2_t: Decimal
    road_kg_co2e_per_t_km: Decimal
    freight_cny_per_t_km: Decimal


@dataclass(frozen=True)
class Potential:
    key: str | None
    label: str
    base_t: Decimal
    actual_utilised_t: Decimal
    actual_rate_pct: Decimal | None
    allocated_t: Decimal
    stockpile_drawn_t: Decimal
    potential_utilised_t: Decimal
    potential_rate_pct: Decimal | None
    gap_pct: Decimal | None


@dataclass(frozen=True)
class AllocationResult:
    flows: tuple[FlowView, ...]
    summary: Summary
    by_material: tuple[Potential, ...]
    by_district: tuple[Potential, ...]
    seconds: float


def potential(key: str | None, label: str, fig: dict[str, Any], allocated: Decimal) -> Potential:
    """Actual figures ``fig`` (the ledgers' sums) with ``allocated`` tonnes utilised too."""
    base = Decimal(fig.get("generated_t", 0)) + Decimal(fig.get("utilised_from_stockpile_t", 0))
    actual = Decimal(fig.get("utilised_t", 0))
    drawn = max(Decimal(0), allocated - max(base - actual, Decimal(0)))
    utilised = actual + allocated
    actual_rate = pct(actual, base)
    potential_rate = pct(utilised, base + drawn) if base > 0 else None
    gap = None if actual_rate is None or potential_rate is None else potential_rate - actual_rate
    return Potential(
        key=key,
        label=label,
        base_t=dec.t(base),
        actual_utilised_t=dec.t(actual),
        actual_rate_pct=actual_rate,
        allocated_t=dec.t(allocated),
        stockpile_drawn_t=dec.t(drawn) if base > 0 else dec.t(Decimal(0)),
        potential_utilised_t=dec.t(utilised),
        potential_rate_pct=potential_rate,
        gap_pct=gap,
    )


@dataclass(frozen=True)
class Actual:
    """The ledgers' figures of the period and material: city totals and by district."""

    totals: dict[str, Any]
    by_district: list[dict[str, Any]]


async def actual_utilisation(
    session: AsyncSession, material: str, period: Period, place: StatsFilter | None = None
) -> Actual:
    f = StatsFilter(period.year, period.month, material)
    if place is not None:
        f = replace(f, org_ids=place.org_ids, district=place.district, park=place.park)
    return Actual(await totals(session, f), await grouped(session, f, "district"))


async def solve(snap: Snapshot, actual: Actual, limit_s: float) -> AllocationResult:
    """Allocate the snapshot and put the figures beside the actual utilisation.

    A large instance is solved in the worker process (:mod:`market.stats.allocation_worker`)
    within ``limit_s`` (the ``allocation_seconds`` setting), else
    :class:`~market.stats.allocation_worker.AllocationTooSlow` (503).
    """
    started = time.perf_counter()
    plan: Allocation = await allocate_off_loop(
        snap.supplies, snap.demands, snap.settings, snap.permit_caps, limit_s
    )
    seconds = time.perf_counter() - started
    supplies = {s.id: s for s in snap.supplies}
    demands = {d.id: d for d in snap.demands}
    flows: list[FlowView] = []
    t_km = Decimal(0)
    by_district: dict[str | None, Decimal] = defaultdict(Decimal)
    for f in plan.flows:
        s, d = supplies[f.supply_id], demands[f.demand_id]
        origin = snap.district.get(f.supply_id)
        by_district[origin] += f.tonnes
        t_km += f.tonnes * f.road_km
        flows.append(
            FlowView(
                listing_id=f.supply_id,
                demand_id=f.demand_id if f.demand_id > 0 else None,
                consumer=snap.consumer_index.get(f.demand_id),
                tonnes=dec.t(f.tonnes),
                delivered_cny_t=dec.cny(f.delivered_cny_t),
                cost_cny=dec.cny(f.cost_cny),
                road_km=dec.km(f.road_km),
                from_lon=s.lon,
                from_lat=s.lat,
                to_lon=d.lon,
                to_lat=d.lat,
                origin_district=origin,
            )
        )
    summary = Summary(
        listings=len(snap.supplies),
        demands=len(snap.demands),
        flows=len(plan.flows),
        supply_t=dec.t(sum((s.quantity_t for s in snap.supplies), Decimal(0))),
        demand_t=dec.t(sum((d.quantity_t for d in snap.demands), Decimal(0))),
        tonnes_allocated=dec.t(plan.tonnes_allocated),
        unallocated_supply_t=dec.t(plan.unallocated_supply_t),
        unmet_demand_t=dec.t(plan.unmet_demand_t),
        total_cost_cny=dec.cny(plan.total_cost_cny),
        tonne_km=dec.t(t_km),
        haul_co2_t=dec.t(t_km * snap.road_kg_co2e_per_t_km / 1000),
        road_kg_co2e_per_t_km=snap.road_kg_co2e_per_t_km,
        freight_cny_per_t_km=snap.settings.freight_cny_per_t_km,
    )
    rows = {g["key"]: g for g in actual.by_district}
    keys = sorted(set(rows) | set(by_district), key=lambda k: (k is None, str(k)))
    districts = tuple(
        potential(
            k,
            DISTRICT_NAMES.get(k, k) if k else "(none)",
            rows.get(k, {}),
            by_district.get(k, Decimal(0)),
        )
        for k in keys
    )
    material = potential(
        snap.material.code, snap.material.name_zh, actual.totals, plan.tonnes_allocated
    )
    return AllocationResult(tuple(flows), summary, (material,), districts, seconds)


# --- the service --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AllocationQuery:
    material: str
    year: int
    month: int | None = None
    changes: ScenarioChanges | None = None
    scenario_id: int | None = None
    scenario_name: str | None = None
    #: the producers' place (district, park, organisations); None: the whole city
    place: StatsFilter | None = None


@dataclass(frozen=True)
class Difference:
    tonnes_allocated: Decimal
    total_cost_cny: Decimal
    tonne_km: Decimal
    haul_co2_t: Decimal
    potential_rate_pct: Decimal | None


@dataclass(frozen=True)
class AllocationReport:
    filters: dict[str, Any]
    scenario: dict[str, Any] | None
    result: AllocationResult
    baseline: AllocationResult | None
    difference: Difference | None
    method: str = METHOD


def _difference(a: AllocationResult, b: AllocationResult) -> Difference:
    ra, rb = a.by_material[0].potential_rate_pct, b.by_material[0].potential_rate_pct
    return Difference(
        tonnes_allocated=a.summary.tonnes_allocated - b.summary.tonnes_allocated,
        total_cost_cny=a.summary.total_cost_cny - b.summary.total_cost_cny,
        tonne_km=a.summary.tonne_km - b.summary.tonne_km,
        haul_co2_t=a.summary.haul_co2_t - b.summary.haul_co2_t,
        potential_rate_pct=None if ra is None or rb is None else ra - rb,
    )


async def run_allocation(
    session: AsyncSession,
    settings: Settings,
    q: AllocationQuery,
    progress: Progress | None = None,
) -> AllocationReport:
    """The allocation of ``q``; with a scenario, also the baseline and the difference."""
    say = progress or (lambda _: None)
    period = Period(q.year, q.month)
    snap = await load_snapshot(session, settings, q.material, period, q.place)
    actual = await actual_utilisation(session, q.material, period, q.place)
    say(f"loaded {len(snap.supplies)} listings and {len(snap.demands)} demands of {q.material}")
    baseline = await solve(snap, actual, settings.allocation_seconds)
    say(f"baseline: {baseline.summary.tonnes_allocated} t allocated in {baseline.seconds:.2f} s")
    filters: dict[str, Any] = {"year": q.year, "month": q.month, "material": q.material}
    if q.place is not None:
        filters.update(
            district=q.place.district,
            park=q.place.park,
            org_ids=None if q.place.org_ids is None else sorted(q.place.org_ids),
        )
    if q.changes is None:
        return AllocationReport(filters, None, baseline, None, None)
    changed = await apply_changes(session, snap, q.changes)
    result = await solve(changed, actual, settings.allocation_seconds)
    say(f"scenario: {result.summary.tonnes_allocated} t allocated in {result.seconds:.2f} s")
    return AllocationReport(
        filters,
        {"id": q.scenario_id, "name": q.scenario_name},
        result,
        baseline,
        _difference(result, baseline),
    )
