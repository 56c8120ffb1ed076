"""Boundary import, site attribution, place look-up and the map, for the service.

An import replaces every region of its kind and re-attributes every site in the same
transaction, so a failed import changes nothing and a successful one leaves no site pointing
at a boundary that no longer exists.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shapely.geometry import mapping
from sqlalchemy import bindparam, delete, update
from sqlalchemy import select as sa_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from geodata.datums import CoordinateError, normalise_crs
from geodata.gazetteer import GeocoderUnavailable, geocode_place, get_geocoder
from geodata.regions import GeoJSONError, Region, regions_from_geojson
from market.accounts.models import Site
from market.core.errors import Invalid, Problem
from market.geo.models import RegionRecord
from market.geo.regions import RegionLocator, combine, load_locator, record_to_region

SITES = Site.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class ImportReport:
    kind: str
    regions: int
    sites_updated: int
    codes: tuple[str, ...]


async def import_regions(
    session: AsyncSession,
    data: Mapping[str, Any] | str,
    *,
    kind: str,
    crs: str = "gcj02",
    repair: bool = False,
    source: str = "",
) -> ImportReport:
    """Replace all regions of ``kind`` with those in a DataV-style FeatureCollection."""
    try:
        normalise_crs(crs)
    except CoordinateError as exc:
        raise Invalid("crs", exc.reason) from exc
    try:
        regions = regions_from_geojson(data, kind, crs, repair=repair)
    except GeoJSONError as exc:
        where = f"features[{exc.feature_index}]" if exc.feature_index is not None else "geojson"
        raise Invalid(where, exc.reason) from exc
    if not regions:
        raise Invalid("geojson", "the FeatureCollection has no features")
    codes = [r.code for r in regions]
    if len(set(codes)) != len(codes):
        raise Invalid("geojson", "two features share the same adcode")
    if kind == "park":
        regions = await _with_park_parents(session, regions)
    await session.exec(delete(RegionRecord).where(RegionRecord.kind == kind))  # type: ignore[arg-type]
    for region in regions:
        session.add(
            RegionRecord(
                code=region.code,
                kind=region.kind,
                name_zh=region.name_zh,
                name_en=region.name_en,
                parent_code=region.parent_code,
                geometry=dict(mapping(region.geometry)),
                source=source[:300],
            )
        )
    await session.flush()
    locator = await load_locator(session)
    updated = await reattribute_sites(session, locator)
    return ImportReport(kind=kind, regions=len(regions), sites_updated=updated, codes=tuple(codes))


async def _with_park_parents(session: AsyncSession, parks: list[Region]) -> list[Region]:
    """Give each imported park the district holding its representative point."""
    records = (
        await session.exec(select(RegionRecord).where(RegionRecord.kind == "district"))
    ).all()
    districts = RegionLocator(combine([record_to_region(r) for r in records]))
    out = []
    for park in parks:
        point = park.geometry.representative_point()
        district, _ = districts.locate(point.x, point.y)
        out.append(
            Region(park.code, park.name_zh, park.name_en, "park", park.geometry, False, district)
        )
    return out


async def reattribute_sites(session: AsyncSession, locator: RegionLocator) -> int:
    """Recompute every site's district and park; returns how many changed."""
    conn = await session.connection()
    rows = (
        await conn.execute(
            sa_select(
                col(Site.id),
                col(Site.lon),
                col(Site.lat),
                col(Site.district_code),
                col(Site.park_code),
            )
        )
    ).all()
    if not rows:
        return 0
    districts, parks = locator.locate_many([r[1] for r in rows], [r[2] for r in rows])
    changes = [
        {"site_id": r[0], "district": d, "park": p}
        for r, d, p in zip(rows, districts, parks, strict=True)
        if (r[3], r[4]) != (d, p)
    ]
    if changes:
        stmt = (
            update(SITES)
            .where(SITES.c.id == bindparam("site_id"))
            .values(district_code=bindparam("district"), park_code=bindparam("park"))
        )
        await conn.execute(stmt, changes)
    return len(changes)


class GeocoderDown(Problem):
    status = 503


async def geocode(settings_geocoder: str | None, query: str) -> dict[str, Any] | None:
    """Look a place up: the offline gazetteer, or the configured geopy geocoder."""
    query = query.strip()
    if not query:
        raise Invalid("q", "give a place name, e.g. 钟祥市胡集镇")
    try:
        geocoder = get_geocoder(settings_geocoder)
    except ValueError as exc:
        raise GeocoderDown(str(exc)) from exc
    try:
        found = await asyncio.to_thread(geocode_place, geocoder, query)
    except GeocoderUnavailable as exc:
        raise GeocoderDown(str(exc)) from exc
    if found is None:
        return None
    lon, lat = found
    name = None
    if hasattr(geocoder, "place"):
        place = geocoder.place(query)
        name = getattr(place, "name_zh", None) or getattr(place, "name", None)
    return {
        "query": query,
        "name": name or query,
        "lon": round(lon, 6),
        "lat": round(lat, 6),
        "crs": "wgs84",
        "source": settings_geocoder or "offline gazetteer (approximate)",
    }
