"""Ledgers that no longer add up, and receipts with no ledger to count them against.

A ledger balanced when it was written (:mod:`market.ledger.rules`), but a receipt confirmed
afterwards adds to its utilisation; such ledgers are flagged here rather than hidden. A
receipt whose origin reported no ledger for that month is not in any rate (there is no
generation to divide by), so its tonnes are counted here for a regulator to chase.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import ColumnElement, func
from sqlmodel.ext.asyncio.session import AsyncSession

from market.core import decimals as dec
from market.core.settings import Settings
from market.ledger.service import dialect_name, month_label
from market.stats.facts import Facts, L, S, kg, tonnes_from_kg
from market.stats.filters import StatsFilter
from market.trading.receipts import execute_core

#: Unbalanced ledgers listed by name (all are counted).
CHECK_LIMIT = 100


async def checks(session: AsyncSession, f: StatsFilter, settings: Settings) -> dict[str, Any]:
    """Ledgers that no longer add up, and receipts with no ledger at their origin."""
    facts = Facts(dialect_name(session), f.year)
    where = [*facts.conditions(f), facts.unbalanced(settings)]
    count = (
        await execute_core(session, sa.select(func.count()).select_from(facts.source).where(*where))
    ).scalar_one()
    listed = (
        await execute_core(
            session,
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
            .where(*where)
            .order_by(L.c.year, L.c.month, L.c.site_id, L.c.material_code)
            .limit(CHECK_LIMIT),
        )
    ).all()
    r = facts.received
    orphan_where: list[ColumnElement[bool]] = [L.c.id.is_(None)]
    if f.year is not None:
        orphan_where.append(r.c.year == f.year)
    if f.month is not None:
        orphan_where.append(r.c.month == f.month)
    if f.material is not None:
        orphan_where.append(r.c.material_code == f.material)
    if f.org_ids is not None:
        orphan_where.append(S.c.organization_id.in_(sorted(f.org_ids)))
    orphan_where += f.site_conditions(r.c.origin_site_id)
    orphan = (
        await execute_core(
            session,
            sa.select(func.count(), func.coalesce(func.sum(kg(r.c.received_t)), 0))
            .select_from(
                r.join(S, S.c.id == r.c.origin_site_id).outerjoin(
                    L,
                    sa.and_(
                        L.c.site_id == r.c.origin_site_id,
                        L.c.material_code == r.c.material_code,
                        L.c.year == r.c.year,
                        L.c.month == r.c.month,
                    ),
                )
            )
            .where(*orphan_where),
        )
    ).one()
    return {
        "unbalanced_count": int(count),
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
        "receipts_without_ledger_months": int(orphan[0]),
        "receipts_without_ledger_t": dec.t(tonnes_from_kg(orphan[1])),
        "tolerance": {
            "absolute_t": dec.t(settings.ledger_balance_tolerance_t),
            "receipt_pct": settings.receipt_tolerance_pct,
            "meaning": "a ledger balances when |generated − accounted| ≤ absolute_t + "
            "receipt_pct % of its exchange receipts",
        },
    }
