"""Supply listings (what producers offer) and demand requests (what consumers need).

Both carry a status that moves only along :data:`LISTING_TRANSITIONS` /
:data:`DEMAND_TRANSITIONS`; the services enforce that, the tables only store it.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import CheckConstraint, Column, ColumnElement, Index, type_coerce
from sqlmodel import Field, SQLModel

from market.core.columns import ts_column, utcnow
from market.core.db import JSONType, ScaledDecimal, tonnes, yuan

ListingStatus = Literal["draft", "open", "reserved", "closed", "withdrawn", "expired"]
DemandStatus = Literal["draft", "open", "closed", "withdrawn", "expired"]
#: What a new listing or demand may start as (the rest is reached by changes and trading).
InitialStatus = Literal["draft", "open"]

#: Allowed listing status changes. "reserved" and "closed" are reached by trading (a deal
#: reserving or taking the last tonnes); a producer may re-open an expired lot.
LISTING_TRANSITIONS: dict[str, frozenset[str]] = {
    "draft": frozenset({"open", "withdrawn"}),
    "open": frozenset({"reserved", "closed", "withdrawn", "expired"}),
    "reserved": frozenset({"open", "closed"}),
    "expired": frozenset({"open", "withdrawn"}),
    "closed": frozenset(),
    "withdrawn": frozenset(),
}
DEMAND_TRANSITIONS: dict[str, frozenset[str]] = {
    "draft": frozenset({"open", "withdrawn"}),
    "open": frozenset({"closed", "withdrawn", "expired"}),
    "expired": frozenset({"open", "withdrawn"}),
    "closed": frozenset(),
    "withdrawn": frozenset(),
}


class Listing(SQLModel, table=True):
    __tablename__ = "listings"
    __table_args__ = (
        CheckConstraint("quantity_t > 0", name="quantity_positive"),
        CheckConstraint("reserved_t >= 0 AND delivered_t >= 0", name="taken_non_negative"),
        CheckConstraint("reserved_t + delivered_t <= quantity_t", name="not_oversold"),
        # The match index's version of a material (count, latest change, tonnes taken), read
        # on every match request, from the index alone (migration 0016).
        Index(
            "ix_listings_material_version",
            "material_code",
            "updated_at",
            "reserved_t",
            "delivered_t",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id", index=True)
    site_id: int = Field(foreign_key="sites.id", index=True)
    material_code: str = Field(foreign_key="materials.code", index=True)
    title: str = Field(default="", max_length=200)
    quantity_t: Decimal = Field(sa_column=Column(tonnes(), nullable=False))
    cadence: str = Field(default="one_off", max_length=10)
    #: Tonnes promised to deals and not yet delivered, and tonnes delivered.
    reserved_t: Decimal = Field(default=Decimal(0), sa_column=Column(tonnes(), nullable=False))
    delivered_t: Decimal = Field(default=Decimal(0), sa_column=Column(tonnes(), nullable=False))
    spec: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    price_cny_t: Decimal = Field(sa_column=Column(yuan(), nullable=False))
    available_from: date | None = None
    available_until: date | None = None
    status: str = Field(default="draft", max_length=12, index=True)
    #: A traction-battery lot's purpose: "cascade" (梯次利用) or "recycling" (再生利用); None
    #: (lots from before packs were traced, other materials) is treated as recycling.
    #: Set with ``PUT /listings/{id}/battery-use`` (:mod:`market.trading.packs`).
    battery_use: str | None = Field(default=None, max_length=10)
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=ts_column())

    @property
    def available_t(self) -> Decimal:
        return self.quantity_t - self.reserved_t - self.delivered_t

    @classmethod
    def available_sql(cls) -> ColumnElement[Decimal]:
        """``quantity - reserved - delivered`` in SQL, typed so bound tonnes become kg."""
        expr = cls.__table__.c.quantity_t - cls.__table__.c.reserved_t - cls.__table__.c.delivered_t  # type: ignore[attr-defined]
        return type_coerce(expr, tonnes())


class Demand(SQLModel, table=True):
    __tablename__ = "demands"
    __table_args__ = (
        CheckConstraint("quantity_t > 0", name="quantity_positive"),
        # The match index's version of a material (count, latest change), read on every
        # match request, and its changed rows (updated_at > mark), from the index (0016).
        Index("ix_demands_material_version", "material_code", "updated_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id", index=True)
    site_id: int = Field(foreign_key="sites.id", index=True)
    material_code: str = Field(foreign_key="materials.code", index=True)
    title: str = Field(default="", max_length=200)
    #: Declared use (a key of the material's typical uses): decides the CO2 factor.
    use: str | None = Field(default=None, max_length=40)
    quantity_t: Decimal = Field(sa_column=Column(tonnes(), nullable=False))
    cadence: str = Field(default="one_off", max_length=10)
    #: parameter -> {"min": "decimal" | None, "max": "decimal" | None}
    requirements: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSONType, nullable=False)
    )
    #: A grade preset of this material (grades.key); checked by the service.
    grade_key: str | None = Field(default=None, max_length=60)
    max_haul_km: Decimal | None = Field(default=None, sa_column=Column(ScaledDecimal(1)))
    max_price_cny_t: Decimal | None = Field(default=None, sa_column=Column(yuan()))
    needed_from: date | None = None
    needed_until: date | None = None
    status: str = Field(default="draft", max_length=12, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=ts_column())
