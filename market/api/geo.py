"""Regions (GeoJSON), boundary import, place look-up and the exchange map (SVG)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Response, get, post
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from geodata.regions import regions_to_feature_collection
from market.api.deps import AppSettings, CurrentUser, Db
from market.problems import Forbidden, Invalid, NotFound, problem_response
from market.regions import current_locator
from market.services import geo, geomap


@get(
    "/geo/regions",
    tags=["geo"],
    summary="Districts and parks as a GeoJSON FeatureCollection (WGS84)",
)
async def list_regions(
    db: Db, state: State, kind: FromQuery[Literal["district", "park"] | None] = None
) -> Response[dict[str, Any]]:
    locator = await current_locator(db, state)
    regions = [r for r in locator.regions if kind is None or r.kind == kind]
    return Response(regions_to_feature_collection(regions), media_type="application/geo+json")


@get("/geo/regions/{code:str}", tags=["geo"])
async def get_region(code: FromPath[str], db: Db, state: State) -> Response[dict[str, Any]]:
    region = (await current_locator(db, state)).get(code)
    if region is None:
        raise NotFound(f"region {code!r} does not exist")
    return Response(region.to_feature(), media_type="application/geo+json")


@post(
    "/geo/regions/import",
    tags=["geo"],
    status_code=200,
    summary="Replace all districts or parks with a DataV-style FeatureCollection (platform admin)",
)
async def import_regions(
    db: Db,
    user: CurrentUser,
    data: JSONBody[Any],
    kind: FromQuery[Literal["district", "park"]],
    crs: FromQuery[str] = "gcj02",
    repair: FromQuery[bool] = False,
) -> dict[str, Any]:
    if user.role != "admin":
        raise Forbidden("only the platform administrator imports boundaries")
    if not isinstance(data, dict):
        raise Invalid("geojson", "the body must be a GeoJSON FeatureCollection object")
    report = await geo.import_regions(
        db, data, kind=kind, crs=crs, repair=repair, source="API upload"
    )
    return {
        "kind": report.kind,
        "regions": report.regions,
        "sites_updated": report.sites_updated,
        "codes": list(report.codes),
    }


@get(
    "/geo/geocode",
    tags=["geo"],
    summary="Place name to WGS84 coordinates (offline gazetteer by default)",
)
async def geocode(
    db: Db,
    state: State,
    user: CurrentUser,
    settings: AppSettings,
    q: Annotated[str, QueryParameter(max_length=200)],
) -> Response[dict[str, Any]]:
    found = await geo.geocode(settings.geocoder, q)
    if found is None:
        return problem_response(404, f"no place matches {q!r}")
    district, park = (await current_locator(db, state)).locate(found["lon"], found["lat"])
    return Response(found | {"district_code": district, "park_code": park})


@get("/geo/map.svg", tags=["geo"], summary="SVG map of regions, open listings and demands")
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
    return Response(svg, media_type="image/svg+xml; charset=utf-8")


routes = [list_regions, get_region, import_regions, geocode, exchange_map]
