"""Demand requests: what cement plants, builders, road works and recyclers need.

Other organisations see the buyer as anonymous and its site rounded until a deal, as for
supply (:mod:`market.offers.privacy`); the spec limits, haul radius and price ceiling are
what the matcher uses. The steps demands share with listings are in
:mod:`market.offers.common`.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from market.accounts.models import User
from market.catalogue import service as catalogue
from market.catalogue.models import Material
from market.core.errors import Invalid
from market.offers.common import (
    DEMANDS,
    begin_update,
    finish_update,
    offer_columns,
    posted_from,
    withdrawable,
)
from market.offers.models import Demand
from market.offers.privacy import demand_views
from market.offers.schemas import Bounds, DemandIn, DemandOut, DemandPatch, bounds
from market.offers.search import OfferQuery, search_ids

#: Changed as given once the checks pass (requirements, grade and use are checked first).
PLAIN_FIELDS = (
    "title",
    "use",
    "quantity_t",
    "cadence",
    "max_haul_km",
    "max_price_cny_t",
    "needed_from",
    "needed_until",
)


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


async def create_demand(session: AsyncSession, actor: User, data: DemandIn) -> Demand:
    """Post a demand from one of the actor's sites: its use, limits and grade are checked."""
    site, material = await posted_from(session, actor, data)
    check_use(material, data.use)
    requirements = bounds(data.requirements)
    await check_requirements(session, data.material_code, requirements, data.grade)
    DEMANDS.check_window(data)
    demand = Demand(
        **offer_columns(site, data),
        use=data.use,
        requirements=requirements_to_json(requirements),
        grade_key=data.grade,
        max_haul_km=data.max_haul_km,
        max_price_cny_t=data.max_price_cny_t,
        needed_from=data.needed_from,
        needed_until=data.needed_until,
    )
    session.add(demand)
    await session.flush()
    return demand


async def update_demand(
    session: AsyncSession, actor: User, demand_id: int, data: DemandPatch
) -> Demand:
    """Apply a partial update; new limits or a new grade are checked together."""
    demand, changes = await begin_update(session, DEMANDS, actor, demand_id, data)
    if "requirements" in changes or "grade" in changes:
        if data.requirements is not None:
            reqs = bounds(data.requirements)
        else:
            reqs = requirements_from_json(demand.requirements)
        grade = changes.get("grade", demand.grade_key)
        await check_requirements(session, demand.material_code, reqs, grade)
        demand.requirements = requirements_to_json(reqs)
        demand.grade_key = grade
    if "use" in changes:
        check_use(await catalogue.get_material(session, demand.material_code), changes["use"])
    await finish_update(session, DEMANDS, demand, changes, PLAIN_FIELDS)
    return demand


async def withdraw_demand(session: AsyncSession, actor: User, demand_id: int) -> Demand:
    await withdrawable(session, DEMANDS, actor, demand_id)
    return await update_demand(session, actor, demand_id, DemandPatch(status="withdrawn"))


async def search_demands(
    session: AsyncSession, viewer: User, q: OfferQuery
) -> tuple[list[DemandOut], int]:
    """Open demands (or, with ``mine``, all of the viewer's), nearest first when located."""
    ids, distances, total = await search_ids(session, DEMANDS, viewer, q)
    return await demand_views(session, viewer, ids, distances), total
