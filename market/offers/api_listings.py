"""Supply listings: post, read, change, withdraw, and search nearest first."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from litestar import get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from market.accounts.deps import CurrentUser
from market.core.deps import Db
from market.offers import listings as svc
from market.offers.common import geo_filter, non_negative
from market.offers.schemas import ListingIn, ListingPatch

Lat = Annotated[float | None, QueryParameter(ge=-90, le=90, description="centre latitude, WGS84")]
Lon = Annotated[
    float | None, QueryParameter(ge=-180, le=180, description="centre longitude, WGS84")
]
Radius = Annotated[float | None, QueryParameter(gt=0, le=2000, description="km around lat/lon")]
MinQty = Annotated[
    Decimal | None, QueryParameter(description="tonnes still available at least (≥ 0)")
]
Crs = Annotated[str, QueryParameter(description="datum of lat/lon: wgs84, gcj02, bd09, cgcs2000")]
Page = Annotated[int, QueryParameter(ge=1, le=1_000_000)]
PageSize = Annotated[int, QueryParameter(ge=1, le=200)]


async def _one(db: Db, user: CurrentUser, listing_id: FromPath[int]) -> dict[str, Any]:
    return (await svc.listing_views(db, user, [listing_id]))[0]


@post("/listings", tags=["listings"], summary="Post a supply listing from one of your sites")
async def create_listing(data: JSONBody[ListingIn], user: CurrentUser, db: Db) -> dict[str, Any]:
    listing = await svc.create_listing(
        db,
        user,
        site_id=data.site_id,
        material_code=data.material_code,
        quantity_t=data.quantity_t,
        cadence=data.cadence,
        spec=data.spec,
        price_cny_t=data.price_cny_t,
        available_from=data.available_from,
        available_until=data.available_until,
        status=data.status,
        title=data.title,
    )
    assert listing.id is not None
    return await _one(db, user, listing.id)


@get("/listings", tags=["listings"], summary="Open listings, nearest first when lat/lon given")
async def search_listings(
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
    query = svc.ListingQuery(
        material=material,
        geo=geo_filter(lat, lon, radius_km, crs),
        min_quantity_t=non_negative(min_quantity_t, "min_quantity_t"),
        mine=mine,
        page=page,
        page_size=page_size,
    )
    items, total = await svc.search_listings(db, user, query)
    return {"items": items, "total": total, "page": page, "page_size": page_size}


@get("/listings/{listing_id:int}", tags=["listings"])
async def get_listing(listing_id: FromPath[int], user: CurrentUser, db: Db) -> dict[str, Any]:
    await svc.readable_listing(db, user, listing_id)
    return await _one(db, user, listing_id)


@patch("/listings/{listing_id:int}", tags=["listings"], summary="Change a listing (members)")
async def update_listing(
    listing_id: FromPath[int], data: JSONBody[ListingPatch], user: CurrentUser, db: Db
) -> dict[str, Any]:
    await svc.update_listing(db, user, listing_id, data.model_dump(exclude_unset=True))
    return await _one(db, user, listing_id)


@post("/listings/{listing_id:int}/withdraw", tags=["listings"], status_code=200)
async def withdraw_listing(listing_id: FromPath[int], user: CurrentUser, db: Db) -> dict[str, Any]:
    await svc.withdraw_listing(db, user, listing_id)
    return await _one(db, user, listing_id)


routes = [create_listing, search_listings, get_listing, update_listing, withdraw_listing]
