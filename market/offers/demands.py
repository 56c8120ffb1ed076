"""Demand requests: what cement plants, builders, road works and recyclers need.

A buyer's identity is not hidden (they are the ones asking); the spec limits, haul radius
and price ceiling are what the matcher uses.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from geodata.districts import DISTRICT_NAMES
from market.accounts.access import member_org_ids, sees_everything
from market.accounts.models import Organization, Site, User
from market.catalogue import service as catalogue
from market.catalogue.models import Material
from market.core import decimals as dec
from market.core.errors import Conflict, Forbidden, Invalid, NotFound
from market.offers.common import (
    GeoFilter,
    change_status,
    check_window,
    nearest_page,
    posting_site,
    reject_nulls,
)
from market.offers.models import CADENCES, DEMAND_TRANSITIONS, Demand

Bounds = tuple[Decimal | None, Decimal | None]


async def check_requirements(
    session: AsyncSession, material_code: str, requirements: Mapping[str, Bounds], grade: str | None
) -> None:
    params = await catalogue.parameters(session, material_code)
    for key, (lo, hi) in requirements.items():
        if lo is None and hi is None:
            raise Invalid(f"requirements.{key}", "give min, max or both")
        for bound in (lo, hi):
            if bound is not None:
                catalogue.check_values({key: bound}, params, "requirements")
        if lo is not None and hi is not None and lo > hi:
            raise Invalid(f"requirements.{key}", f"min {lo} is greater than max {hi}")
    if grade is not None:
        await catalogue.grade_for_input(session, grade, material_code)


def check_use(material: Material, use: str | None) -> None:
    """The declared use must be one of the material's typical uses (422 listing them)."""
    if use is None:
        return
    uses = [u["key"] for u in material.typical_uses]
    if use not in uses:
        raise Invalid(
            "use", f"not a typical use of {material.code}; choose one of {', '.join(uses)}"
        )


def requirements_to_json(requirements: Mapping[str, Bounds]) -> dict[str, dict[str, str | None]]:
    return {
        k: {
            "min": catalogue.fmt(lo) if lo is not None else None,
            "max": catalogue.fmt(hi) if hi is not None else None,
        }
        for k, (lo, hi) in requirements.items()
    }


def requirements_from_json(raw: Mapping[str, Any]) -> dict[str, Bounds]:
    def dec(v: Any) -> Decimal | None:
        return None if v is None else Decimal(str(v))

    return {k: (dec(v.get("min")), dec(v.get("max"))) for k, v in raw.items()}


async def create_demand(
    session: AsyncSession,
    actor: User,
    *,
    site_id: int,
    material_code: str,
    quantity_t: Decimal,
    cadence: str,
    requirements: Mapping[str, Bounds],
    grade: str | None,
    max_haul_km: Decimal | None,
    max_price_cny_t: Decimal | None,
    needed_from: date | None = None,
    needed_until: date | None = None,
    status: str = "open",
    title: str = "",
    use: str | None = None,
) -> Demand:
    site = await posting_site(session, actor, site_id)
    material = await catalogue.material_for_input(session, material_code)
    check_use(material, use)
    await check_requirements(session, material_code, requirements, grade)
    if cadence not in CADENCES:
        raise Invalid("cadence", f"must be one of {', '.join(CADENCES)}")
    if status not in ("draft", "open"):
        raise Invalid("status", "a new demand starts as draft or open")
    check_window(needed_from, needed_until, "needed_from", "needed_until")
    demand = Demand(
        organization_id=site.organization_id,
        site_id=site_id,
        material_code=material_code,
        title=title.strip(),
        use=use,
        quantity_t=quantity_t,
        cadence=cadence,
        requirements=requirements_to_json(requirements),
        grade_key=grade,
        max_haul_km=max_haul_km,
        max_price_cny_t=max_price_cny_t,
        needed_from=needed_from,
        needed_until=needed_until,
        status=status,
    )
    session.add(demand)
    await session.flush()
    return demand


async def readable_demand(session: AsyncSession, viewer: User, demand_id: int) -> Demand:
    demand = await session.get(Demand, demand_id)
    if demand is not None and (
        demand.status == "open"
        or sees_everything(viewer)
        or demand.organization_id in await member_org_ids(session, viewer)
    ):
        return demand
    raise NotFound(f"demand {demand_id} does not exist")


async def owned_demand(session: AsyncSession, actor: User, demand_id: int) -> Demand:
    demand = await readable_demand(session, actor, demand_id)
    if demand.organization_id not in await member_org_ids(session, actor):
        raise Forbidden("only members of the requesting organisation can change this demand")
    return demand


