"""The exchange map (SVG): regions shaded by open supply, listings and demands as points."""

from __future__ import annotations

from typing import Annotated, Literal

from litestar import Response, get
from litestar.datastructures import State
from litestar.params import FromQuery, QueryParameter

from market.accounts.deps import CurrentUser
from market.core.deps import Db
from market.geo.regions import current_locator
from market.offers import geomap

SVG = "image/svg+xml; charset=utf-8"


@get(
    "/geo/map.svg",
    tags=["geo"],
    summary="SVG map of regions, open listings and demands",
    media_type=SVG,
)
async def exchange_map(
    db: Db,
    state: State,
    user: CurrentUser,
    material: FromQuery[str | None] = None,
    show: FromQuery[Literal["listings", "demands", "all"]] = "all",
    width: Annotated[int, QueryParameter(ge=200, le=3000)] = 800,
    height: Annotated[int, QueryParameter(ge=200, le=3000)] = 600,
) -> Response[str]:
    locator = await current_locator(db, state)
    svg = await geomap.exchange_map(
        db, user, locator, material=material, show=show, width=width, height=height
    )
    return Response(svg, media_type=SVG)


routes = [exchange_map]
