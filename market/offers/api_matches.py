"""Matches (best counterparts, with why) and specification compliance."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import get
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, QueryParameter

from market.accounts.deps import CurrentUser
from market.core.deps import AppSettings, Db
from market.offers import matches

Limit = Annotated[
    int, QueryParameter(ge=1, le=matches.MAX_LIMIT, description="how many, best first")
]


@get(
    "/listings/{listing_id:int}/matches",
    tags=["matching"],
    summary="Best open demand requests for this listing by delivered cost (producer, regulators)",
)
async def listing_matches(
    listing_id: FromPath[int],
    user: CurrentUser,
    db: Db,
    settings: AppSettings,
    state: State,
    limit: Limit = 20,
) -> dict[str, Any]:
    items = await matches.listing_matches(
        db, user, listing_id, limit=limit, settings=settings, cache=state.match_books
    )
    return {
        "listing_id": listing_id,
        "items": items,
        "freight_cny_per_t_km": settings.freight_cny_per_t_km,
    }


@get(
    "/demands/{demand_id:int}/matches",
    tags=["matching"],
    summary="Best open listings for this demand request by delivered cost (buyer, regulators)",
)
async def demand_matches(
    demand_id: FromPath[int],
    user: CurrentUser,
    db: Db,
    settings: AppSettings,
    state: State,
    limit: Limit = 20,
) -> dict[str, Any]:
    items = await matches.demand_matches(
        db, user, demand_id, limit=limit, settings=settings, cache=state.match_books
    )
    return {
        "demand_id": demand_id,
        "items": items,
        "freight_cny_per_t_km": settings.freight_cny_per_t_km,
    }


@get(
    "/listings/{listing_id:int}/compliance",
    tags=["matching"],
    summary="Check a listing's spec against a demand, a grade, or every grade of its material",
)
async def listing_compliance(
    listing_id: FromPath[int],
    user: CurrentUser,
    db: Db,
    demand_id: FromQuery[int | None] = None,
    grade: FromQuery[str | None] = None,
) -> dict[str, Any]:
    return await matches.listing_compliance(db, user, listing_id, demand_id=demand_id, grade=grade)


routes = [listing_matches, demand_matches, listing_compliance]
