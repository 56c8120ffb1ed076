"""Trading: bids and counter-offers, sealed tenders, deals and the shipments that fulfil them.

The statistics module reads ``deals`` and ``shipments`` directly, so their table and column
names are a contract (see the class docstrings); add columns freely, rename none.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal, get_args

from sqlalchemy import CheckConstraint, Column, Index, text
from sqlmodel import Field, SQLModel

from market.core.columns import ts_column, utcnow
from market.core.db import JSONType, tonnes, yuan

#: pending → accepted | rejected | countered | withdrawn | expired | lost (a tender bid that
#: did not win). Only "pending" can change; the rest are final.
BidStatus = Literal["pending", "accepted", "rejected", "countered", "withdrawn", "expired", "lost"]
TenderStatus = Literal["open", "closed"]
TenderOutcome = Literal["awarded", "unsold"]
DealStatus = Literal["active", "completed", "cancelled"]
ShipmentStatus = Literal["dispatched", "received", "disputed"]
#: The same vocabularies as tuples, for checks and messages (one source: the Literals above,
#: which the API's response models use).
BID_STATUSES: tuple[str, ...] = get_args(BidStatus)
TENDER_STATUSES: tuple[str, ...] = get_args(TenderStatus)
TENDER_OUTCOMES: tuple[str, ...] = get_args(TenderOutcome)
DEAL_STATUSES: tuple[str, ...] = get_args(DealStatus)
SHIPMENT_STATUSES: tuple[str, ...] = get_args(ShipmentStatus)


class Tender(SQLModel, table=True):
    """A listing's lot put to sealed tender until ``closes_at``.

    Closing is claimed with ``UPDATE … SET status='closed' WHERE id=… AND status='open'``: the
    one transaction whose update hits the row closes it, so two closers never both award.
    """

    __tablename__ = "tenders"
    __table_args__ = (
        # At most one open tender per listing, even if two producers' clicks race.
        Index(
            "uq_tenders_one_open_per_listing",
            "listing_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    listing_id: int = Field(foreign_key="listings.id", index=True)
    seller_org_id: int = Field(foreign_key="organizations.id", index=True)
    #: The lot: what was available when the tender opened.
    quantity_t: Decimal = Field(sa_column=Column(tonnes(), nullable=False))
    #: Lowest acceptable price per tonne (negative: the highest fee the producer will pay).
    reserve_price_cny_t: Decimal = Field(sa_column=Column(yuan(), nullable=False))
    closes_at: datetime = Field(sa_column=ts_column())
    status: str = Field(default="open", max_length=10, index=True)
    outcome: str | None = Field(default=None, max_length=10)
    winning_bid_id: int | None = Field(default=None)
    deal_id: int | None = Field(default=None)
    closed_at: datetime | None = Field(default=None, sa_column=ts_column(nullable=True))
    created_by_user_id: int = Field(foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column())


class Bid(SQLModel, table=True):
    """An offer to trade part of a listing: a buyer's bid, or a counter-offer to one.

    ``offered_by_org_id`` made the offer and the other party responds: for a bid that is the
    seller, for a counter (``parent_id`` = the bid it answers) the buyer. A tender bid
    (``tender_id`` set) is sealed until the tender closes and is decided by the closer only.
    """

    __tablename__ = "bids"
    __table_args__ = (
        CheckConstraint("quantity_t > 0", name="quantity_positive"),
        Index("ix_bids_tender_rank", "tender_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    listing_id: int = Field(foreign_key="listings.id", index=True)
    tender_id: int | None = Field(default=None, foreign_key="tenders.id")
    parent_id: int | None = Field(default=None, foreign_key="bids.id")
    seller_org_id: int = Field(foreign_key="organizations.id", index=True)
    buyer_org_id: int = Field(foreign_key="organizations.id", index=True)
    offered_by_org_id: int = Field(foreign_key="organizations.id")
    buyer_site_id: int = Field(foreign_key="sites.id")
    demand_id: int | None = Field(default=None, foreign_key="demands.id")
    use: str | None = Field(default=None, max_length=40)
    quantity_t: Decimal = Field(sa_column=Column(tonnes(), nullable=False))
    price_cny_t: Decimal = Field(sa_column=Column(yuan(), nullable=False))
    #: Standing contract: tonnes per month for a term (quantity = tonnes × months).
    tonnes_per_month: Decimal | None = Field(default=None, sa_column=Column(tonnes()))
    term_months: int | None = None
    #: Standing contract: a month's shortfall "roll_over"s into the next or "lapse"s.
    shortfall: str | None = Field(default=None, max_length=10)
    delivery_from: date | None = None
    delivery_until: date | None = None
    expires_at: datetime = Field(sa_column=ts_column())
    status: str = Field(default="pending", max_length=12, index=True)
    note: str = Field(default="", max_length=500)
    created_by_user_id: int = Field(foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=ts_column())


class Deal(SQLModel, table=True):
    """An agreed trade; its tonnes are reserved on the listing until delivered.

    Contract with city statistics: ``id, listing_id, demand_id, seller_org_id, buyer_org_id,
    buyer_site_id, material_code, use, quantity_t, price_cny_t, status, created_at``.
    ``delivered_t`` sums the receiver's weighbridge tonnes of confirmed receipts.
    """

    __tablename__ = "deals"
    __table_args__ = (
        CheckConstraint("quantity_t > 0", name="quantity_positive"),
        CheckConstraint("delivered_t >= 0", name="delivered_non_negative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    listing_id: int = Field(foreign_key="listings.id", index=True)
    bid_id: int | None = Field(default=None, foreign_key="bids.id")
    tender_id: int | None = Field(default=None, foreign_key="tenders.id")
    demand_id: int | None = Field(default=None, foreign_key="demands.id", index=True)
    seller_org_id: int = Field(foreign_key="organizations.id", index=True)
    buyer_org_id: int = Field(foreign_key="organizations.id", index=True)
    seller_site_id: int = Field(foreign_key="sites.id")
    buyer_site_id: int = Field(foreign_key="sites.id", index=True)
    material_code: str = Field(foreign_key="materials.code", index=True)
    #: The buyer's declared use (from the linked demand, or the bid/buy body).
    use: str | None = Field(default=None, max_length=40)
    quantity_t: Decimal = Field(sa_column=Column(tonnes(), nullable=False))
    price_cny_t: Decimal = Field(sa_column=Column(yuan(), nullable=False))
    delivered_t: Decimal = Field(default=Decimal(0), sa_column=Column(tonnes(), nullable=False))
    tonnes_per_month: Decimal | None = Field(default=None, sa_column=Column(tonnes()))
    term_months: int | None = None
    #: Standing contract: a month's shortfall "roll_over"s or "lapse"s (market.trading.schedule).
    shortfall: str | None = Field(default=None, max_length=10)
    delivery_from: date | None = None
    delivery_until: date | None = None
    #: How it came about and anything else agreed ("source": bid | counter | buy | tender).
    terms: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    status: str = Field(default="active", max_length=10, index=True)
    created_by_user_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column())
    completed_at: datetime | None = Field(default=None, sa_column=ts_column(nullable=True))


class Shipment(SQLModel, table=True):
    """One lorry load against a deal, weighed at dispatch and again on receipt.

    Contract with city statistics: ``id, deal_id, vehicle_plate, carrier, manifest_no,
    dispatched_t, dispatched_at, received_t, received_at, status, overdue``.

    A **confirmed receipt** is a shipment with ``received_t`` set, i.e. status ``received``
    *or* ``disputed``: a dispute is about the difference between the two weighbridges (who
    pays for it), not about whether the material arrived, so the utilised tonnes are always the
    receiver's ``received_t``, never the producer's ``dispatched_t``.
    """

    __tablename__ = "shipments"
    __table_args__ = (
        CheckConstraint("dispatched_t > 0", name="dispatched_positive"),
        CheckConstraint("received_t IS NULL OR received_t > 0", name="received_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    deal_id: int = Field(foreign_key="deals.id", index=True)
    vehicle_plate: str = Field(max_length=20)
    carrier: str = Field(max_length=200)
    #: 危险废物转移联单 number; required when the material is hazardous.
    manifest_no: str | None = Field(default=None, max_length=40)
    dispatched_t: Decimal = Field(sa_column=Column(tonnes(), nullable=False))
    dispatched_at: datetime = Field(sa_column=ts_column())
    received_t: Decimal | None = Field(default=None, sa_column=Column(tonnes()))
    #: Not indexed on purpose: SQLite's planner then drives the statistics join from this
    #: index and the city report takes 5.2 s instead of 2.9 s (bench/bench_stats.py).
    received_at: datetime | None = Field(default=None, sa_column=ts_column(nullable=True))
    status: str = Field(default="dispatched", max_length=10, index=True)
    #: Not received by ``due_at`` (dispatch + the overdue setting); set by the sweeper.
    overdue: bool = False
    due_at: datetime = Field(sa_column=ts_column())
    #: (received − dispatched) ÷ dispatched × 100, once received.
    discrepancy_pct: Decimal | None = Field(default=None, sa_column=Column(tonnes()))
    dispatched_by_user_id: int = Field(foreign_key="users.id")
    received_by_user_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column())


#: A transfer manifest is open from dispatch until the receiver confirms the load.
ManifestStatus = Literal["open", "closed"]
#: Who numbered it: the platform, or the producer quoting the national system's number.
ManifestNumberSource = Literal["platform", "producer"]
#: open → settled. A proposal (by either party) is pending until the other accepts it.
DisputeStatus = Literal["open", "settled"]
#: How it was settled: the parties agreed a tonnage, or a regulator decided one.
SettlementMethod = Literal["agreed", "regulator"]


class Manifest(SQLModel, table=True):
    """The hazardous-waste transfer manifest (危险废物转移联单) of one load.

    Created by the platform when a hazardous load is dispatched, with the parties, the HW
    code and the dispatch weighbridge; the receiver's confirmation of the shipment writes the
    receiving weighbridge and closes it. Its figures are a copy taken when each step happened,
    so the paper trail stays as issued. ``number`` has the national shape
    (:mod:`market.trading.manifests`).
    """

    __tablename__ = "manifests"

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=14, unique=True)
    number_source: str = Field(default="platform", max_length=10)
    shipment_id: int = Field(foreign_key="shipments.id", unique=True)
    deal_id: int = Field(foreign_key="deals.id", index=True)
    producer_org_id: int = Field(foreign_key="organizations.id", index=True)
    producer_site_id: int = Field(foreign_key="sites.id")
    receiver_org_id: int = Field(foreign_key="organizations.id", index=True)
    receiver_site_id: int = Field(foreign_key="sites.id")
    carrier: str = Field(max_length=200)
    vehicle_plate: str = Field(max_length=20)
    material_code: str = Field(foreign_key="materials.code")
    hw_code: str = Field(max_length=20)
    dispatched_t: Decimal = Field(sa_column=Column(tonnes(), nullable=False))
    dispatched_at: datetime = Field(sa_column=ts_column())
    received_t: Decimal | None = Field(default=None, sa_column=Column(tonnes()))
    received_at: datetime | None = Field(default=None, sa_column=ts_column(nullable=True))
    status: str = Field(default="open", max_length=10)
    closed_by_user_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column())
    closed_at: datetime | None = Field(default=None, sa_column=ts_column(nullable=True))


class ManifestSerial(SQLModel, table=True):
    """The last serial issued per number prefix (year + province + city), one row each.

    Serials are taken with a conditional ``UPDATE … SET last_serial = last_serial + 1``, so
    two dispatches at once never get the same number.
    """

    __tablename__ = "manifest_serials"

    prefix: str = Field(primary_key=True, max_length=8)
    last_serial: int = 0


class ShipmentDispute(SQLModel, table=True):
    """A disputed receipt (weighbridges apart beyond the tolerance) and how it was settled.

    Opened when the receipt is confirmed; ``credited_t`` is what the deal was credited then
    (``min(received, dispatched)``). A party proposes ``proposed_t``, the other accepts it, or
    a regulator decides; ``settled_t`` (≤ the dispatched tonnes) then replaces the credited
    tonnes in the deal, the listing and every statistic (:mod:`market.trading.receipts`).
    Each step is in the shipment's audit trail.
    """

    __tablename__ = "shipment_disputes"
    __table_args__ = (
        CheckConstraint("proposed_t IS NULL OR proposed_t > 0", name="proposed_positive"),
        CheckConstraint("settled_t IS NULL OR settled_t > 0", name="settled_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    shipment_id: int = Field(foreign_key="shipments.id", unique=True)
    deal_id: int = Field(foreign_key="deals.id", index=True)
    credited_t: Decimal = Field(sa_column=Column(tonnes(), nullable=False))
    status: str = Field(default="open", max_length=10, index=True)
    proposed_t: Decimal | None = Field(default=None, sa_column=Column(tonnes()))
    proposed_by_org_id: int | None = Field(default=None, foreign_key="organizations.id")
    proposed_at: datetime | None = Field(default=None, sa_column=ts_column(nullable=True))
    settled_t: Decimal | None = Field(default=None, sa_column=Column(tonnes()))
    method: str | None = Field(default=None, max_length=10)
    settled_by_user_id: int | None = Field(default=None, foreign_key="users.id")
    note: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column())
    settled_at: datetime | None = Field(default=None, sa_column=ts_column(nullable=True))


class ReceiptMonth(SQLModel, table=True):
    """Confirmed receipt tonnes per origin site, material and China-time month, kept on write.

    The statistics' exchange share of a producer-month (:mod:`market.stats.facts`): the same
    sum as :func:`market.trading.receipts.received_by_origin_month` (settled tonnes, else the
    receiver's weighbridge), added to by the receipt (:func:`market.trading.shipments.receive`)
    and corrected by a settlement (:mod:`market.trading.disputes`) in their transactions, so
    a year's report joins these rows instead of summing every receipt of the year (200,000 at
    5,000 organisations) each time it is asked (issue #14.5). A month has a row once it has
    a receipt.
    """

    __tablename__ = "receipt_months"

    origin_site_id: int = Field(foreign_key="sites.id", primary_key=True)
    material_code: str = Field(foreign_key="materials.code", primary_key=True, max_length=40)
    year: int = Field(primary_key=True)
    month: int = Field(primary_key=True)
    received_t: Decimal = Field(sa_column=Column(tonnes(), nullable=False))
