"""Where the open listings and demands of a material are, kept per process for geo search.

A located search ranks every open row of the material within the radius, so the database
had to send the ids and coordinates of all of them (14,000–18,000 rows for 30 km at 100,000
listings: 150 ms on SQLite, most of it in the statement and the rows' conversion). This
keeps them in columns instead (id, WGS84 position, organisation, price, tonnes in kg) per
kind and material, and follows changes as the match books do (:class:`BookCache
<market.offers.matches.BookCache>`): each search asks the latest ``updated_at`` of the
material's rows (one step down its version index); when it moved, only the rows changed
since are read and replace their old entries. After ``ttl`` seconds the columns are read
anew (a moved site changes no row's ``updated_at``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy import func, null
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from market.accounts.models import Site
from market.offers.common import OfferKind


@dataclass(frozen=True)
class Positions:
    """The open rows of one kind and material, as columns."""

    ids: np.ndarray[Any, np.dtype[np.int64]]
    lons: np.ndarray[Any, np.dtype[np.float64]]
    lats: np.ndarray[Any, np.dtype[np.float64]]
    orgs: np.ndarray[Any, np.dtype[np.int64]]
    #: CNY per tonne (NaN for a demand, which has no price of its own).
    prices: np.ndarray[Any, np.dtype[np.float64]]
    #: The tonnes a minimum-quantity search compares, in kg (exact).
    kg: np.ndarray[Any, np.dtype[np.int64]]

    @classmethod
    def from_rows(cls, rows: list[Any]) -> Positions:
        n = len(rows)
        return cls(
            ids=np.fromiter((r[0] for r in rows), np.int64, n),
            lons=np.fromiter((r[1] for r in rows), np.float64, n),
            lats=np.fromiter((r[2] for r in rows), np.float64, n),
            orgs=np.fromiter((r[3] for r in rows), np.int64, n),
            prices=np.fromiter(
                (np.nan if r[4] is None else float(r[4]) for r in rows), np.float64, n
            ),
            kg=np.fromiter((kg(r[5]) for r in rows), np.int64, n),
        )

    def replaced(self, gone: np.ndarray[Any, Any], new: Positions) -> Positions:
        """These columns without the rows ``gone`` (ids), with ``new``'s rows added."""
        keep = ~np.isin(self.ids, gone)
        return Positions(
            *(
                np.concatenate((old[keep], add))
                for old, add in zip(self.columns(), new.columns(), strict=True)
            )
        )

    def columns(self) -> tuple[np.ndarray[Any, Any], ...]:
        return (self.ids, self.lons, self.lats, self.orgs, self.prices, self.kg)

    def __len__(self) -> int:
        return len(self.ids)


#: The statement of :func:`latest_change` per kind, built once (it runs on every search).
_LATEST: dict[str, Any] = {}


async def latest_change(
    session: AsyncSession, kind: OfferKind[Any], material: str
) -> datetime | None:
    """The latest ``updated_at`` of the material's rows of this kind (every write to a listing
    or demand sets it; one step down the material's version index), None without rows."""
    stmt = _LATEST.get(kind.noun)
    if stmt is None:
        model = kind.model
        stmt = _LATEST[kind.noun] = select(func.max(col(model.updated_at))).where(
            col(model.material_code) == sa.bindparam("material")
        )
    latest: datetime | None = (await session.exec(stmt, params={"material": material})).one()
    return latest


@dataclass
class _Entry:
    version: datetime
    built: float
    positions: Positions


@dataclass(eq=False)
class PositionCache:
    """:class:`Positions` per kind and material, kept current across requests."""

    ttl: float = 30.0
    #: Seconds before the latest change seen from which changed rows are read again.
    lookback: float = 5.0
    builds: int = 0
    updates: int = 0
    _entries: dict[tuple[str, str], _Entry] = field(default_factory=dict)

    async def positions(
        self, session: AsyncSession, kind: OfferKind[Any], material: str
    ) -> Positions:
        model = kind.model
        version = await latest_change(session, kind, material)
        if version is None:  # no rows of this material (or no such material): keep nothing
            return Positions.from_rows([])
        key = (kind.noun, material)
        entry = self._entries.get(key)
        now = time.monotonic()
        if entry is not None and now - entry.built <= self.ttl:
            if entry.version != version:
                # Rows written since shortly before the latest instant seen: ``updated_at``
                # is taken when a row is written, not when it commits, so a writer that
                # committed after a later one was seen is read again here (replacing a row is
                # idempotent); one later still is left to the ttl's rebuild.
                since = entry.version - timedelta(seconds=self.lookback)
                changed = sa.select(col(model.id)).where(
                    col(model.material_code) == material, col(model.updated_at) > since
                )
                conn = await session.connection()
                gone = np.fromiter((await conn.execute(changed)).scalars().all(), np.int64)
                fresh = await self._rows(session, kind, material, gone)
                entry.positions = entry.positions.replaced(gone, fresh)
                entry.version = version
                self.updates += 1
            return entry.positions
        entry = _Entry(version, now, await self._rows(session, kind, material, None))
        self._entries[key] = entry
        self.builds += 1
        return entry.positions

    @staticmethod
    async def _rows(
        session: AsyncSession,
        kind: OfferKind[Any],
        material: str,
        ids: np.ndarray[Any, Any] | None,
    ) -> Positions:
        """The open rows of the material (of ``ids`` only, when given) as columns."""
        model = kind.model
        price = getattr(model, "price_cny_t", None)
        stmt = (
            sa.select(
                col(model.id),
                col(Site.lon),
                col(Site.lat),
                col(model.organization_id),
                col(price) if price is not None else null(),
                kind.quantity(),
            )
            .join(Site, col(Site.id) == col(model.site_id))
            .where(col(model.material_code) == material, col(model.status) == "open")
        )
        if ids is not None:
            if not len(ids):
                return Positions.from_rows([])
            stmt = stmt.where(col(model.id).in_([int(i) for i in ids]))
        rows = list((await (await session.connection()).execute(stmt)).all())
        return Positions.from_rows(rows)


def kg(tonnes: Decimal) -> int:
    """Tonnes (to the kilogram) as integer kg, as :attr:`Positions.kg` holds them."""
    return int(tonnes * 1000)
