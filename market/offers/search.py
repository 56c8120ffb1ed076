"""The nearest-first search that both ``GET /listings`` and ``GET /demands`` offer.

With a centre, only ids and coordinates are read (a bounding box in SQL), distances are
computed vectorised and sorted, and full rows are then loaded for one page only. Anonymous
producers' and buyers' sites are measured as others are shown them
(:mod:`market.offers.privacy`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, func, literal_column
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from geodata.datums import CoordinateError, to_wgs84
from geodata.distance import geodesic_km_many
from market.accounts.access import member_org_ids, sees_everything
from market.accounts.models import Site, User
from market.core.errors import Invalid
from market.offers.common import GeoFilter, OfferKind
from market.offers.positions import PositionCache, Positions, kg, latest_change
from market.offers.privacy import COORD_DECIMALS, OfferT

#: How far a site rounded to 0.01° can move: half a hundredth of a degree each way, plus slack.
ROUNDING_MARGIN_KM = 1.0


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
    price_column: Any = None,
    per_km: float | None = None,
) -> tuple[list[int], dict[int, float], int]:
    """Ids for one page, their distances, and the total count.

    With ``price_column`` and ``per_km`` (CNY per tonne and km of the distance shown), the
    order is cheapest delivered first (price + per_km × distance, then nearest): the whole
    result is ranked before the page is cut, as by distance.

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
        if session.get_bind().dialect.name == "sqlite":
            # Without statistics SQLite takes an equality on an indexed column (status,
            # material) as the most selective term and reads every open row of the material;
            # most rows pass those, so say so and let the sites' position index drive.
            where = [func.likelihood(c, literal_column("0.9")) for c in where]
        where += [Site.lat >= box[1], Site.lat <= box[3], Site.lon >= box[0], Site.lon <= box[2]]
    owner = owner_column if owner_column is not None else id_column
    by_cost = price_column is not None and per_km is not None
    columns: list[Any] = [id_column, Site.lon, Site.lat, owner]
    if by_cost:
        columns.append(price_column)
    rows = (await session.exec(select(*columns).join(Site).where(*where))).all()
    n = len(rows)
    return rank(
        geo,
        np.fromiter((r[0] for r in rows), dtype=np.int64, count=n),
        np.fromiter((r[1] for r in rows), dtype=np.float64, count=n),
        np.fromiter((r[2] for r in rows), dtype=np.float64, count=n),
        np.fromiter((r[3] for r in rows), dtype=np.int64, count=n),
        np.fromiter((float(r[4]) for r in rows), np.float64, n) if by_cost else None,
        exact_orgs=exact_orgs if owner_column is not None else None,
        per_km=per_km,
        offset=offset,
        page_size=page_size,
    )


def rank(
    geo: GeoFilter,
    ids: np.ndarray[Any, Any],
    lons: np.ndarray[Any, Any],
    lats: np.ndarray[Any, Any],
    owners: np.ndarray[Any, Any],
    prices: np.ndarray[Any, Any] | None,
    *,
    exact_orgs: set[int] | None,
    per_km: float | None,
    offset: int,
    page_size: int,
) -> tuple[list[int], dict[int, float], int]:
    """One page of the rows nearest ``geo`` (cheapest delivered first with ``prices`` and
    ``per_km``), their distances, and how many are within the radius: what
    :func:`nearest_page` does once it has the rows, for the database's rows and for those
    kept in memory (:mod:`market.offers.positions`) alike.

    Rows of organisations not in ``exact_orgs`` are measured from their site rounded to 0.01°
    and their distance rounded to whole km (``exact_orgs`` None: none hidden).
    """
    if not len(ids):
        return [], {}, 0
    hidden = np.zeros(len(ids), dtype=bool)
    if exact_orgs is not None:
        hidden = ~np.isin(owners, np.fromiter(exact_orgs, np.int64, len(exact_orgs)))
        lons = np.where(hidden, np.round(lons, COORD_DECIMALS), lons)
        lats = np.where(hidden, np.round(lats, COORD_DECIMALS), lats)
    dist = geodesic_km_many(geo.lon, geo.lat, lons, lats)
    dist = np.where(hidden, np.round(dist), dist)
    keep = dist <= geo.radius_km if geo.radius_km is not None else slice(None)
    ids, dist = ids[keep], dist[keep]
    if prices is not None and per_km is not None:
        order = np.lexsort((ids, dist, np.round(prices[keep] + per_km * dist, 2)))
    else:
        order = np.lexsort((ids, dist))
    chosen = order[offset : offset + page_size]
    page_ids = [int(i) for i in ids[chosen]]
    return page_ids, {int(ids[i]): float(dist[i]) for i in chosen}, len(ids)


