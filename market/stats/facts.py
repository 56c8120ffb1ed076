"""The facts every statistic sums: ledgers joined with their site, organisation and receipts.

Exchange receipts are the receivers' weighbridge tonnes of confirmed receipts
(:mod:`market.trading.receipts`) joined onto the ledger of their origin site, material and
China-time month, so a received tonne is counted once, for its producer. Sums run in SQL on
exact integer kilograms; rates are Decimals quantised to 0.01 %, never floats.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import BigInteger, ColumnElement, FromClause, func, type_coerce

from market.accounts.models import Organization, Site
from market.core import decimals as dec
from market.core.settings import Settings
from market.ledger.models import LEDGER_TONNES, Ledger
from market.stats.filters import StatsFilter
from market.trading.receipts import receipt_months

#: The official definitions, shown next to every figure (DOMAIN.md §3).
FORMULA = {
    "rate": "综合利用率 = 综合利用量 ÷ (产生量 + 综合利用往年贮存量) × 100 %",
    "utilised": "综合利用量 = 自行利用量 + 平台外委托利用量 + 平台交易签收量 "
    "(in-house + outside the exchange + exchange receipts, receiver's weighbridge)",
    "balance": "产生量 = (综合利用量 − 利用往年贮存量) + 贮存量 + (处置量 − 处置往年贮存量) + 倾倒丢弃量",
    "stockpile_change": "贮存变化 = 贮存量 − 利用往年贮存量 − 处置往年贮存量",
    "source": "DOMAIN.md §3 (official definitions)",
}
_PCT = Decimal("0.01")
_KG = 3

L = Ledger.__table__  # type: ignore[attr-defined]
S = Site.__table__  # type: ignore[attr-defined]
ORG = Organization.__table__  # type: ignore[attr-defined]


def kg(column: Any) -> ColumnElement[int]:
    """A tonnes column as the integer kilograms it stores, for exact SQL arithmetic."""
    return type_coerce(column, BigInteger)


def tonnes_from_kg(value: Any) -> Decimal:
    return Decimal(int(value or 0)).scaleb(-_KG)


def pct(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    if denominator == 0:
        return None
    return (numerator * 100 / denominator).quantize(_PCT, ROUND_HALF_EVEN)


def received_tonnes(year: int | None = None, month: int | None = None) -> FromClause:
    """Exchange receipt tonnes per (origin site, material, year, month), China time.

    The rows of ``receipt_months``, which the receipts and settlements keep
    (:func:`market.trading.receipts.count_receipt`): the ``received_t`` of
    :func:`market.trading.receipts.received_by_origin_month` (settled tonnes, else the
    receiver's weighbridge; confirmed receipts only) without summing the receipts again for
    every report. ``year`` (and ``month``) keep only that period's rows.
    """
    r = receipt_months
    conds: list[ColumnElement[bool]] = []
    if year is not None:
        conds.append(r.c.year == year)
        if month is not None:
            conds.append(r.c.month == month)
    return (
        sa.select(
            r.c.origin_site_id,
            r.c.material_code,
            r.c.year,
            r.c.month,
            r.c.received_t,
        )
        .where(*conds)
        .subquery("received")
    )


@dataclass(frozen=True)
class Found:
    """What the report's grouped query found for the checks (:mod:`market.stats.checks`)."""

    #: Ledgers that no longer balance, and the first and last of their months (year × 100
    #: + month), None without any.
    unbalanced: int
    first_flagged: int | None
    last_flagged: int | None
    #: Receipt months with no ledger at their origin, and their kilograms.
    orphan_months: int
    orphan_kg: int


class Facts:
    """The ledger rows joined with their exchange receipts (and, with ``places``, their site
    and organisation, for the district and park).

    Without ``places`` the joins to sites and organisations are left out: every ledger has
    both (non-null foreign keys), so they would neither add nor drop a row. ``month``
    (with ``year``) limits the receipts read to that month.
    """

    def __init__(
        self,
        year: int | None = None,
        *,
        month: int | None = None,
        places: bool = True,
    ) -> None:
        # Limiting receipts to the filter's year keeps other years out of the aggregate.
        self.year = year
        self.month = month if year is not None else None
        self.received = received_tonnes(self.year, self.month)
        r = self.received
        self.recv = func.coalesce(kg(r.c.received_t), 0)
        self.district = func.coalesce(S.c.district_code, ORG.c.district_code)
        ledgers: FromClause = L
        if places:
            ledgers = L.join(S, S.c.id == L.c.site_id).join(ORG, ORG.c.id == L.c.organization_id)
        # The receipts of a bounded year (month) are all of it: the ledger's own year (month)
        # is compared with it, not the receipts', so PostgreSQL estimates the receipts right.
        self.source = ledgers.outerjoin(
            r,
            sa.and_(
                r.c.origin_site_id == L.c.site_id,
                r.c.material_code == L.c.material_code,
                r.c.year == L.c.year if self.year is None else L.c.year == self.year,
                r.c.month == L.c.month if self.month is None else L.c.month == self.month,
            ),
        )

    def orphans(self, f: StatsFilter) -> sa.Select[int, int]:
        """Receipt months the filter selects with no ledger at their origin: their count
        and kilograms (they are in no rate: there is no generation to divide by)."""
        r = self.received
        where: list[ColumnElement[bool]] = [L.c.id.is_(None)]
        if f.year is not None and f.year != self.year:
            where.append(r.c.year == f.year)
        if f.month is not None and (f.year, f.month) != (self.year, self.month):
            where.append(r.c.month == f.month)
        if f.material is not None:
            where.append(r.c.material_code == f.material)
        if f.org_ids is not None:
            where.append(S.c.organization_id.in_(sorted(f.org_ids)))
        where += f.site_conditions(r.c.origin_site_id)
        return (
            sa.select(
                func.count().label("months"),
                func.coalesce(func.sum(kg(r.c.received_t)), 0).label("received"),
            )
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
            .where(*where)
        )

    def sums(self) -> list[ColumnElement[Any]]:
        cols: list[ColumnElement[Any]] = [
            func.coalesce(func.sum(kg(L.c[name])), 0).label(name) for name in LEDGER_TONNES
        ]
        cols.append(func.coalesce(func.sum(self.recv), 0).label("exchange_received_t"))
        cols.append(func.count(L.c.id).label("ledgers"))
        return cols

    def conditions(self, f: StatsFilter) -> list[ColumnElement[bool]]:
        conds: list[ColumnElement[bool]] = []
        if f.year is not None:
            conds.append(L.c.year == f.year)
        if f.month is not None:
            conds.append(L.c.month == f.month)
        if f.material is not None:
            conds.append(L.c.material_code == f.material)
        if f.org_ids is not None:
            conds.append(L.c.organization_id.in_(sorted(f.org_ids)))
        conds += f.site_conditions(L.c.site_id)
        return conds

    def difference(self) -> ColumnElement[int]:
        """generated − (utilised − from stockpile + stored + disposed − from stockpile + dumped), kg."""
        c = {name: kg(L.c[name]) for name in LEDGER_TONNES}
        return c["generated_t"] - (
            c["used_inhouse_t"]
            + c["shipped_outside_exchange_t"]
            + self.recv
            - c["utilised_from_stockpile_t"]
            + c["stored_t"]
            + c["disposed_t"]
            - c["disposed_from_stockpile_t"]
            + c["dumped_t"]
        )

    def unbalanced(self, settings: Settings) -> ColumnElement[bool]:
        """The write-time checks in SQL: |difference| > tolerance, or stockpile share > total."""
        tol_kg = int(settings.ledger_balance_tolerance_t * 1000)
        bp = int((settings.receipt_tolerance_pct * 100).to_integral_value())
        util = kg(L.c.used_inhouse_t) + kg(L.c.shipped_outside_exchange_t) + self.recv
        return sa.or_(
            func.abs(self.difference()) * 10000 > tol_kg * 10000 + self.recv * bp,
            kg(L.c.utilised_from_stockpile_t) > util,
        )


def figures(row: Mapping[Any, Any]) -> dict[str, Any]:
    """Tonnes, rate, exchange share and stockpile change from summed kilograms."""
    t = {name: tonnes_from_kg(row[name]) for name in (*LEDGER_TONNES, "exchange_received_t")}
    utilised = t["used_inhouse_t"] + t["shipped_outside_exchange_t"] + t["exchange_received_t"]
    base = t["generated_t"] + t["utilised_from_stockpile_t"]
    stock_change = t["stored_t"] - t["utilised_from_stockpile_t"] - t["disposed_from_stockpile_t"]
    return {
        "ledgers": int(row["ledgers"]),
        **{name: dec.t(v) for name, v in t.items()},
        "utilised_t": dec.t(utilised),
        "utilisation_rate_pct": pct(utilised, base),
        "exchange_share_pct": pct(t["exchange_received_t"], utilised),
        "stockpile_change_t": dec.t(stock_change),
    }
