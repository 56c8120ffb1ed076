"""The regions the service attributes sites to, and where they come from.

Jingmen's five county-level units (adcodes, DOMAIN.md §5) are fixed; their boundaries and
the industrial parks are imported (``market geodata import``) or, until then, geodata's
schematic set, marked approximate. Each process keeps a :class:`RegionLocator` and reloads it
when the ``regions`` table changes (another process or the CLI may have imported).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from litestar.datastructures import State
from litestar.di import NamedDependency
from shapely.geometry import shape
from sqlalchemy import func
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from geodata.regions import Region, RegionIndex, schematic_regions
from market.core.deps import Locate
from market.geo.models import RegionRecord

#: (row count, latest import time) of the regions table; schematic-only is (0, None).
Version = tuple[int, datetime | None]


class RegionLocator:
    """Attributes WGS84 points to (district code, park code) with a spatial index."""

    def __init__(self, regions: Sequence[Region], version: Version = (0, None)) -> None:
        self.regions = list(regions)
        self.version = version
        self._index = RegionIndex(self.regions)

    @classmethod
    def default(cls) -> RegionLocator:
        return cls(schematic_regions())

    def locate(self, lon: float, lat: float) -> tuple[str | None, str | None]:
        return self._index.locate(lon, lat)

    def locate_many(self, lons: Any, lats: Any) -> tuple[list[str | None], list[str | None]]:
        districts, parks = self._index.locate_many(lons, lats)
        return list(districts), list(parks)

    def get(self, code: str) -> Region | None:
        return next((r for r in self.regions if r.code == code), None)


def record_to_region(record: RegionRecord) -> Region:
    return Region(
        code=record.code,
        name_zh=record.name_zh,
        name_en=record.name_en,
        kind="park" if record.kind == "park" else "district",
        geometry=shape(record.geometry),
        approximate=False,
        parent_code=record.parent_code,
    )


def combine(imported: Sequence[Region]) -> list[Region]:
    """Imported regions, completed per kind by the schematic set where a kind is missing."""
    kinds = {r.kind for r in imported}
    return list(imported) + [r for r in schematic_regions() if r.kind not in kinds]


async def regions_version(session: AsyncSession) -> Version:
    count, latest = (
        await session.exec(select(func.count(), func.max(RegionRecord.imported_at)))
    ).one()
    return int(count), latest


async def load_locator(session: AsyncSession) -> RegionLocator:
    records = (await session.exec(select(RegionRecord).order_by(RegionRecord.code))).all()
    version = await regions_version(session)
    return RegionLocator(combine([record_to_region(r) for r in records]), version)


async def current_locator(session: AsyncSession, state: Any) -> RegionLocator:
    """The process's locator, reloaded first if the regions table changed since."""
    locator: RegionLocator = state.regions
    if await regions_version(session) != locator.version:
        locator = await load_locator(session)
        state.regions = locator
    return locator


async def provide_locate(
    db: NamedDependency[AsyncSession], state: State, user: NamedDependency[Any]
) -> Locate:
    """The ``locate`` dependency (``market.core.deps.SiteLocator``) for handlers that place
    sites, so those domains need not know where regions come from.

    It waits for ``user``: Litestar resolves independent dependencies concurrently, and the
    two must not use the request's session at the same time.
    """
    return (await current_locator(db, state)).locate
