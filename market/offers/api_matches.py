"""Matches (best counterparts, with why) and specification compliance."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from litestar import Request, Response, get
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, QueryParameter

from market.accounts.deps import CurrentUser
from market.core.deps import READS_ONLY, AppSettings, Db
from market.core.openapi import problems
from market.core.response_cache import cached_json
from market.core.settings import Settings
from market.offers import matches
from market.offers.compliance import listing_compliance as check_listing
from market.offers.schemas import ComplianceAnswer, DemandMatchesOut, ListingMatchesOut

Limit = Annotated[
    int, QueryParameter(ge=1, le=matches.MAX_LIMIT, description="how many, best first")
]


def page(q: matches.MatchQuery, items: Sequence[object]) -> dict[str, Any]:
    """The page envelope's fields: one page of ``limit`` best matches."""
    return {
        "items": items,
        "total": len(items),
        "page": 1,
        "page_size": q.limit,
        "freight_cny_per_t_km": q.settings.freight_cny_per_t_km,
    }


def match_query(settings: Settings, state: State, limit: int) -> matches.MatchQuery:
    """The query both match lists share.

    ``limit`` is the handlers' own parameter, not a dependency's: Litestar resolves sibling
    dependencies concurrently, and a dependency failing on a bad ``limit`` cancelled the
    login lookup mid-query, which cost the database connection.
    """
    return matches.MatchQuery(limit=limit, settings=settings, cache=state.match_books)


@get(
    "/listings/{listing_id:int}/matches",
    tags=["matching"],
    summary="Best open demand requests for this listing by delivered cost (producer, regulators)",
    responses=problems(403),
    opt=READS_ONLY,
)
async def listing_matches(
    listing_id: FromPath[int],
    user: CurrentUser,
    db: Db,
    settings: AppSettings,
    state: State,
    request: Request[Any, Any, Any],
    limit: Limit = 20,
) -> Response[ListingMatchesOut]:
    ask = match_query(settings, state, limit)

    async def compute() -> ListingMatchesOut:
        items = await matches.listing_matches(db, user, listing_id, ask)
        return ListingMatchesOut.model_validate(page(ask, items) | {"listing_id": listing_id})

    stamp = await matches.listing_stamp(db, listing_id)
    key = ("listing-matches", listing_id, limit, user.id)
    return await cached_json(request, state.answers, key, stamp, compute, db.commit)


@get(
    "/demands/{demand_id:int}/matches",
    tags=["matching"],
    summary="Best open listings for this demand request by delivered cost (buyer, regulators)",
    responses=problems(403),
    opt=READS_ONLY,
)
async def demand_matches(
    demand_id: FromPath[int],
    user: CurrentUser,
    db: Db,
    settings: AppSettings,
    state: State,
    request: Request[Any, Any, Any],
    limit: Limit = 20,
) -> Response[DemandMatchesOut]:
    ask = match_query(settings, state, limit)

    async def compute() -> DemandMatchesOut:
        items = await matches.demand_matches(db, user, demand_id, ask)
        return DemandMatchesOut.model_validate(page(ask, items) | {"demand_id": demand_id})

    stamp = await matches.demand_stamp(db, demand_id)
    key = ("demand-matches", demand_id, limit, user.id)
    return await cached_json(request, state.answers, key, stamp, compute, db.commit)


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
) -> ComplianceAnswer:
    return await check_listing(db, user, listing_id, demand_id=demand_id, grade=grade)


routes = [listing_matches, demand_matches, listing_compliance]