def kept_page(
    kept: Positions,
    geo: GeoFilter,
    min_quantity_t: Decimal | None,
    page: int,
    page_size: int,
    *,
    exact_orgs: set[int] | None,
    per_km: float | None,
) -> tuple[list[int], dict[int, float], int]:
    """:func:`nearest_page` over the open rows kept in memory: the same bounding box (with the
    rounding margin) and minimum tonnes, as column masks, then :func:`rank`."""
    mask = np.ones(len(kept), dtype=bool)
    box = geo.bbox(margin_km=ROUNDING_MARGIN_KM)
    if box is not None:
        mask &= (kept.lons >= box[0]) & (kept.lons <= box[2])
        mask &= (kept.lats >= box[1]) & (kept.lats <= box[3])
    if min_quantity_t is not None:
        mask &= kept.kg >= kg(min_quantity_t)
    return rank(
        geo,
        kept.ids[mask],
        kept.lons[mask],
        kept.lats[mask],
        kept.orgs[mask],
        kept.prices[mask],
        exact_orgs=exact_orgs,
        per_km=per_km,
        offset=(page - 1) * page_size,
        page_size=page_size,
    )


@dataclass(frozen=True)
class OfferQuery:
    """A search of listings or demands: open ones (or, with ``mine``, all of the viewer's)."""

    material: str | None
    geo: GeoFilter | None
    min_quantity_t: Decimal | None
    mine: bool
    page: int
    page_size: int
    #: CNY per tonne-km of the shown distance (freight rate × circuity): when set and
    #: located, listings come cheapest delivered (price + haul) first and say that cost.
    delivered_per_km: Decimal | None = None
    #: The process's kept positions: a located search of one material's open rows is then
    #: ranked in memory (same answer as the database's path; not part of the query's identity).
    positions: PositionCache | None = field(default=None, compare=False, hash=False)


async def search_stamp(
    session: AsyncSession, kind: OfferKind[OfferT], q: OfferQuery
) -> tuple[Any, ...] | None:
    """What a search of one material was computed from: its rows' latest change. None, not
    to be kept, for a search across materials."""
    if not q.material:
        return None
    return (await latest_change(session, kind, q.material),)


async def search_ids(
    session: AsyncSession, kind: OfferKind[OfferT], viewer: User, q: OfferQuery
) -> tuple[list[int], dict[int, float], int]:
    """One page of ids nearest first when located (else newest first), distances, total."""
    model = kind.model
    mine = await member_org_ids(session, viewer)
    exact = None if sees_everything(viewer) else mine
    per_km = None if q.delivered_per_km is None else float(q.delivered_per_km)
    if q.positions is not None and q.geo is not None and q.material and not q.mine:
        kept = await q.positions.positions(session, kind, q.material)
        return kept_page(
            kept, q.geo, q.min_quantity_t, q.page, q.page_size, exact_orgs=exact, per_km=per_km
        )
    conds: list[Any] = [
        col(model.organization_id).in_(mine) if q.mine else col(model.status) == "open"
    ]
    if q.material:
        conds.append(col(model.material_code) == q.material)
    if q.min_quantity_t is not None:
        conds.append(kind.quantity() >= q.min_quantity_t)
    return await nearest_page(
        session,
        col(model.id),
        conds,
        q.geo,
        col(model.created_at),
        q.page,
        q.page_size,
        owner_column=col(model.organization_id),
        exact_orgs=exact,
        price_column=getattr(model, "price_cny_t", None),
        per_km=per_km,
    )
