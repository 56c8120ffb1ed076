"""Regions (GeoJSON), boundary import and place look-up."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import get, post
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from geodata.regions import regions_to_feature_collection
from market.accounts.deps import CurrentUser
from market.accounts.guards import platform_admin
from market.core.deps import AppSettings, Db
from market.core.errors import Forbidden, Invalid, NotFound
from market.core.openapi import problems
from market.geo import service as geo
from market.geo.regions import current_locator
from market.geo.schemas import ImportReportOut, PlaceOut, RegionCollection, RegionFeature

GEOJSON = "application/geo+json"


@get(
    "/geo/regions",
    tags=["geo"],
    summary="Districts and parks as a GeoJSON FeatureCollection (WGS84)",
    media_type=GEOJSON,
)
async def list_regions(
    db: Db, state: State, kind: FromQuery[Literal["district", "park"] | None] = None
) -> RegionCollection:
    locator = await current_locator(db, state)
    regions = [r for r in locator.regions if kind is None or r.kind == kind]
    return RegionCollection.model_validate(regions_to_feature_collection(regions))


@get(
    "/geo/regions/{code:str}",
    tags=["geo"],
    summary="One district or park as a GeoJSON Feature (WGS84)",
    media_type=GEOJSON,
)
async def get_region(code: FromPath[str], db: Db, state: State) -> RegionFeature:
    region = (await current_locator(db, state)).get(code)
    if region is None:
        raise NotFound(f"region {code!r} does not exist")
    return RegionFeature.model_validate(region.to_feature())


@post(
    "/geo/regions/import",
    tags=["geo"],
    status_code=200,
    summary="Replace all districts or parks with a DataV-style FeatureCollection (platform admin)",
    guards=[platform_admin],
    responses=problems(403),
)
async def import_regions(
    db: Db,
    user: CurrentUser,
    data: JSONBody[Any],
    kind: FromQuery[Literal["district", "park"]],
    crs: FromQuery[str] = "gcj02",
    repair: FromQuery[bool] = False,
) -> ImportReportOut:
    if user.role != "admin":
        raise Forbidden("only the platform administrator imports boundaries")
    if not isinstance(data, dict):
        raise Invalid("geojson", "the body must be a GeoJSON FeatureCollection object")
    report = await geo.import_regions(
        db, data, kind=kind, crs=crs, repair=repair, source="API upload"
    )
    return ImportReportOut.model_validate(report)


@get(
    "/geo/geocode",
    tags=["geo"],
    summary="Place name to WGS84 coordinates (offline gazetteer by default)",
    responses=problems(404),
)
async def geocode(
    db: Db,
    state: State,
    user: CurrentUser,
    settings: AppSettings,
    q: Annotated[str, QueryParameter(max_length=200)],
) -> PlaceOut:
    found = await geo.geocode(settings.geocoder, q)
    if found is None:
        raise NotFound(f"no place matches {q!r}")
    district, park = (await current_locator(db, state)).locate(found["lon"], found["lat"])
    return PlaceOut.model_validate(found | {"district_code": district, "park_code": park})


routes = [list_regions, get_region, import_regions, geocode]
