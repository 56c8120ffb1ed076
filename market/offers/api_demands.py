"""Demand requests: post, read, change, withdraw, and search nearest first."""

from __future__ import annotations

from typing import Any

from litestar import get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody

from market.accounts.deps import CurrentUser
from market.core.deps import Db
from market.offers import demands as svc
from market.offers.api_listings import Crs, Lat, Lon, MinQty, Page, PageSize, Radius
from market.offers.common import geo_filter, non_negative
from market.offers.schemas import DemandIn, DemandPatch, bounds


async def _one(db: Db, demand_id: FromPath[int]) -> dict[str, Any]:
    return (await svc.demand_views(db, [demand_id]))[0]


@post("/demands", tags=["demands"], summary="Post a demand request from one of your sites")
async def create_demand(data: JSONBody[DemandIn], user: CurrentUser, db: Db) -> dict[str, Any]:
    demand = await svc.create_demand(
        db,
        user,
        site_id=data.site_id,
        material_code=data.material_code,
        quantity_t=data.quantity_t,
        cadence=data.cadence,
        requirements=bounds(data.requirements),
        grade=data.grade,
        max_haul_km=data.max_haul_km,
        max_price_cny_t=data.max_price_cny_t,
        needed_from=data.needed_from,
        needed_until=data.needed_until,
        status=data.status,
        title=data.title,
        use=data.use,
    )
    assert demand.id is not None
    return await _one(db, demand.id)


@get("/demands", tags=["demands"], summary="Open demand requests, nearest first when lat/lon given")
async def search_demands(
    user: CurrentUser,
    db: Db,
    material: FromQuery[str | None] = None,
    lat: Lat = None,
    lon: Lon = None,
    radius_km: Radius = None,
    min_quantity_t: MinQty = None,
    mine: FromQuery[bool] = False,
    crs: Crs = "wgs84",
    page: Page = 1,
    page_size: PageSize = 20,
) -> dict[str, Any]:
    query = svc.DemandQuery(
        material=material,
        geo=geo_filter(lat, lon, radius_km, crs),
        min_quantity_t=non_negative(min_quantity_t, "min_quantity_t"),
        mine=mine,
        page=page,
        page_size=page_size,
    )
    items, total = await svc.search_demands(db, user, query)
    return {"items": items, "total": total, "page": page, "page_size": page_size}


@get("/demands/{demand_id:int}", tags=["demands"])
async def get_demand(demand_id: FromPath[int], user: CurrentUser, db: Db) -> dict[str, Any]:
    await svc.readable_demand(db, user, demand_id)
    return await _one(db, demand_id)


@patch("/demands/{demand_id:int}", tags=["demands"], summary="Change a demand (members)")
async def update_demand(
    demand_id: FromPath[int], data: JSONBody[DemandPatch], user: CurrentUser, db: Db
) -> dict[str, Any]:
    changes = data.model_dump(exclude_unset=True)
    if data.requirements is not None:
        changes["requirements"] = bounds(data.requirements)
    await svc.update_demand(db, user, demand_id, changes)
    return await _one(db, demand_id)


@post("/demands/{demand_id:int}/withdraw", tags=["demands"], status_code=200)
async def withdraw_demand(demand_id: FromPath[int], user: CurrentUser, db: Db) -> dict[str, Any]:
    await svc.withdraw_demand(db, user, demand_id)
    return await _one(db, demand_id)


routes = [create_demand, search_demands, get_demand, update_demand, withdraw_demand]
