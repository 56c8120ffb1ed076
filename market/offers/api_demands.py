"""Demand requests: post, read, change, withdraw, and search nearest first."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from litestar import Request, Response, get, patch, post
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody

from market.accounts.deps import CurrentUser
from market.accounts.models import User
from market.core.deps import READS_ONLY, Db
from market.core.openapi import problems
from market.core.response_cache import cached_json
from market.core.schemas import Page
from market.offers import demands as svc
from market.offers.api_params import SEARCH, SearchQuery
from market.offers.common import DEMANDS, readable
from market.offers.privacy import demand_views
from market.offers.schemas import DemandIn, DemandOut, DemandPatch
from market.offers.search import search_stamp


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
    opt=READS_ONLY,
)
async def search_demands(
    user: CurrentUser,
    db: Db,
    search: SearchQuery,
    state: State,
    request: Request[Any, Any, Any],
) -> Response[Page[DemandOut]]:
    search = replace(search, positions=state.positions)

    async def compute() -> Page[DemandOut]:
        items, total = await svc.search_demands(db, user, search)
        return Page[DemandOut](
            items=items, total=total, page=search.page, page_size=search.page_size
        )

    stamp = await search_stamp(db, DEMANDS, search)
    key = ("demands", user.id, search)
    return await cached_json(request, state.answers, key, stamp, compute, db.commit)


@get("/demands/{demand_id:int}", tags=["demands"], opt=READS_ONLY)
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
