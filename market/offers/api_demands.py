"""Demand requests: post, read, change, withdraw, and search nearest first."""

from __future__ import annotations

from litestar import get, patch, post
from litestar.params import FromPath, JSONBody

from market.accounts.deps import CurrentUser
from market.accounts.models import User
from market.core.deps import Db
from market.core.openapi import problems
from market.core.schemas import Page
from market.offers import demands as svc
from market.offers.api_params import SEARCH, SearchQuery
from market.offers.common import DEMANDS, readable
from market.offers.privacy import demand_views
from market.offers.schemas import DemandIn, DemandOut, DemandPatch


async def _one(db: Db, user: User, demand_id: int) -> DemandOut:
    (view,) = await demand_views(db, user, [demand_id])
    return view


@post(
    "/demands",
    tags=["demands"],
    summary="Post a demand request from one of your sites",
    responses=problems(403),
)
async def create_demand(data: JSONBody[DemandIn], user: CurrentUser, db: Db) -> DemandOut:
    demand = await svc.create_demand(db, user, data)
    return await _one(db, user, demand.id or 0)


@get(
    "/demands",
    tags=["demands"],
    summary="Open demand requests, nearest first when lat/lon given",
    dependencies=SEARCH,
)
async def search_demands(user: CurrentUser, db: Db, search: SearchQuery) -> Page[DemandOut]:
    items, total = await svc.search_demands(db, user, search)
    return Page[DemandOut](items=items, total=total, page=search.page, page_size=search.page_size)


@get("/demands/{demand_id:int}", tags=["demands"])
async def get_demand(demand_id: FromPath[int], user: CurrentUser, db: Db) -> DemandOut:
    await readable(db, DEMANDS, user, demand_id)
    return await _one(db, user, demand_id)


@patch(
    "/demands/{demand_id:int}",
    tags=["demands"],
    summary="Change a demand (members)",
    responses=problems(403, 409),
)
async def update_demand(
    demand_id: FromPath[int], data: JSONBody[DemandPatch], user: CurrentUser, db: Db
) -> DemandOut:
    await svc.update_demand(db, user, demand_id, data)
    return await _one(db, user, demand_id)


@post(
    "/demands/{demand_id:int}/withdraw",
    tags=["demands"],
    status_code=200,
    responses=problems(403, 409),
)
async def withdraw_demand(demand_id: FromPath[int], user: CurrentUser, db: Db) -> DemandOut:
    await svc.withdraw_demand(db, user, demand_id)
    return await _one(db, user, demand_id)


routes = [create_demand, search_demands, get_demand, update_demand, withdraw_demand]
