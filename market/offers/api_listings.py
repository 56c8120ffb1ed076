"""Supply listings: post, read, change, withdraw, and search nearest first."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any, Literal

from litestar import Request, Response, get, patch, post
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody, QueryParameter

from market.accounts.deps import CurrentUser
from market.core.deps import READS_ONLY, AppSettings, Db
from market.core.errors import Invalid
from market.core.openapi import problems
from market.core.response_cache import cached_json
from market.core.schemas import Page
from market.offers import listings as svc
from market.offers.api_params import SEARCH, SearchQuery
from market.offers.common import LISTINGS
from market.offers.documents import spec_sources
from market.offers.privacy import listing_views
from market.offers.schemas import ListingIn, ListingOut, ListingPatch
from market.offers.search import search_stamp

Sort = Annotated[
    Literal["nearest", "delivered"],
    QueryParameter(
        description="nearest first, or cheapest delivered first (price + haul to lat/lon at "
        "the freight rate, each listing's delivered_cny_t); delivered needs lat and lon"
    ),
]


async def _one(db: Db, user: CurrentUser, listing_id: int) -> ListingOut:
    (view,) = await listing_views(db, user, [listing_id])
    listing = await svc.get_listing(db, listing_id)
    return view.model_copy(update={"spec_sources": await spec_sources(db, user, listing)})


@post(
    "/listings",
    tags=["listings"],
    summary="Post a supply listing from one of your sites",
    responses=problems(403),
)
async def create_listing(data: JSONBody[ListingIn], user: CurrentUser, db: Db) -> ListingOut:
    listing = await svc.create_listing(db, user, data)
    return await _one(db, user, listing.id or 0)


@get(
    "/listings",
    tags=["listings"],
    summary="Open listings, nearest (or cheapest delivered) first when lat/lon given",
    dependencies=SEARCH,
    opt=READS_ONLY,
)
async def search_listings(
    user: CurrentUser,
    db: Db,
    search: SearchQuery,
    settings: AppSettings,
    state: State,
    request: Request[Any, Any, Any],
    sort: Sort = "nearest",
) -> Response[Page[ListingOut]]:
    if sort == "delivered":
        if search.geo is None:
            raise Invalid("sort", "delivered needs lat and lon: the point delivered to")
        search = replace(search, delivered_per_km=svc.delivered_per_km(settings))
    search = replace(search, positions=state.positions)

    async def compute() -> Page[ListingOut]:
        items, total = await svc.search_listings(db, user, search)
        return Page[ListingOut](
            items=items, total=total, page=search.page, page_size=search.page_size
        )

    stamp = await search_stamp(db, LISTINGS, search)
    key = ("listings", user.id, search)
    return await cached_json(request, state.answers, key, stamp, compute, db.commit)


@get("/listings/{listing_id:int}", tags=["listings"], opt=READS_ONLY)
async def get_listing(listing_id: FromPath[int], user: CurrentUser, db: Db) -> ListingOut:
    await svc.readable_listing(db, user, listing_id)
    return await _one(db, user, listing_id)


@patch(
    "/listings/{listing_id:int}",
    tags=["listings"],
    summary="Change a listing (members)",
    responses=problems(403, 409),
)
async def update_listing(
    listing_id: FromPath[int], data: JSONBody[ListingPatch], user: CurrentUser, db: Db
) -> ListingOut:
    await svc.update_listing(db, user, listing_id, data)
    return await _one(db, user, listing_id)


@post(
    "/listings/{listing_id:int}/withdraw",
    tags=["listings"],
    status_code=200,
    responses=problems(403, 409),
)
async def withdraw_listing(listing_id: FromPath[int], user: CurrentUser, db: Db) -> ListingOut:
    await svc.withdraw_listing(db, user, listing_id)
    return await _one(db, user, listing_id)


routes = [create_listing, search_listings, get_listing, update_listing, withdraw_listing]
