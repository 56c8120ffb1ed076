"""Regions (GeoJSON), boundary import and place look-up."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Response, get, post
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from geodata.regions import regions_to_feature_collection
from market.accounts.deps import CurrentUser
from market.core.deps import AppSettings, Db
from market.core.errors import Forbidden, Invalid, NotFound
from market.core.problems import problem_response
from market.geo import service as geo
from market.geo.regions import current_locator


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


routes = [list_regions, get_region, import_regions, geocode]