async def update_demand(
    session: AsyncSession, actor: User, demand_id: int, changes: Mapping[str, Any]
) -> Demand:
    demand = await owned_demand(session, actor, demand_id)
    reject_nulls(changes, ("title", "quantity_t", "cadence", "requirements", "status"))
    if demand.status in ("closed", "withdrawn"):
        raise Invalid("status", f"a {demand.status} demand can no longer be changed")
    if "requirements" in changes or "grade" in changes:
        reqs = changes.get("requirements", requirements_from_json(demand.requirements))
        grade = changes.get("grade", demand.grade_key)
        await check_requirements(session, demand.material_code, reqs, grade)
        demand.requirements = requirements_to_json(reqs)
        demand.grade_key = grade
    if "use" in changes:
        check_use(await catalogue.get_material(session, demand.material_code), changes["use"])
    if "cadence" in changes and changes["cadence"] not in CADENCES:
        raise Invalid("cadence", f"must be one of {', '.join(CADENCES)}")
    for name in (
        "title",
        "use",
        "quantity_t",
        "cadence",
        "max_haul_km",
        "max_price_cny_t",
        "needed_from",
        "needed_until",
    ):
        if name in changes:
            setattr(demand, name, changes[name])
    check_window(demand.needed_from, demand.needed_until, "needed_from", "needed_until")
    if "status" in changes:
        demand.status = change_status(
            demand.status, changes["status"], DEMAND_TRANSITIONS, "demand"
        )
    demand.updated_at = datetime.now(UTC)
    session.add(demand)
    await session.flush()
    return demand


async def withdraw_demand(session: AsyncSession, actor: User, demand_id: int) -> Demand:
    demand = await owned_demand(session, actor, demand_id)
    if demand.status == "withdrawn":
        raise Conflict(f"demand {demand_id} is already withdrawn")
    return await update_demand(session, actor, demand_id, {"status": "withdrawn"})


@dataclass(frozen=True)
class DemandQuery:
    material: str | None
    geo: GeoFilter | None
    min_quantity_t: Decimal | None
    mine: bool
    page: int
    page_size: int


async def search_demands(
    session: AsyncSession, viewer: User, q: DemandQuery
) -> tuple[list[dict[str, Any]], int]:
    conds: list[Any] = []
    if q.mine:
        conds.append(Demand.organization_id.in_(await member_org_ids(session, viewer)))  # type: ignore[attr-defined]
    else:
        conds.append(Demand.status == "open")
    if q.material:
        conds.append(Demand.material_code == q.material)
    if q.min_quantity_t is not None:
        conds.append(Demand.quantity_t >= q.min_quantity_t)
    ids, dist, total = await nearest_page(
        session, Demand.id, conds, q.geo, Demand.created_at, q.page, q.page_size
    )
    return await demand_views(session, ids, dist), total


async def demand_views(
    session: AsyncSession, ids: list[int], distances: Mapping[int, float] | None = None
) -> list[dict[str, Any]]:
    if not ids:
        return []
    rows = (
        await session.exec(
            select(Demand, Site, Organization)
            .join(Site, Site.id == Demand.site_id)  # type: ignore[arg-type]
            .join(Organization, Organization.id == Demand.organization_id)  # type: ignore[arg-type]
            .where(Demand.id.in_(ids))  # type: ignore[union-attr]
        )
    ).all()
    by_id = {
        r[0].id: demand_view(*r, distance_km=(distances or {}).get(r[0].id or 0)) for r in rows
    }
    return [by_id[i] for i in ids if i in by_id]


def demand_view(
    demand: Demand, site: Site, org: Organization, distance_km: float | None = None
) -> dict[str, Any]:
    district = site.district_code or org.district_code
    view: dict[str, Any] = {
        "id": demand.id,
        "title": demand.title,
        "material_code": demand.material_code,
        "use": demand.use,
        "quantity_t": dec.t(demand.quantity_t),
        "cadence": demand.cadence,
        "requirements": dict(demand.requirements),
        "grade": demand.grade_key,
        "max_haul_km": dec.opt_km(demand.max_haul_km),
        "max_price_cny_t": dec.opt_cny(demand.max_price_cny_t),
        "needed_from": demand.needed_from,
        "needed_until": demand.needed_until,
        "status": demand.status,
        "created_at": demand.created_at,
        "updated_at": demand.updated_at,
        "organization": {"id": org.id, "name": org.name, "kind": org.kind},
        "site": {
            "id": site.id,
            "name": site.name,
            "address": site.address,
            "lon": round(site.lon, 6),
            "lat": round(site.lat, 6),
            "district_code": district,
            "district_name": DISTRICT_NAMES.get(district or ""),
            "park_code": site.park_code,
        },
    }
    if distance_km is not None:
        view["distance_km"] = dec.km(distance_km)
    return view
