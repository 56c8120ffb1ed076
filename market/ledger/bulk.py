"""Writing an import's ledgers in bulk, a chunk at a time, without holding up the event loop.

One ORM object per row made a 100,000-row import cost a minute of event-loop time (pydantic
validation and instrumented attributes per field, then one INSERT per row), during which the
worker answered nothing else. An import only needs its rows written and counted, so rows go
to the database as Core ``executemany`` in chunks of :data:`CHUNK`: the driver works in its
own thread while the loop serves other requests, and the loop gets a turn between chunks.
Values still pass through the columns' types (tonnes to integer kilograms, UTC timestamps).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from market.accounts.models import User
from market.ledger.models import LEDGER_TONNES, Ledger
from market.ledger.rules import Key, LedgerContext, LedgerEntry

#: Rows per statement; between two, the event loop runs whatever else is waiting.
CHUNK = 250

_TABLE: sa.Table = Ledger.__table__  # type: ignore[attr-defined]
_FIGURES = (*LEDGER_TONNES, "organization_id", "note", "reported_by_user_id", "updated_at")
_INSERT = sa.insert(_TABLE)
_UPDATE = (
    sa.update(_TABLE)
    .where(_TABLE.c.id == sa.bindparam("ledger_id"))
    .values({name: sa.bindparam(name) for name in _FIGURES})
)


async def existing_ids(session: AsyncSession, entries: Sequence[LedgerEntry]) -> dict[Key, int]:
    """Ids of the stored ledgers these entries replace, streamed a chunk at a time (plain
    rows: building an ORM object for each of 100,000 stored months took seconds)."""
    wanted = {e.key for e in entries}
    site_ids = {e.site_id for e in entries}
    found: dict[Key, int] = {}
    if not site_ids:
        return found
    c = _TABLE.c
    stmt = sa.select(c.id, c.site_id, c.material_code, c.year, c.month).where(
        c.site_id.in_(site_ids)
    )
    await session.flush()
    result = await (await session.connection()).stream(stmt)
    async for chunk in result.partitions(CHUNK * 4):
        for ledger_id, site_id, material, year, month in chunk:
            key = (site_id, material, year, month)
            if key in wanted:
                found[key] = ledger_id
        await asyncio.sleep(0)
    return found


async def write_entries(
    session: AsyncSession, ctx: LedgerContext, actor: User | None, entries: Sequence[LedgerEntry]
) -> int:
    """Insert new months and replace stored ones (checked entries, one per key); return
    how many were new."""
    existing = await existing_ids(session, entries)
    now = datetime.now(UTC)
    reporter = actor.id if actor is not None else None
    await session.flush()
    connection = await session.connection()
    created = 0
    for start in range(0, len(entries), CHUNK):
        new: list[dict[str, Any]] = []
        replaced: list[dict[str, Any]] = []
        for e in entries[start : start + CHUNK]:
            figures: dict[str, Any] = dict(e.tonnes)
            figures["organization_id"] = ctx.sites[e.site_id].organization_id
            figures["note"] = e.note
            figures["reported_by_user_id"] = reporter
            figures["updated_at"] = now
            ledger_id = existing.get(e.key)
            if ledger_id is None:
                figures.update(
                    site_id=e.site_id,
                    material_code=e.material_code,
                    year=e.year,
                    month=e.month,
                    created_at=now,
                )
                new.append(figures)
            else:
                figures["ledger_id"] = ledger_id
                replaced.append(figures)
        for statement, rows in ((_INSERT, new), (_UPDATE, replaced)):
            if rows:
                await connection.execute(statement, rows)
        created += len(new)
        await asyncio.sleep(0)
    return created
