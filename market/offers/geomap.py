"""The exchange drawn on a map: regions shaded by open supply, listings and demands as points.

Listing and demand points are rounded to 0.01° (about 1 km,
:func:`market.offers.privacy.approximate`) unless the viewer sees everything (regulators): a
map of every lot and request shows nobody's exact site.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from geodata.svgmap import MapPoint, draw_map
from market.accounts.access import sees_everything
from market.accounts.models import Site, User
from market.geo.regions import RegionLocator
from market.offers.models import Demand, Listing
from market.offers.privacy import approximate

MAX_POINTS = 2000


async def exchange_map(
    session: AsyncSession,
    viewer: User,
    locator: RegionLocator,
    *,
    material: str | None,
    show: str,
    width: int,
    height: int,
) -> str:
    points: list[MapPoint] = []
    supply_by_district: dict[str, float] = defaultdict(float)
    exact = sees_everything(viewer)
    if show in ("listings", "all"):
        stmt = (
            select(
                col(Listing.title),
                col(Listing.quantity_t),
                col(Listing.reserved_t),
                col(Listing.delivered_t),
                col(Site.lon),
                col(Site.lat),
                col(Site.district_code),
            )
            .join(Site, col(Site.id) == col(Listing.site_id))
            .where(col(Listing.status) == "open")
        )
        if material:
            stmt = stmt.where(col(Listing.material_code) == material)
        rows = (await (await session.connection()).execute(stmt.limit(MAX_POINTS))).all()
        for title, qty, reserved, delivered, lon, lat, district in rows:
            lon, lat = (lon, lat) if exact else approximate(lon, lat)
            points.append(MapPoint(lon, lat, title or "供应", "supply"))
            if district:
                supply_by_district[district] += float(qty - reserved - delivered)
    if show in ("demands", "all"):
        dstmt = (
            select(col(Demand.title), col(Site.lon), col(Site.lat))
            .join(Site, col(Site.id) == col(Demand.site_id))
            .where(col(Demand.status) == "open")
        )
        if material:
            dstmt = dstmt.where(col(Demand.material_code) == material)
        conn = await session.connection()
        for title, lon, lat in (await conn.execute(dstmt.limit(MAX_POINTS))).all():
            lon, lat = (lon, lat) if exact else approximate(lon, lat)
            points.append(MapPoint(lon, lat, title or "需求", "demand"))
    values: dict[str, Any] | None = dict(supply_by_district) if supply_by_district else None
    title = "荆门市固废交易地图" + (f" · {material}" if material else "")
    return draw_map(
        locator.regions,
        values=values,
        value_label="可供吨数 available t",
        points=points,
        width=width,
        height=height,
        title=title,
    )
