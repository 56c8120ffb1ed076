"""Matching and compliance for the service: database rows in, ``matching`` results out.

The pure matcher needs a spatial index of the open rows of one material. Building it costs
a query over those rows, so each process keeps the index per material and side in a
:class:`BookCache`, rebuilt when a cheap version query (count, latest change, tonnes taken)
says the rows changed, or after ``ttl`` seconds (permits and the MIIT flag carry no
timestamp). Requests then touch only the candidates the index returns.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from market.accounts.access import member_org_ids, sees_everything
from market.accounts.models import Organization, Permit, Site, User
from market.catalogue import service as catalogue
from market.catalogue.models import Material
from market.core import decimals as dec
from market.core.errors import Forbidden, Invalid
from market.core.settings import Settings
from market.offers.demands import demand_views, readable_demand, requirements_from_json
from market.offers.listings import listing_views, readable_listing, spec_from_json
from market.offers.models import Demand, Listing
from matching.compliance import Compliance, check, combine, describe, grades_met
from matching.engine import DemandBook, SupplyBook
from matching.model import Demand as MDemand
from matching.model import Match
from matching.model import Supply as MSupply
from matching.scoring import MatchSettings
from matching.specs import Limit

MAX_LIMIT = 100


def match_settings(settings: Settings) -> MatchSettings:
    return MatchSettings(
        freight_cny_per_t_km=settings.freight_cny_per_t_km, circuity=float(settings.circuity)
    )


# --- rows → matching's plain data ----------------------------------------------------


def requirement_limits(demand: Demand) -> dict[str, Limit]:
    return {
        k: Limit(min=lo, max=hi, source="buyer's requirement")
        for k, (lo, hi) in requirements_from_json(demand.requirements).items()
    }


async def demand_limits(session: AsyncSession, demand: Demand) -> dict[str, Limit]:
    """The buyer's explicit limits combined with its grade preset (tighter bound wins)."""
    limits = requirement_limits(demand)
    if demand.grade_key:
        grade = await catalogue.get_grade(session, demand.material_code, demand.grade_key)
        if grade is not None:
            preset = next(
                (
                    g
                    for g in await catalogue.matching_grades(session, demand.material_code)
                    if g.key == grade.key
                ),
                None,
            )
            if preset is not None:
                limits = combine(preset.limits, limits)
    return limits


async def _valid_permits(session: AsyncSession) -> dict[int, frozenset[str]]:
    rows = (
        await session.exec(
            select(Permit.organization_id, Permit.kind).where(Permit.valid_until >= date.today())
        )
    ).all()
    permits: dict[int, set[str]] = {}
    for org_id, kind in rows:
        permits.setdefault(org_id, set()).add(kind)
    return {k: frozenset(v) for k, v in permits.items()}


def to_supply(
    listing: Listing, site: Site, material: Material, *, rounded: bool = False
) -> MSupply:
    """``rounded``: place the lot where other organisations see it (0.01°, about 1 km), so
    distances and delivered costs shown to buyers cannot pin an anonymous site down."""
    assert listing.id is not None
    return MSupply(
        id=listing.id,
        org_id=listing.organization_id,
        material=listing.material_code,
        lon=round(site.lon, 2) if rounded else site.lon,
        lat=round(site.lat, 2) if rounded else site.lat,
        quantity_t=listing.available_t,
        price_cny_t=listing.price_cny_t,
        values=spec_from_json(listing.spec),
        hazardous=material.hazardous,
        # Every traction-battery lot is treated as a recycling lot: only MIIT-listed firms.
        battery_recycling=material.battery,
        hazard_code=material.hazard_code,
    )


