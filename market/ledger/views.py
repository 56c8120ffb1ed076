"""Reading ledgers back: the ones a viewer may see, with receipts and whether they balance now.

A ledger balanced when it was written, but a receipt confirmed later adds to its utilisation,
so every view recomputes the balance with today's receipts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import ColumnElement, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from market.accounts.access import member_org_ids, sees_everything
from market.accounts.models import User
from market.core import decimals as dec
from market.core.settings import Settings
from market.ledger.models import LEDGER_TONNES, Ledger
from market.ledger.rules import balance_rhs, balances, check_filter, month_label
from market.ledger.schemas import LedgerOut
from market.ledger.service import booked_for, received_for


@dataclass(frozen=True)
class LedgerFilter:
    """Which ledgers to list; a month needs its year (checked on construction)."""

    year: int | None = None
    month: int | None = None
    site_id: int | None = None
    material: str | None = None

    def __post_init__(self) -> None:
        check_filter(self.year, self.month)


def ledger_view(
    led: Ledger,
    received: Decimal,
    settings: Settings,
    booked: Decimal | None = None,
    slack: Decimal = Decimal(0),
) -> LedgerOut:
    """A ledger with its exchange receipts, utilisation and whether it balances now (by the
    write-time rule: exchange loads as the producer booked them, see market.ledger.rules)."""
    t = {name: getattr(led, name) for name in LEDGER_TONNES}
    utilised = t["used_inhouse_t"] + t["shipped_outside_exchange_t"] + received
    booked = received if booked is None else booked
    difference = t["generated_t"] - balance_rhs(t, booked)
    return LedgerOut.model_validate(
        {
            "id": led.id,
            "organization_id": led.organization_id,
            "site_id": led.site_id,
            "material_code": led.material_code,
            "month": month_label(led.year, led.month),
            **{name: dec.t(v) for name, v in t.items()},
            "exchange_received_t": dec.t(received),
            "utilised_t": dec.t(utilised),
            "balance_difference_t": dec.t(difference),
            "balanced": balances(settings, t, booked, slack)
            and t["utilised_from_stockpile_t"] <= utilised,
            "note": led.note,
            "reported_by_user_id": led.reported_by_user_id,
            "created_at": led.created_at,
            "updated_at": led.updated_at,
        }
    )


async def ledger_views(
    session: AsyncSession, ledgers: Sequence[Ledger], settings: Settings
) -> list[LedgerOut]:
    """Views of many ledgers with one query for their receipts."""
    keys = [(x.site_id, x.material_code, x.year, x.month) for x in ledgers]
    received = await received_for(session, keys)
    booked, slack = await booked_for(session, keys)
    zero = Decimal(0)
    return [
        ledger_view(x, received.get(k, zero), settings, booked.get(k, zero), slack.get(k, zero))
        for x, k in zip(ledgers, keys, strict=True)
    ]


async def list_ledgers(
    session: AsyncSession, viewer: User, f: LedgerFilter, page: int, page_size: int
) -> tuple[list[Ledger], int]:
    """One page of the ledgers the viewer may read (own organisations', or all for
    regulators), newest month first, and how many there are in all."""
    conds: list[ColumnElement[bool]] = []
    if not sees_everything(viewer):
        conds.append(col(Ledger.organization_id).in_(await member_org_ids(session, viewer)))
    if f.year is not None:
        conds.append(col(Ledger.year) == f.year)
    if f.month is not None:
        conds.append(col(Ledger.month) == f.month)
    if f.site_id is not None:
        conds.append(col(Ledger.site_id) == f.site_id)
    if f.material is not None:
        conds.append(col(Ledger.material_code) == f.material)
    total = (await session.exec(select(func.count()).select_from(Ledger).where(*conds))).one()
    stmt = (
        select(Ledger)
        .where(*conds)
        .order_by(
            col(Ledger.year).desc(),
            col(Ledger.month).desc(),
            col(Ledger.site_id),
            col(Ledger.material_code),
        )
        .offset((page - 1) * page_size)
        .limit(page_size)
    )
    return list((await session.exec(stmt)).all()), int(total)
