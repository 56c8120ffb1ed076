"""Request and response bodies for trading: bids, counters, buying, tenders, deals,
shipments, receipts and the audit trail.

Requests: weights are :data:`Tonnes` (> 0, to the kilogram), so a negative or zero
weighbridge figure is a 422 naming the field before any service runs. Times must carry a UTC
offset. Each command's body converts to its service's input object (``BidIn`` →
``BidInput``, …) field for field.

Responses are built by ``market.trading.views``: tonnes to the kilogram and yuan to the fen as
decimal strings, times in UTC. What a viewer may not see (an anonymous producer, a tender's
reserve price) is null, never absent.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from litestar.params import QueryParameter
from pydantic import AwareDatetime, Field, StringConstraints

from market.core.schemas import Body, Out, Tonnes, Yuan
from market.trading.models import BidStatus, DealStatus, ShipmentStatus, TenderOutcome, TenderStatus
from market.trading.schedule import CallOffStatus, ShortfallPolicy

#: Paging of the trading lists (``Page`` envelopes): 1-based page, at most 200 a page.
PageNumber = Annotated[int, QueryParameter(ge=1, le=1_000_000)]
PageSize = Annotated[int, QueryParameter(ge=1, le=200)]

Months = Annotated[int, Field(ge=1, le=120, description="term of a standing contract")]
Use = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]


class BuyerFields(Body):
    """Who buys and where it goes: the organisation (inferred if you have one) and either the
    receiving site or a demand request of yours (whose site and use are then taken)."""

    organization_id: int | None = None
    site_id: int | None = None
    demand_id: int | None = None
    use: Annotated[Use | None, Field(description="declared use, e.g. cement_retarder")] = None
    quantity_t: Tonnes | None = None
    tonnes_per_month: Tonnes | None = None
    term_months: Months | None = None
    shortfall: Annotated[
        ShortfallPolicy | None,
        Field(description="standing contracts: a month's shortfall rolls over or lapses (default)"),
    ] = None
    delivery_from: date | None = None
    delivery_until: date | None = None


class BidIn(BuyerFields):
    price_cny_t: Yuan
    expires_at: AwareDatetime | None = None
    note: Note = ""


class BuyIn(BuyerFields):
    pass


class AcceptIn(Body):
    """Accept part of an offer; omit both to accept all of it."""

    quantity_t: Tonnes | None = None
    tonnes_per_month: Tonnes | None = None


class CounterIn(Body):
    price_cny_t: Yuan
    quantity_t: Tonnes | None = None
    tonnes_per_month: Tonnes | None = None
    delivery_from: date | None = None
    delivery_until: date | None = None
    expires_at: AwareDatetime | None = None
    note: Note = ""


class TenderIn(Body):
    closes_at: AwareDatetime
    reserve_price_cny_t: Annotated[
        Yuan, Field(description="lowest price per tonne accepted; negative: highest fee paid")
    ]


#: A traction-battery pack's code as typed (checked by :mod:`market.catalogue.pack_codes`).
PackCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]


class ShipmentIn(Body):
    vehicle_plate: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=2, max_length=20)
    ]
    carrier: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    manifest_no: Annotated[
        str | None,
        StringConstraints(strip_whitespace=True, max_length=40),
        Field(description="transfer manifest (转移联单) number; required for hazardous waste"),
    ] = None
    dispatched_t: Tonnes
    dispatched_at: AwareDatetime | None = None
    pack_codes: Annotated[
        list[PackCode] | None,
        Field(
            max_length=5000,
            description="traction-battery packs on this load (GB/T 34014 codes, sold in this "
            "deal), as POST /shipments/{id}/packs",
        ),
    ] = None


class ReceiveIn(Body):
    received_t: Tonnes
    received_at: AwareDatetime | None = None
    pack_codes: Annotated[
        list[PackCode] | None,
        Field(
            max_length=5000,
            description="the packs that arrived; every other pack on the load is recorded "
            "missing (as POST /shipments/{id}/packs/receive)",
        ),
    ] = None


# --- Responses -------------------------------------------------------------------------------


class TradeTermsBase(Out):
    """What an offer or a deal trades: the lot, the buyer's purpose, quantity, price, dates."""

    listing_id: int
    demand_id: int | None
    use: str | None
    quantity_t: Decimal
    price_cny_t: Decimal
    tonnes_per_month: Annotated[Decimal | None, Field(description="standing contracts only")]
    term_months: int | None
    shortfall: Annotated[
        ShortfallPolicy | None, Field(description="standing contracts: roll_over or lapse")
    ]
    delivery_from: date | None
    delivery_until: date | None