async def _demand_objects(
    session: AsyncSession, material: str, ids: list[int] | None = None
) -> list[MDemand]:
    stmt = (
        select(Demand, Site, Organization)
        .join(Site, col(Site.id) == col(Demand.site_id))
        .join(Organization, col(Organization.id) == col(Demand.organization_id))
        .where(col(Demand.material_code) == material)
    )
    stmt = (
        stmt.where(col(Demand.id).in_(ids))
        if ids is not None
        else stmt.where(col(Demand.status) == "open")
    )
    rows = (await session.exec(stmt)).all()
    permits = await _valid_permits(session)
    preset_limits = {g.key: g.limits for g in await catalogue.matching_grades(session, material)}
    out = []
    for d, site, org in rows:
        assert d.id is not None
        limits = requirement_limits(d)
        if d.grade_key in preset_limits:
            limits = combine(preset_limits[d.grade_key], limits)
        out.append(
            MDemand(
                id=d.id,
                org_id=d.organization_id,
                material=d.material_code,
                lon=site.lon,
                lat=site.lat,
                quantity_t=d.quantity_t,
                max_price_cny_t=d.max_price_cny_t,
                max_haul_km=d.max_haul_km,
                limits=limits,
                permits=permits.get(d.organization_id, frozenset()),
                miit_listed=org.miit_listed,
            )
        )
    return out


async def _supply_objects(session: AsyncSession, material: str) -> list[MSupply]:
    mat = await catalogue.get_material(session, material)
    rows = (
        await session.exec(
            select(Listing, Site)
            .join(Site, col(Site.id) == col(Listing.site_id))
            .where(col(Listing.material_code) == material, col(Listing.status) == "open")
        )
    ).all()
    return [to_supply(lst, site, mat, rounded=True) for lst, site in rows if lst.available_t > 0]


# --- the per-process index cache ----------------------------------------------------------


@dataclass
class _Entry:
    version: tuple[Any, ...]
    built: float
    book: Any


@dataclass
class BookCache:
    """Spatial indexes of open demands / listings per material, reused across requests."""

    ttl: float = 30.0
    _entries: dict[tuple[str, str], _Entry] = field(default_factory=dict)
    builds: int = 0

    async def demand_book(self, session: AsyncSession, material: str) -> DemandBook:
        version = (
            await session.exec(
                select(func.count(), func.max(Demand.updated_at)).where(
                    col(Demand.material_code) == material
                )
            )
        ).one()
        return await self._get(
            ("demand", material), tuple(version), lambda: self._build_demands(session, material)
        )

    async def supply_book(self, session: AsyncSession, material: str) -> SupplyBook:
        version = (
            await session.exec(
                select(
                    func.count(),
                    func.max(Listing.updated_at),
                    func.sum(Listing.reserved_t),
                    func.sum(Listing.delivered_t),
                ).where(col(Listing.material_code) == material)
            )
        ).one()
        return await self._get(
            ("supply", material), tuple(version), lambda: self._build_supplies(session, material)
        )

    async def _get(self, key: tuple[str, str], version: tuple[Any, ...], build: Any) -> Any:
        entry = self._entries.get(key)
        now = time.monotonic()
        if entry is None or entry.version != version or now - entry.built > self.ttl:
            entry = _Entry(version, now, await build())
            self._entries[key] = entry
            self.builds += 1
        return entry.book

    async def _build_demands(self, session: AsyncSession, material: str) -> DemandBook:
        params = await catalogue.matching_parameters(session, material)
        return DemandBook(await _demand_objects(session, material), params)

    async def _build_supplies(self, session: AsyncSession, material: str) -> SupplyBook:
        params = await catalogue.matching_parameters(session, material)
        return SupplyBook(await _supply_objects(session, material), params)


# --- views ------------------------------------------------------------------------------------


def compliance_view(c: Compliance) -> dict[str, Any]:
    return {
        "verdict": c.verdict,
        "parameters": [
            {
                "parameter": p.key,
                "value": catalogue.fmt(p.value) if p.value is not None else None,
                "min": catalogue.fmt(p.min) if p.min is not None else None,
                "max": catalogue.fmt(p.max) if p.max is not None else None,
                "status": p.status,
                "margin": catalogue.fmt(p.margin) if p.margin is not None else None,
                "confirmed": p.confirmed,
                "source": p.source,
            }
            for p in c.params
        ],
    }


def match_figures(m: Match) -> dict[str, Any]:
    return {
        "road_km": dec.km(m.road_km),
        "road_distance_method": "estimate: geodesic × circuity",
        "freight_cny_t": dec.cny(m.freight_cny_t),
        "delivered_cny_t": dec.cny(m.delivered_cny_t),
        "volume_fit": m.volume_fit,
        "spec_margin": m.spec_margin,
        "score": m.score,
        "compliance": compliance_view(m.compliance),
        "explanation_zh": m.explanation_zh,
        "explanation_en": m.explanation_en,
    }


