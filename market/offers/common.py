"""What supply listings and demand requests share: the posting site, status changes, and the
nearest-first search that both ``GET /listings`` and ``GET /demands`` offer."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from geodata.datums import CoordinateError, to_wgs84
from geodata.distance import geodesic_km_many
from market.accounts.access import require_member
from market.accounts.models import Site, User
from market.core.errors import Conflict, Invalid

KM_PER_DEG_LAT = 111.32
#: How far a site rounded to 0.01° can move: half a hundredth of a degree each way, plus slack.
ROUNDING_MARGIN_KM = 1.0


async def posting_site(session: AsyncSession, actor: User, site_id: int) -> Site:
    """The site a listing or demand is posted from; the actor must belong to its owner."""
    site = await session.get(Site, site_id)
    if site is None:
        raise Invalid("site_id", f"site {site_id} does not exist")
    await require_member(session, actor, site.organization_id)
    return site


def change_status(current: str, new: str, transitions: dict[str, frozenset[str]], what: str) -> str:
    """Validate a status change against the allowed transitions (409 naming both states)."""
    if new not in transitions:
        raise Invalid("status", f"must be one of {', '.join(transitions)}")
    if new == current:
        return new
    if new not in transitions[current]:
        allowed = ", ".join(sorted(transitions[current])) or "none (final state)"
        raise Conflict(
            f"a {what} cannot change from {current} to {new}; allowed from {current}: {allowed}",
            errors=[{"field": "status", "reason": f"{current} → {new} is not allowed"}],
        )
    return new


def reject_nulls(changes: Mapping[str, Any], required: Sequence[str]) -> None:
    """A PATCH may omit a required field but not set it to null."""
    for name in required:
        if name in changes and changes[name] is None:
            raise Invalid(name, "may not be null")


def check_window(start: Any, end: Any, start_field: str, end_field: str) -> None:
    if start is not None and end is not None and end < start:
        raise Invalid(end_field, f"must not be before {start_field}")


@dataclass(frozen=True)
class GeoFilter:
    """Nearest-first filter: a centre (WGS84) and an optional radius in km."""

    lon: float
    lat: float
    radius_km: float | None

    def bbox(self, margin_km: float = 0.0) -> tuple[float, float, float, float] | None:
        """(min lon, min lat, max lon, max lat) enclosing the radius, for an indexed pre-filter."""
        if self.radius_km is None:
            return None
        radius = self.radius_km + margin_km
        dlat = radius / KM_PER_DEG_LAT
        cos = max(math.cos(math.radians(self.lat)), 0.01)
        dlon = radius / (KM_PER_DEG_LAT * cos)
        return (self.lon - dlon, self.lat - dlat, self.lon + dlon, self.lat + dlat)


#: The largest quantity the database holds exactly (tonnes as integer kg in a BIGINT) with room.
MAX_TONNES = Decimal("1000000000000")


def non_negative(value: Decimal | None, field: str) -> Decimal | None:
    """Query parameters cannot carry Decimal constraints, so tonnes are checked here."""
    if value is None:
        return None
    if not value.is_finite() or value < 0:
        raise Invalid(field, f"must be a non-negative number, got {value}")
    if value >= MAX_TONNES:
        raise Invalid(field, f"must be below {MAX_TONNES} t")
    if value != value.quantize(Decimal("0.001")):
        raise Invalid(field, "at most 3 decimal places (tonnes to the kilogram)")
    return value


def geo_filter(
    lat: float | None, lon: float | None, radius_km: float | None, crs: str = "wgs84"
) -> GeoFilter | None:
    """Turn the query's lat/lon/radius into a filter, or a 422 saying what is missing."""
    if (lat is None) != (lon is None):
        missing = "lon" if lon is None else "lat"
        raise Invalid(missing, "lat and lon must be given together")
    if lat is None or lon is None:
        if radius_km is not None:
            raise Invalid("radius_km", "needs lat and lon")
        return None
    try:
        wlon, wlat = to_wgs84(lon, lat, crs)
    except CoordinateError as exc:
        raise Invalid(exc.field, exc.reason) from exc
    return GeoFilter(lon=wlon, lat=wlat, radius_km=radius_km)


async def nearest_page(
    session: AsyncSession,
    id_column: Any,
    conditions: Sequence[ColumnElement[bool]],
    geo: GeoFilter | None,
    order_column: Any,
    page: int,
    page_size: int,
    *,
    owner_column: Any = None,
    exact_orgs: set[int] | None = None,
) -> tuple[list[int], dict[int, float], int]:
    """Ids for one page, their distances, and the total count.

    With a centre, only ids and coordinates are fetched (bounding box in SQL), distances are
    computed vectorised and sorted; the caller then loads full rows for one page only.

    Privacy: when ``owner_column`` is given, rows whose owner is not in ``exact_orgs`` are
    measured from their site rounded to 0.01° (what the viewer is shown) and their distance
    is rounded to whole km, so narrowing searches cannot pin an anonymous site down.
    ``exact_orgs`` None means the viewer sees every row exactly.
    """
    offset = (page - 1) * page_size
    if geo is None:
        total = (
            await session.exec(
                select(func.count()).select_from(id_column.table).join(Site).where(*conditions)
            )
        ).one()
        stmt = (
            select(id_column)
            .join(Site)
            .where(*conditions)
            .order_by(order_column.desc(), id_column.desc())
            .offset(offset)
            .limit(page_size)
        )
        return list((await session.exec(stmt)).all()), {}, int(total)
    where: list[Any] = list(conditions)
    box = geo.bbox(margin_km=ROUNDING_MARGIN_KM if owner_column is not None else 0.0)
    if box is not None:
        where += [Site.lon >= box[0], Site.lat >= box[1], Site.lon <= box[2], Site.lat <= box[3]]
    owner = owner_column if owner_column is not None else id_column
    rows = (
        await session.exec(select(id_column, Site.lon, Site.lat, owner).join(Site).where(*where))
    ).all()
    if not rows:
        return [], {}, 0
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    lons = np.fromiter((r[1] for r in rows), dtype=np.float64, count=len(rows))
    lats = np.fromiter((r[2] for r in rows), dtype=np.float64, count=len(rows))
    hidden = np.zeros(len(rows), dtype=bool)
    if owner_column is not None and exact_orgs is not None:
        hidden = np.fromiter((r[3] not in exact_orgs for r in rows), dtype=bool, count=len(rows))
        lons = np.where(hidden, np.round(lons, 2), lons)
        lats = np.where(hidden, np.round(lats, 2), lats)
    dist = geodesic_km_many(geo.lon, geo.lat, lons, lats)
    dist = np.where(hidden, np.round(dist), dist)
    if geo.radius_km is not None:
        keep = dist <= geo.radius_km
        ids, dist = ids[keep], dist[keep]
    order = np.lexsort((ids, dist))
    chosen = order[offset : offset + page_size]
    page_ids = [int(i) for i in ids[chosen]]
    return page_ids, {int(ids[i]): float(dist[i]) for i in chosen}, len(ids)
