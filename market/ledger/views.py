"""Reading ledgers back: the ones a viewer may see, with receipts and whether they balance now.

A ledger balanced when it was written, but a receipt confirmed later adds to its utilisation,
so every view recomputes the balance with today's receipts.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from market.accounts.access import member_org_ids, sees_everything
from market.accounts.models import User
from market.core import decimals as dec
from market.core.settings import Settings
from market.ledger.models import LEDGER_TONNES, Ledger
from market.ledger.rules import balance_rhs, balance_tolerance, month_label
from market.ledger.service import received_for


def ledger_view(led: Ledger, received: Decimal, settings: Settings) -> dict[str, Any]:
    """A ledger with its exchange receipts, utilisation and whether it balances now."""
    t = {name: getattr(led, name) for name in LEDGER_TONNES}
    utilised = t["used_inhouse_t"] + t["shipped_outside_exchange_t"] + received
    difference = t["generated_t"] - balance_rhs(t, received)
    view: dict[str, Any] = {
        "id": led.id,
        "organization_id": led.organization_id,
        "site_id": led.site_id,
        "material_code": led.material_code,
        "month": month_label(led.year, led.month),
        **{name: dec.t(v) for name, v in t.items()},
        "exchange_received_t": dec.t(received),
        "utilised_t": dec.t(utilised),
        "balance_difference_t": dec.t(difference),
        "balanced": abs(difference) <= balance_tolerance(settings, received)
        and t["utilised_from_stockpile_t"] <= utilised,
        "note": led.note,
        "reported_by_user_id": led.reported_by_user_id,
        "created_at": led.created_at,
        "updated_at": led.updated_at,
    }
    return view


async def ledger_views(
    session: AsyncSession, ledgers: Sequence[Ledger], settings: Settings
) -> list[dict[str, Any]]:
    received = await received_for(
        session, [(x.site_id, x.material_code, x.year, x.month) for x in ledgers]
    )
    return [
        ledger_view(
            x, received.get((x.site_id, x.material_code, x.year, x.month), Decimal(0)), settings
        )
        for x in ledgers
    ]


async def list_ledgers(
    session: AsyncSession,
    viewer: User,
    *,
    year: int | None,
    month: int | None,
    site_id: int | None,
    material: str | None,
    limit: int,
) -> list[Ledger]:
    """Ledgers the viewer may read (own organisations', or all for regulators), newest first."""
    stmt = select(Ledger)
    if not sees_everything(viewer):
        stmt = stmt.where(Ledger.organization_id.in_(await member_org_ids(session, viewer)))  # type: ignore[attr-defined]
    if year is not None:
        stmt = stmt.where(Ledger.year == year)
    if month is not None:
        stmt = stmt.where(Ledger.month == month)
    if site_id is not None:
        stmt = stmt.where(Ledger.site_id == site_id)
    if material is not None:
        stmt = stmt.where(Ledger.material_code == material)
    stmt = stmt.order_by(
        col(Ledger.year).desc(),
        col(Ledger.month).desc(),
        col(Ledger.site_id),
        col(Ledger.material_code),
    ).limit(limit)
    return list((await session.exec(stmt)).all())