class BidOut(TradeTermsBase):
    """A bid or counter-offer as one of its parties (or a regulator) sees it."""

    id: int
    kind: Literal["bid", "counter"]
    tender_id: Annotated[int | None, Field(description="set for a sealed tender bid")]
    tender_closes_at: datetime | None
    parent_id: Annotated[int | None, Field(description="the offer a counter answers")]
    buyer_org_id: int
    seller_org_id: Annotated[
        int | None, Field(description="null while the producer is anonymous to you (no deal yet)")
    ]
    buyer_verified: Annotated[
        bool, Field(description="a regulator checked the buyer's 统一社会信用代码")
    ]
    seller_verified: Annotated[
        bool,
        Field(
            description="a regulator checked the seller's 统一社会信用代码 (shown even "
            "while the seller is anonymous)"
        ),
    ]
    offered_by: Literal["buyer", "seller"]
    buyer_site_id: int
    expires_at: datetime
    status: BidStatus
    note: str
    created_at: datetime
    updated_at: datetime


class DealPartyOut(Out):
    """A party to a deal."""

    id: int
    name: str
    kind: str
    verified: Annotated[bool, Field(description="a regulator checked its 统一社会信用代码")]


class DealSiteOut(Out):
    """A deal's loading or receiving site, in full (both parties know each other)."""

    id: int
    name: str
    address: str
    lon: float
    lat: float
    district_code: str | None


class DealOut(TradeTermsBase):
    """An agreed trade with both parties and both sites; its tonnes are held until delivered."""

    id: int
    bid_id: int | None
    tender_id: int | None
    seller: DealPartyOut | None
    buyer: DealPartyOut | None
    seller_site: DealSiteOut | None
    buyer_site: DealSiteOut | None
    material_code: str
    delivered_t: Decimal
    terms: Annotated[
        dict[str, Any], Field(description="how it came about: source bid | counter | buy | tender")
    ]
    status: DealStatus
    created_at: datetime
    completed_at: datetime | None


class ShipmentOut(Out):
    """One lorry load of a deal: weighed at dispatch and, once received, on arrival."""

    id: int
    deal_id: int
    vehicle_plate: str
    carrier: str
    manifest_no: Annotated[str | None, Field(description="transfer manifest (转移联单) number")]
    dispatched_t: Decimal
    dispatched_at: datetime
    due_at: datetime
    received_t: Decimal | None
    received_at: datetime | None
    discrepancy_pct: Annotated[
        Decimal | None, Field(description="(received − dispatched) ÷ dispatched × 100")
    ]
    status: ShipmentStatus
    overdue: bool


class CallOffOut(Out):
    """One month (China time) of a standing contract's schedule (``market.trading.schedule``)."""

    month: Annotated[str, Field(description="YYYY-MM")]
    due_t: Annotated[Decimal, Field(description="tonnes per month + carried_in_t")]
    delivered_t: Annotated[Decimal, Field(description="credited tonnes received that month")]
    shortfall_t: Annotated[Decimal, Field(description="due − delivered, once the month is over")]
    overrun_t: Annotated[
        Decimal, Field(description="delivered − due, when beyond the weighbridge tolerance")
    ]
    carried_in_t: Annotated[
        Decimal, Field(description="the previous month's shortfall, if the contract rolls over")
    ]
    remaining_t: Annotated[Decimal, Field(description="what the month still needs")]
    status: CallOffStatus


