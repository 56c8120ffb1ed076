"""Ledgers that no longer add up, and receipts with no ledger to count them against.

A ledger balanced when it was written (:mod:`market.ledger.rules`), but a receipt confirmed
afterwards adds to its utilisation; such ledgers are flagged here rather than hidden. A
receipt whose origin reported no ledger for that month is not in any rate (there is no
generation to divide by), so its tonnes are counted here for a regulator to chase.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func
from sqlmodel.ext.asyncio.session import AsyncSession

from market.core import decimals as dec
from market.core.settings import Settings
from market.ledger.service import month_label
from market.stats.facts import Facts, Found, L, tonnes_from_kg
from market.stats.filters import StatsFilter
from market.trading.receipts import execute_core

#: Unbalanced ledgers listed by name (all are counted).
CHECK_LIMIT = 100


def _months(first: int, last: int) -> list[tuple[int, int]]:
    """Every (year, month) from ``first`` to ``last`` (year × 100 + month), in order."""
    out: list[tuple[int, int]] = []
    year, month = divmod(first, 100)
    while year * 100 + month <= last:
        out.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


async def _flagged(
    session: AsyncSession,
    f: StatsFilter,
    settings: Settings,
    limit: int,
    month: tuple[int, int] | None = None,
) -> list[Any]:
    """The first ``limit`` ledgers that no longer balance, in (month, site, material) order;
    with ``month`` only that month's, reading only that month's receipts."""
    if month is not None:
        f = replace(f, year=month[0], month=month[1])
    facts = Facts(f.year, month=f.month, places=False)
    stmt = (
        sa.select(
            L.c.id,
            L.c.organization_id,
            L.c.site_id,
            L.c.material_code,
            L.c.year,
            L.c.month,
            facts.difference().label("difference"),
            facts.recv.label("received"),
        )
        .select_from(facts.source)
        .where(*facts.conditions(f), facts.unbalanced(settings))
        .order_by(L.c.year, L.c.month, L.c.site_id, L.c.material_code)
        .limit(limit)
    )
    return list((await execute_core(session, stmt)).all())


async def found(session: AsyncSession, f: StatsFilter, settings: Settings) -> Found:
    """The counts of :class:`Found` by their own queries (the report has them from its
    grouped query, :func:`market.stats.grouping.grouped_with_totals`)."""
    facts = Facts(f.year, month=f.month, places=False)
    flagged = facts.unbalanced(settings)
    month = L.c.year * 100 + L.c.month
    count, first, last = (
        await execute_core(
            session,
            sa.select(func.count(), func.min(month), func.max(month))
            .select_from(facts.source)
            .where(*facts.conditions(f), flagged),
        )
    ).one()
    months, kilograms = (await execute_core(session, facts.orphans(f))).one()
    return Found(int(count), first, last, int(months), int(kilograms))


async def checks(
    session: AsyncSession, f: StatsFilter, settings: Settings, counted: Found | None = None
) -> dict[str, Any]:
    """Ledgers that no longer add up, and receipts with no ledger at their origin.

    ``counted``: what the caller's query already counted (else counted here). The listed
    ledgers are then looked for month by month from the first month with one, each query
    reading that month's receipts only, until ``CHECK_LIMIT`` are found.
    """
    if counted is None:
        counted = await found(session, f, settings)
    listed: list[Any] = []
    if counted.unbalanced and counted.first_flagged is not None:
        assert counted.last_flagged is not None
        for month in _months(counted.first_flagged, counted.last_flagged):
            listed += await _flagged(session, f, settings, CHECK_LIMIT - len(listed), month)
            if len(listed) >= CHECK_LIMIT:
                break
    return {
        "unbalanced_count": counted.unbalanced,
        "unbalanced": [
            {
                "ledger_id": row.id,
                "organization_id": row.organization_id,
                "site_id": row.site_id,
                "material_code": row.material_code,
                "month": month_label(row.year, row.month),
                "balance_difference_t": dec.t(tonnes_from_kg(row.difference)),
                "exchange_received_t": dec.t(tonnes_from_kg(row.received)),
            }
            for row in listed
        ],
        "receipts_without_ledger_months": counted.orphan_months,
        "receipts_without_ledger_t": dec.t(tonnes_from_kg(counted.orphan_kg)),
        "tolerance": {
            "absolute_t": dec.t(settings.ledger_balance_tolerance_t),
            "receipt_pct": settings.receipt_tolerance_pct,
            "meaning": "a ledger balances when |generated − accounted| ≤ absolute_t + "
            "receipt_pct % of its exchange receipts",
        },
    }
