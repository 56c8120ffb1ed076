"""Origin → destination tonnes of confirmed receipts, for flow maps.

``level=site`` gives one line per pair of sites with their WGS84 points; regulators see all of
them, anybody else only the flows their organisations shipped or received (after a deal the
counterparty's site is no longer private). ``level=district`` sums the city's flows between
county-level units, placed at the district seats (DOMAIN.md §5): aggregated city figures,
open to every logged-in user.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func
from sqlalchemy.orm import aliased
from sqlmodel.ext.asyncio.session import AsyncSession

from geodata.districts import DISTRICT_NAMES
from geodata.places import PLACES_BY_CODE
from market.accounts.models import Organization, Site
from market.core import decimals as dec
from market.core.errors import Invalid
from market.ledger.service import dialect_name
from market.stats.co2 import receipt_filter
from market.stats.facts import kg, tonnes_from_kg
from market.stats.filters import StatsFilter
from market.trading.receipts import execute_core, receipts

LEVELS = ("site", "district")
S = Site.__table__  # type: ignore[attr-defined]
ORG = Organization.__table__  # type: ignore[attr-defined]


def _district_point(code: str | None) -> dict[str, float] | None:
    place = PLACES_BY_CODE.get(code or "")
    if place is None:
        return None
    lon, lat = place.wgs84()
    return {"lon": round(lon, 6), "lat": round(lat, 6)}


async def flows(session: AsyncSession, f: StatsFilter, level: str) -> dict[str, Any]:
    """Every flow the filter selects, heaviest first, as one page, with totals per material."""
    if level not in LEVELS:
        raise Invalid("level", f"must be one of {', '.join(LEVELS)}")
    r = receipts(dialect_name(session), f.year)
    o, d = aliased(S), aliased(S)
    oo, do = aliased(ORG), aliased(ORG)
    o_district = func.coalesce(o.c.district_code, oo.c.district_code)
    d_district = func.coalesce(d.c.district_code, do.c.district_code)
    source = (
        r.join(o, o.c.id == r.c.origin_site_id)
        .join(d, d.c.id == r.c.dest_site_id)
        .join(oo, oo.c.id == o.c.organization_id)
        .join(do, do.c.id == d.c.organization_id)
    )
    items: list[dict[str, Any]] = []
    if level == "site":
        keys = [
            r.c.origin_site_id,
            o.c.lon,
            o.c.lat,
            o_district,
            r.c.dest_site_id,
            d.c.lon,
            d.c.lat,
            d_district,
            r.c.material_code,
        ]
        stmt = (
            sa.select(*keys, func.sum(kg(r.c.received_t)), func.count())
            .select_from(source)
            .where(*receipt_filter(r, f))
            .group_by(*keys)
        )
        for oid, olon, olat, odist, did, dlon, dlat, ddist, mat, total, n in (
            await execute_core(session, stmt)
        ).all():
            items.append(
                {
                    "origin": {
                        "site_id": oid,
                        "lon": round(olon, 6),
                        "lat": round(olat, 6),
                        "district_code": odist,
                    },
                    "destination": {
                        "site_id": did,
                        "lon": round(dlon, 6),
                        "lat": round(dlat, 6),
                        "district_code": ddist,
                    },
                    "material_code": mat,
                    "received_t": dec.t(tonnes_from_kg(total)),
                    "receipts": int(n),
                }
            )
    else:
        city = f.city
        keys = [o_district, d_district, r.c.material_code]
        stmt = (
            sa.select(*keys, func.sum(kg(r.c.received_t)), func.count())
            .select_from(source)
            .where(*receipt_filter(r, city))
            .group_by(*keys)
        )
        for odist, ddist, mat, total, n in (await execute_core(session, stmt)).all():
            items.append(
                {
                    "origin": {
                        "district_code": odist,
                        "district_name": DISTRICT_NAMES.get(odist or ""),
                        **(_district_point(odist) or {}),
                    },
                    "destination": {
                        "district_code": ddist,
                        "district_name": DISTRICT_NAMES.get(ddist or ""),
                        **(_district_point(ddist) or {}),
                    },
                    "material_code": mat,
                    "received_t": dec.t(tonnes_from_kg(total)),
                    "receipts": int(n),
                }
            )
    items.sort(key=lambda i: (-i["received_t"], i["material_code"]))
    by_material: dict[str, Decimal] = defaultdict(Decimal)
    for i in items:
        by_material[i["material_code"]] += i["received_t"]
    return {
        "level": level,
        "crs": "wgs84",
        "filters": f.period(),
        "items": items,
        "total": len(items),
        "page": 1,
        "page_size": len(items),
        "total_t": dec.t(sum(by_material.values(), Decimal(0))),
        "by_material": {k: dec.t(v) for k, v in sorted(by_material.items())},
    }
