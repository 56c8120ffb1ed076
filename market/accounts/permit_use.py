"""How much of each hazardous-waste permit's annual capacity deals have already taken.

One figure serves both the trading rule (:mod:`market.trading.eligibility`) and the
matcher's permit filter (:mod:`market.offers.matches`), so a match is never proposed that
the rule would refuse. A permit (危险废物经营许可证) covers a waste kind, an HW category
(HW31) or one waste code (900-052-31), and states a yearly capacity (经营规模, t/yr). The
tonnes a buyer took under deals count against each of its permits covering the deal's
material, in the calendar year in China they fall in:

* a one-off deal counts in the year it was agreed;
* a standing contract counts ``tonnes_per_month`` in each month of its term, from the month
  of ``delivery_from`` (else of the agreement), so a contract across New Year is split;
* a deal that ended early counts what was delivered (its first months), a cancelled one 0.

A deal of a waste code counts against a code permit and a category permit alike
(conservative: either may have been used). A permit without a recorded capacity limits
nothing; permits recorded before capacities existed have none.

Accounts sits below catalogue and trading in the layer order, so the ``deals`` and
``materials`` tables are read through lightweight table clauses naming the columns of their
documented contract (the one statistics reads), not through those packages' models.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from market.accounts.models import Permit
from market.core.db import UTCDateTime, tonnes
from matching.model import permit_kinds_of

#: Permit dates and the capacity year are China's (Asia/Shanghai), like listings' dates.
CHINA = ZoneInfo("Asia/Shanghai")
ZERO = Decimal("0.000")

_DEALS = sa.table(
    "deals",
    sa.column("id", sa.Integer()),
    sa.column("buyer_org_id", sa.Integer()),
    sa.column("material_code", sa.String()),
    sa.column("status", sa.String()),
    sa.column("quantity_t", tonnes()),
    sa.column("delivered_t", tonnes()),
    sa.column("tonnes_per_month", tonnes()),
    sa.column("term_months", sa.Integer()),
    sa.column("delivery_from", sa.Date()),
    sa.column("created_at", UTCDateTime()),
)
_PERMITS = Permit.__table__  # type: ignore[attr-defined]
_MATERIALS = sa.table(
    "materials",
    sa.column("code", sa.String()),
    sa.column("hazardous", sa.Boolean()),
    sa.column("hazard_code", sa.String()),
)


def china_date(at: datetime) -> date:
    """The calendar date in China at the instant ``at``."""
    return at.astimezone(CHINA).date()


def yearly_tonnes(
    total: Decimal,
    start: date,
    tonnes_per_month: Decimal | None = None,
    term_months: int | None = None,
) -> dict[int, Decimal]:
    """``total`` tonnes spread over calendar years: all in ``start``'s year for a one-off
    deal; for a standing contract ``tonnes_per_month`` a month from ``start``'s month until
    ``total`` is used up (any excess over the term falls in its last month)."""
    if total <= 0:
        return {}
    if tonnes_per_month is None or not term_months:
        return {start.year: total}
    out: dict[int, Decimal] = {}
    left, year, month = total, start.year, start.month
    for i in range(term_months):
        part = left if i == term_months - 1 else min(tonnes_per_month, left)
        if part <= 0:
            break
        out[year] = out.get(year, ZERO) + part
        left -= part
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


@dataclass(frozen=True)
class PermitStanding:
    """A permit with the tonnes its holder has taken under it, per calendar year."""

    permit: Permit
    taken_t: Mapping[int, Decimal]

    def valid_on(self, day: date) -> bool:
        return self.permit.valid_until >= day

    def remaining_t(self, year: int) -> Decimal | None:
        """Capacity left in ``year``; None when the permit records no capacity."""
        cap = self.permit.annual_capacity_t
        return None if cap is None else cap - self.taken_t.get(year, ZERO)

    def usable(self, day: date) -> bool:
        """Valid on ``day`` with some capacity left that year (what the matcher needs)."""
        left = self.remaining_t(day.year)
        return self.valid_on(day) and (left is None or left > 0)


async def _core(session: AsyncSession, stmt: sa.Select[Any]) -> list[Any]:
    await session.flush()
    return list((await (await session.connection()).execute(stmt)).all())


async def hazard_kinds(session: AsyncSession) -> dict[str, frozenset[str]]:
    """Per hazardous material, the permit kinds that cover it (none: no code recorded)."""
    m = _MATERIALS.c
    rows = await _core(session, sa.select(m.code, m.hazard_code).where(m.hazardous.is_(True)))
    return {code: permit_kinds_of(hazard_code) for code, hazard_code in rows}


async def standings(
    session: AsyncSession, org_ids: Collection[int] | None = None, *, lock: bool = False
) -> dict[int, list[PermitStanding]]:
    """Every permit of ``org_ids`` (all organisations when None) with its tonnes taken, by
    organisation, in the order recorded. ``lock`` takes the permits' rows FOR UPDATE first, so
    that two deals of one buyer at once are counted one after the other (PostgreSQL; SQLite
    transactions are serialised anyway)."""
    stmt = select(Permit).order_by(col(Permit.id))
    if org_ids is not None:
        stmt = stmt.where(col(Permit.organization_id).in_(list(org_ids)))
    if lock:
        stmt = stmt.with_for_update()
    permits = list((await session.exec(stmt)).all())
    if not permits:
        return {}
    kinds = await hazard_kinds(session)
    d = _DEALS.c
    rows = await _core(
        session,
        sa.select(
            d.buyer_org_id,
            d.material_code,
            d.status,
            d.quantity_t,
            d.delivered_t,
            d.tonnes_per_month,
            d.term_months,
            d.delivery_from,
            d.created_at,
        ).where(
            d.buyer_org_id.in_({p.organization_id for p in permits}),
            d.material_code.in_(list(kinds)),
            d.status != "cancelled",
        ),
    )
    taken: dict[int, list[tuple[frozenset[str], dict[int, Decimal]]]] = {}
    for org_id, material, status, qty, delivered, tpm, term, start, created in rows:
        committed = qty if status == "active" else delivered
        years = yearly_tonnes(committed, start or china_date(created), tpm, term)
        taken.setdefault(org_id, []).append((kinds[material], years))
    out: dict[int, list[PermitStanding]] = {}
    for p in permits:
        per_year: dict[int, Decimal] = {}
        for covered, years in taken.get(p.organization_id, []):
            if p.kind in covered:
                for year, t in years.items():
                    per_year[year] = per_year.get(year, ZERO) + t
        out.setdefault(p.organization_id, []).append(PermitStanding(p, per_year))
    return out


async def usable_permit_kinds(session: AsyncSession, at: datetime) -> dict[int, frozenset[str]]:
    """Per organisation, the kinds of its permits valid on China's date at ``at`` with
    capacity left this year: the permits the matcher may count on."""
    day = china_date(at)
    return {
        org_id: frozenset(s.permit.kind for s in items if s.usable(day))
        for org_id, items in (await standings(session)).items()
    }


async def version(session: AsyncSession) -> tuple[Any, ...]:
    """Changes whenever a permit is recorded or a deal made: part of the matcher's cache key
    for lots that need a permit, so a used-up capacity is never proposed from a stale index."""
    p, d = _PERMITS.c, _DEALS.c
    parts = [sa.func.count(p.id), sa.func.max(p.id)], [sa.func.count(d.id), sa.func.max(d.id)]
    (row,) = await _core(
        session,
        sa.select(
            *(sa.select(f).select_from(_PERMITS).scalar_subquery() for f in parts[0]),
            *(sa.select(f).select_from(_DEALS).scalar_subquery() for f in parts[1]),
        ),
    )
    return tuple(row)
