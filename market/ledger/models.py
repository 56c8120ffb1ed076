"""Monthly solid-waste ledgers (一般工业固体废物管理台账) and utilisation targets (以用定产).

A ledger row is what a producer reports for one site, one material and one calendar month
(China time). The columns are the terms of the official balance identity (DOMAIN.md §3)::

    产生量 = (综合利用量 − 利用往年贮存量) + 贮存量 + (处置量 − 处置往年贮存量) + 倾倒丢弃量

where the producer's 综合利用量 (utilised) is *not* a column: it is

    used_inhouse_t + shipped_outside_exchange_t + exchange receipts

and the exchange receipts come from the trading tables (tonnes the receivers confirmed on
their weighbridges), never from the producer. Keeping the exchange share out of the
producer's hands is what stops a tonne being counted twice: a shipped tonne is counted from
its receipt only, and if the producer also reported it as in-house use the identity no
longer adds up and the ledger is rejected (or flagged, if the receipt arrives later).
See :mod:`market.stats.utilisation` for the formula and :mod:`market.ledger.rules` for the
checks.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from market.core.columns import ts_column, utcnow
from market.core.db import ScaledDecimal, tonnes

#: The reported tonnage columns, in the order of the template and the identity.
LEDGER_TONNES = (
    "generated_t",
    "stored_t",
    "disposed_t",
    "disposed_from_stockpile_t",
    "used_inhouse_t",
    "shipped_outside_exchange_t",
    "utilised_from_stockpile_t",
    "dumped_t",
)


def _t() -> Column[Decimal]:
    return Column(tonnes(), nullable=False)


class Ledger(SQLModel, table=True):
    """One producer-site's figures for one material and month; unique per (site, material, month).

    ``organization_id`` copies the site's owner at write time so that breakdowns by
    organisation and access checks need no join through ``sites``.
    """

    __tablename__ = "ledgers"
    __table_args__ = (
        UniqueConstraint("site_id", "material_code", "year", "month"),
        CheckConstraint("month BETWEEN 1 AND 12", name="month_range"),
        CheckConstraint(
            "generated_t >= 0 AND stored_t >= 0 AND disposed_t >= 0 AND dumped_t >= 0"
            " AND used_inhouse_t >= 0 AND shipped_outside_exchange_t >= 0"
            " AND disposed_from_stockpile_t >= 0 AND utilised_from_stockpile_t >= 0",
            name="tonnes_non_negative",
        ),
        CheckConstraint("disposed_from_stockpile_t <= disposed_t", name="disposal_split"),
        Index("ix_ledgers_period", "year", "month"),
    )

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id", index=True)
    site_id: int = Field(foreign_key="sites.id")
    material_code: str = Field(foreign_key="materials.code", index=True, max_length=40)
    year: int
    month: int
    #: 产生量: generated this month.
    generated_t: Decimal = Field(sa_column=_t())
    #: 贮存量: of this month's output, put into storage.
    stored_t: Decimal = Field(sa_column=_t())
    #: 处置量: disposed (landfill, incineration), including from earlier years' stockpiles.
    disposed_t: Decimal = Field(sa_column=_t())
    #: 处置往年贮存量: of the disposal, taken from earlier years' stockpiles.
    disposed_from_stockpile_t: Decimal = Field(sa_column=_t())
    #: 自行利用量: utilised by the producer itself (never tonnes shipped on the exchange).
    used_inhouse_t: Decimal = Field(sa_column=_t())
    #: 委托利用量 outside the exchange: handed to other users directly.
    shipped_outside_exchange_t: Decimal = Field(sa_column=_t())
    #: 利用往年贮存量: of the whole utilisation (in-house, outside and exchange), from stockpiles.
    utilised_from_stockpile_t: Decimal = Field(sa_column=_t())
    #: 倾倒丢弃量: dumped or discarded.
    dumped_t: Decimal = Field(sa_column=_t())
    note: str = Field(default="", max_length=500)
    reported_by_user_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=ts_column())


class UtilisationTarget(SQLModel, table=True):
    """A regulator's utilisation target for an organisation, material and year (以用定产)."""

    __tablename__ = "utilisation_targets"
    __table_args__ = (
        UniqueConstraint("organization_id", "material_code", "year"),
        CheckConstraint("target_pct >= 0 AND target_pct <= 10000", name="target_range"),
    )

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id", index=True, ondelete="CASCADE")
    material_code: str = Field(foreign_key="materials.code", max_length=40)
    year: int = Field(index=True)
    #: Percent with two decimals, stored as hundredths.
    target_pct: Decimal = Field(sa_column=Column(ScaledDecimal(2), nullable=False))
    set_by_user_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=ts_column())