def _check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise Invalid("limit", f"must be between 1 and {MAX_LIMIT}")


async def _require_party(session: AsyncSession, viewer: User, org_id: int, what: str) -> None:
    if not sees_everything(viewer) and org_id not in await member_org_ids(session, viewer):
        raise Forbidden(
            f"only members of the {what}'s organisation (or regulators) see its matches"
        )


async def listing_matches(
    session: AsyncSession,
    viewer: User,
    listing_id: int,
    *,
    limit: int,
    settings: Settings,
    cache: BookCache,
) -> list[dict[str, Any]]:
    """The best open demand requests for a listing, best first, with why."""
    _check_limit(limit)
    listing = await readable_listing(session, viewer, listing_id)
    await _require_party(session, viewer, listing.organization_id, "listing")
    site = await session.get(Site, listing.site_id)
    assert site is not None
    supply = to_supply(listing, site, await catalogue.get_material(session, listing.material_code))
    book = await cache.demand_book(session, listing.material_code)
    matches = book.matches_for_supply(supply, match_settings(settings), limit)
    views = {v["id"]: v for v in await demand_views(session, [m.demand_id for m in matches])}
    return [
        {"demand": views[m.demand_id]} | match_figures(m) for m in matches if m.demand_id in views
    ]


async def demand_matches(
    session: AsyncSession,
    viewer: User,
    demand_id: int,
    *,
    limit: int,
    settings: Settings,
    cache: BookCache,
) -> list[dict[str, Any]]:
    """The best open listings for a demand request, best first, with why (producers anonymised)."""
    _check_limit(limit)
    demand = await readable_demand(session, viewer, demand_id)
    await _require_party(session, viewer, demand.organization_id, "demand")
    (mdemand,) = await _demand_objects(session, demand.material_code, [demand_id])
    book = await cache.supply_book(session, demand.material_code)
    matches = book.matches_for_demand(mdemand, match_settings(settings), limit)
    views = {
        v["id"]: v for v in await listing_views(session, viewer, [m.supply_id for m in matches])
    }
    return [
        {"listing": views[m.supply_id]} | match_figures(m) for m in matches if m.supply_id in views
    ]


async def listing_compliance(
    session: AsyncSession,
    viewer: User,
    listing_id: int,
    *,
    demand_id: int | None,
    grade: str | None,
) -> dict[str, Any]:
    """Check a listing's spec against a demand's requirements, one grade, or every grade."""
    if demand_id is not None and grade is not None:
        raise Invalid("grade", "give demand_id or grade, not both")
    listing = await readable_listing(session, viewer, listing_id)
    values = spec_from_json(listing.spec)
    params = await catalogue.matching_parameters(session, listing.material_code)
    result: dict[str, Any] = {"listing_id": listing_id, "material_code": listing.material_code}
    if demand_id is not None:
        demand = await readable_demand(session, viewer, demand_id)
        if demand.material_code != listing.material_code:
            raise Invalid(
                "demand_id",
                f"demand {demand_id} is for {demand.material_code}, not {listing.material_code}",
            )
        return (
            result
            | {"against": {"demand_id": demand_id}}
            | compliance_view(check(values, await demand_limits(session, demand)))
        )
    all_grades = await catalogue.matching_grades(session, listing.material_code)
    if grade is not None:
        chosen = next((g for g in all_grades if g.key == grade), None)
        if chosen is None:
            raise Invalid("grade", f"unknown grade {grade!r} for {listing.material_code}")
        return (
            result
            | {"against": {"grade": grade, "name": chosen.name}}
            | compliance_view(check(values, chosen.limits))
        )
    families: dict[str, list[Any]] = {}
    for g in all_grades:
        families.setdefault(catalogue.grade_family(g.key), []).append(g)
    summaries = []
    for family in families.values():
        verdicts = grades_met(values, family)
        text = describe(verdicts, params)
        summaries.append(
            {
                "grades": [
                    {"key": v.grade.key, "name": v.grade.name, "verdict": v.verdict}
                    for v in verdicts
                ],
                "summary_zh": text.zh,
                "summary_en": text.en,
            }
        )
    return result | {"against": "all grades", "families": summaries}
