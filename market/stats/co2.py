"""CO2 avoided by exchange receipts, net of the haulage that moved them (DOMAIN.md §4).

Per confirmed receipt::

    haul_km      = geodesic(origin site, destination site) × settings.circuity
    gross_t_co2  = received_t × factor(use)                      (settings.co2_factors)
    haul_t_co2   = received_t × haul_km × road_kg_co2e_per_t_km ÷ 1000
    net_t_co2    = gross_t_co2 − haul_t_co2

``use`` is the receiver's declared use on the deal. A use without a factor (or no declared
use) avoids 0 but its haulage still counts, so the net can be negative: that is the honest
figure. Distances are rounded to 0.1 km before multiplying, so the figures are exact Decimals
and the same on both databases. Because every term is linear in the tonnes, receipts are
summed per (origin, destination, material, use) in SQL and each distinct route is measured
once. Every response carries the factors and their sources next to the figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import ColumnElement, func
from sqlalchemy.orm import aliased
from sqlalchemy.sql import Subquery
from sqlmodel.ext.asyncio.session import AsyncSession

from geodata.distance import geodesic_km
from market.accounts.models import Site
from market.core import decimals as dec
from market.core.co2_factors import ROAD_FACTOR_SOURCE
from market.core.settings import Settings
from market.ledger.service import dialect_name, month_label
from market.stats.facts import kg, tonnes_from_kg
from market.stats.filters import StatsFilter
from market.trading.receipts import execute_core, receipts

S = Site.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Route:
    origin_site_id: int
    dest_site_id: int
    material_code: str
    use: str | None
    tonnes: Decimal
    receipts: int
    haul_km: Decimal


def factors_view(settings: Settings) -> dict[str, Any]:
    """The factors in force, with sources and whether DOMAIN.md confirms them."""
    return {
        "uses": [
            {
                "use": f.use,
                "t_co2_per_t": f.t_co2_per_t,
                "source": f.source,
                "confirmed": f.confirmed,
            }
            for f in settings.co2_factors.values()
        ],
        "road_freight": {
            "kg_co2e_per_t_km": settings.road_kg_co2e_per_t_km,
            "source": ROAD_FACTOR_SOURCE,
            "confirmed": False,
        },
        "haul_distance": f"geodesic between origin and destination sites × circuity "
        f"{settings.circuity}",
        "formula": "net t CO2 = received t × use factor − received t × haul km × road factor ÷ 1000",
    }


def receipt_filter(r: Subquery, f: StatsFilter) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    if f.year is not None:
        conds.append(r.c.year == f.year)
    if f.month is not None:
        conds.append(r.c.month == f.month)
    if f.material is not None:
        conds.append(r.c.material_code == f.material)
    if f.org_ids is not None:
        ids = sorted(f.org_ids)
        conds.append(sa.or_(r.c.seller_org_id.in_(ids), r.c.buyer_org_id.in_(ids)))
    conds += f.site_conditions(r.c.origin_site_id)
    return conds


def haul_km(o_lon: float, o_lat: float, d_lon: float, d_lat: float, circuity: Decimal) -> Decimal:
    return dec.km(Decimal(repr(geodesic_km(o_lon, o_lat, d_lon, d_lat))) * circuity)


async def routes(session: AsyncSession, f: StatsFilter, settings: Settings) -> list[Route]:
    r = receipts(dialect_name(session), f.year)
    o = aliased(S)
    d = aliased(S)
    stmt = (
        sa.select(
            r.c.origin_site_id,
            r.c.dest_site_id,
            r.c.material_code,
            r.c.use,
            func.sum(kg(r.c.received_t)),
            func.count(),
            o.c.lon,
            o.c.lat,
            d.c.lon,
            d.c.lat,
        )
        .select_from(r.join(o, o.c.id == r.c.origin_site_id).join(d, d.c.id == r.c.dest_site_id))
        .where(*receipt_filter(r, f))
        .group_by(
            r.c.origin_site_id,
            r.c.dest_site_id,
            r.c.material_code,
            r.c.use,
            o.c.lon,
            o.c.lat,
            d.c.lon,
            d.c.lat,
        )
    )
    out: list[Route] = []
    for oid, did, mat, use, total_kg, n, olon, olat, dlon, dlat in (
        await execute_core(session, stmt)
    ).all():
        out.append(
            Route(
                oid,
                did,
                mat,
                use,
                tonnes_from_kg(total_kg),
                int(n),
                haul_km(olon, olat, dlon, dlat, settings.circuity),
            )
        )
    return out


def route_co2(
    route_tonnes: Decimal, km: Decimal, use: str | None, settings: Settings
) -> dict[str, Any]:
    factor = settings.co2_factors.get(use or "")
    per_t = factor.t_co2_per_t if factor and factor.t_co2_per_t is not None else Decimal(0)
    t_km = route_tonnes * km
    haul = t_km * settings.road_kg_co2e_per_t_km / 1000
    gross = route_tonnes * per_t
    return {
        "t_km": t_km,
        "gross_avoided_t_co2": gross,
        "haul_t_co2": haul,
        "net_avoided_t_co2": gross - haul,
        "factor_t_co2_per_t": factor.t_co2_per_t if factor else None,
        "factor_confirmed": bool(factor and factor.confirmed),
        "has_factor": bool(factor and factor.t_co2_per_t is not None),
    }


def _rounded(fig: dict[str, Any]) -> dict[str, Any]:
    return {
        k: dec.t(v) if isinstance(v, Decimal) and k != "factor_t_co2_per_t" else v
        for k, v in fig.items()
    }


async def summary(session: AsyncSession, f: StatsFilter, settings: Settings) -> dict[str, Any]:
    """Totals and a breakdown by declared use for the receipts the filter selects."""
    by_use: dict[str | None, dict[str, Any]] = {}
    total = {k: Decimal(0) for k in ("tonnes", "t_km", "gross", "haul", "net")}
    receipts_n = 0
    for route in await routes(session, f, settings):
        fig = route_co2(route.tonnes, route.haul_km, route.use, settings)
        u = by_use.setdefault(
            route.use,
            {
                "use": route.use,
                "received_t": Decimal(0),
                "receipts": 0,
                "t_km": Decimal(0),
                "gross_avoided_t_co2": Decimal(0),
                "haul_t_co2": Decimal(0),
                "net_avoided_t_co2": Decimal(0),
                "factor_t_co2_per_t": fig["factor_t_co2_per_t"],
                "factor_confirmed": fig["factor_confirmed"],
                "has_factor": fig["has_factor"],
            },
        )
        u["received_t"] += route.tonnes
        u["receipts"] += route.receipts
        for k in ("t_km", "gross_avoided_t_co2", "haul_t_co2", "net_avoided_t_co2"):
            u[k] += fig[k]
        receipts_n += route.receipts
        total["tonnes"] += route.tonnes
        total["t_km"] += fig["t_km"]
        total["gross"] += fig["gross_avoided_t_co2"]
        total["haul"] += fig["haul_t_co2"]
        total["net"] += fig["net_avoided_t_co2"]
    uses = sorted(by_use.values(), key=lambda u: (u["use"] is None, u["use"] or ""))
    return {
        "receipts": receipts_n,
        "received_t": dec.t(total["tonnes"]),
        "t_km": dec.t(total["t_km"]),
        "gross_avoided_t_co2": dec.t(total["gross"]),
        "haul_t_co2": dec.t(total["haul"]),
        "net_avoided_t_co2": dec.t(total["net"]),
        "by_use": [_rounded(u) for u in uses],
    }


async def receipt_rows(
    session: AsyncSession, f: StatsFilter, settings: Settings, page: int, page_size: int
) -> tuple[list[dict[str, Any]], int]:
    """One page of receipts with their own CO2 figures, newest first."""
    r = receipts(dialect_name(session), f.year)
    o = aliased(S)
    d = aliased(S)
    where = receipt_filter(r, f)
    total = (
        await execute_core(session, sa.select(func.count()).select_from(r).where(*where))
    ).scalar_one()
    stmt = (
        sa.select(r, o.c.lon, o.c.lat, d.c.lon.label("dlon"), d.c.lat.label("dlat"))
        .select_from(r.join(o, o.c.id == r.c.origin_site_id).join(d, d.c.id == r.c.dest_site_id))
        .where(*where)
        .order_by(r.c.received_at.desc(), r.c.shipment_id.desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    )
    items: list[dict[str, Any]] = []
    for row in (await execute_core(session, stmt)).all():
        km = haul_km(row.lon, row.lat, row.dlon, row.dlat, settings.circuity)
        fig = route_co2(row.received_t, km, row.use, settings)
        items.append(
            {
                "shipment_id": row.shipment_id,
                "deal_id": row.deal_id,
                "origin_site_id": row.origin_site_id,
                "dest_site_id": row.dest_site_id,
                "material_code": row.material_code,
                "use": row.use,
                "month": month_label(row.year, row.month),
                "received_t": dec.t(row.received_t),
                "received_at": row.received_at,
                "haul_km": km,
                **_rounded(fig),
            }
        )
    return items, int(total)
