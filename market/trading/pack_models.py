"""Traction-battery packs traced one by one, and the chain of custody of each.

A pack is one row for its whole life, keyed by its GB/T 34014 code (unique), whoever holds
it: a producer lists it in a lot, a deal takes it, a load carries it, the receiver confirms
it and may one day list it again (a cascade-use firm selling its worn packs to a recycler).
``listing_id`` is the lot holding it now, and a row has one such column, so with the code
unique **a pack is in one lot at most**, enforced by the database, not by a check that two
requests could both pass. Every move is a row of :class:`BatteryPackEvent`, with both
parties' 统一社会信用代码 copied as they were then: that table is the chain of custody the
traceability report (:mod:`market.batteries.trace`) is read from.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal, get_args

from sqlalchemy import CheckConstraint, Column, Index
from sqlmodel import Field, SQLModel

from market.core.columns import ts_column, utcnow
from market.core.db import ScaledDecimal

#: listed (in a lot) → sold (a deal took it) → shipped (on a load) → received (confirmed by
#: the receiver, who holds it now and may list it again) | missing (not on the lorry when the
#: receiver checked; stays so until a regulator sorts it out). ``held``: back with its holder,
#: out of any lot (a deal closed before the pack left).
PackStatus = Literal["listed", "sold", "shipped", "received", "missing", "held"]
PACK_STATUSES: tuple[str, ...] = get_args(PackStatus)
#: What happened to a pack; ``reported`` is the holder saying it has uploaded the receipt to
#: the national traceability platform.
PackEventKind = Literal["listed", "sold", "released", "shipped", "received", "missing", "reported"]
PACK_EVENT_KINDS: tuple[str, ...] = get_args(PackEventKind)
#: A battery lot is for cascade use (梯次利用) or for recycling (再生利用).
BatteryUse = Literal["cascade", "recycling"]
BATTERY_USES: tuple[str, ...] = get_args(BatteryUse)


class BatteryPack(SQLModel, table=True):
    """One pack (or module) and where it is now; its history is in the events."""

    __tablename__ = "battery_packs"
    __table_args__ = (
        CheckConstraint("mass_kg > 0", name="mass_positive"),
        CheckConstraint("rated_kwh > 0", name="rated_positive"),
        # Stored in tenths of a per cent (ScaledDecimal(1)): 0–100 % is 0–1000.
        CheckConstraint("soh_pct >= 0 AND soh_pct <= 1000", name="soh_range"),
        CheckConstraint("(status = 'listed') = (listing_id IS NOT NULL)", name="listed_iff_in_lot"),
    )

    id: int | None = Field(default=None, primary_key=True)
    #: GB/T 34014 code, normalised (:mod:`market.catalogue.pack_codes`).
    code: str = Field(max_length=24, unique=True)
    chemistry: str = Field(max_length=10)
    rated_kwh: Decimal = Field(sa_column=Column(ScaledDecimal(3), nullable=False))
    soh_pct: Decimal = Field(sa_column=Column(ScaledDecimal(1), nullable=False))
    mass_kg: int
    vin: str | None = Field(default=None, max_length=17, index=True)
    status: str = Field(default="listed", max_length=10, index=True)
    #: The lot holding it now (only while ``listed``).
    listing_id: int | None = Field(default=None, foreign_key="listings.id", index=True)
    #: The deal that took it (sold, shipped, received) and the load carrying it.
    deal_id: int | None = Field(default=None, foreign_key="deals.id", index=True)
    shipment_id: int | None = Field(default=None, foreign_key="shipments.id", index=True)
    holder_org_id: int = Field(foreign_key="organizations.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=ts_column())


class BatteryPackEvent(SQLModel, table=True):
    """One step of a pack's chain of custody, append-only.

    ``from``/``to`` are the organisations handing over and taking (for ``listed`` and
    ``reported`` both are the holder), with their names and credit codes as they were.
    ``reported_at`` is set on a ``received`` event once its holder has reported it to the
    national platform.
    """

    __tablename__ = "battery_pack_events"
    __table_args__ = (Index("ix_battery_pack_events_kind_at", "kind", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    pack_id: int = Field(foreign_key="battery_packs.id", index=True)
    kind: str = Field(max_length=10)
    from_org_id: int = Field(foreign_key="organizations.id")
    from_org_name: str = Field(max_length=200)
    from_uscc: str = Field(max_length=18)
    to_org_id: int = Field(foreign_key="organizations.id", index=True)
    to_org_name: str = Field(max_length=200)
    to_uscc: str = Field(max_length=18)
    listing_id: int | None = Field(default=None, foreign_key="listings.id")
    deal_id: int | None = Field(default=None, foreign_key="deals.id")
    shipment_id: int | None = Field(default=None, foreign_key="shipments.id")
    at: datetime = Field(sa_column=ts_column())
    reported_at: datetime | None = Field(default=None, sa_column=ts_column(nullable=True))
    by_user_id: int | None = Field(default=None, foreign_key="users.id")