class DealDetailOut(DealOut):
    """A deal with its shipments, oldest first, and (a standing contract) its schedule."""

    shipments: list[ShipmentOut]
    schedule: Annotated[
        list[CallOffOut], Field(description="one call-off a month; empty for a one-off deal")
    ]


class AcceptedOut(Out):
    """The accepted offer and the deal it made."""

    bid: BidOut
    deal: DealOut


class TenderOut(Out):
    """A sealed tender of a listing's lot; the reserve price is shown to the producer and
    regulators only."""

    id: int
    listing_id: int
    quantity_t: Decimal
    reserve_price_cny_t: Annotated[
        Decimal | None, Field(description="null unless you are the producer or a regulator")
    ]
    closes_at: datetime
    status: TenderStatus
    outcome: TenderOutcome | None
    winning_bid_id: int | None
    deal_id: int | None
    closed_at: datetime | None


AuditedEntity = Literal["listing", "bid", "tender", "deal", "shipment"]


class AuditEventOut(Out):
    """One recorded change: who acted (null for the system, or for an anonymous producer),
    when, and the changed fields before and after."""

    id: int
    entity: AuditedEntity
    entity_id: int
    action: str
    actor_user_id: int | None
    actor_org_id: int | None
    at: datetime
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class AuditTrailOut(Out):
    """The audit trail of one entity, oldest event first."""

    entity: AuditedEntity
    id: int
    events: list[AuditEventOut]


# --- Transfer manifests and disputed receipts ------------------------------------------------


class ManifestOut(Out):
    """A hazardous-waste transfer manifest (危险废物转移联单) as its parties and regulators
    see it: the parties and sites in full, the HW code, both weighbridges and their times."""

    id: int
    number: Annotated[str, Field(description="YYYY + province + city code + 6-digit serial")]
    number_source: Annotated[Literal["platform", "producer"], Field(description="who numbered it")]
    status: Annotated[Literal["open", "closed"], Field(description="closed by the receipt")]
    shipment_id: int
    deal_id: int
    producer: DealPartyOut | None
    producer_site: DealSiteOut | None
    receiver: DealPartyOut | None
    receiver_site: DealSiteOut | None
    carrier: str
    vehicle_plate: str
    material_code: str
    hw_code: str
    dispatched_t: Decimal
    dispatched_at: datetime
    received_t: Decimal | None
    received_at: datetime | None
    created_at: datetime
    closed_at: datetime | None


class ProposeSettlementIn(Body):
    """A party's proposal of the tonnes that count for a disputed receipt."""

    settled_t: Annotated[Tonnes, Field(description="at most the dispatched tonnes")]
    note: Note = ""


class AcceptSettlementIn(Body):
    """Accept the other party's proposal; give its tonnes to be sure it did not change."""

    settled_t: Tonnes | None = None


class DecideSettlementIn(Body):
    """A regulator's decision of the tonnes that count."""

    settled_t: Annotated[Tonnes, Field(description="at most the dispatched tonnes")]
    note: Note = ""


class DisputeOut(Out):
    """A disputed receipt: both weighbridges, what the deal was credited, the pending
    proposal and, once settled, the tonnes that count and how."""

    id: int
    shipment_id: int
    deal_id: int
    status: Literal["open", "settled"]
    dispatched_t: Decimal
    received_t: Decimal | None
    credited_t: Annotated[
        Decimal, Field(description="credited at receipt: min(received, dispatched)")
    ]
    proposed_t: Decimal | None
    proposed_by_org_id: int | None
    proposed_at: datetime | None
    settled_t: Decimal | None
    method: Annotated[Literal["agreed", "regulator"] | None, Field(description="once settled")]
    note: str
    created_at: datetime
    settled_at: datetime | None
