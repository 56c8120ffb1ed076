"""Request and response bodies of alerts: saved searches, notifications, webhooks.

A notification's ``payload`` is stored as JSON when it is raised and sent as-is to the
webhook, so its figures are the exact decimal strings stored then ("12.00", "800.000").
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from litestar.params import QueryParameter
from pydantic import Field, StringConstraints

from market.core.schemas import Body, Cadence, Out, Yuan
from market.offers.schemas import BoundsIn
from matching.compliance import Verdict

RadiusKm = Annotated[Decimal, Field(gt=0, le=500, decimal_places=1)]
Url = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
DeliveryStatus = Literal["pending", "delivered", "failed"]
NotificationKind = Literal[
    "listing_match",
    "bid.received",
    "bid.accepted",
    "bid.rejected",
    "bid.countered",
    "tender.won",
    "tender.lost",
    "deal.created",
    "shipment.dispatched",
    "shipment.received",
    "shipment.disputed",
    "shipment.settled",
]
#: Paging query parameters of the notification and delivery lists.
PageNumber = Annotated[int, QueryParameter(ge=1, le=1_000_000)]
PageSize = Annotated[int, QueryParameter(ge=1, le=200)]
#: An exact decimal string as stored in a notification, e.g. "12.00".
DecimalText = Annotated[str, Field(examples=["12.00"])]


class SavedSearchIn(Body):
    site_id: int
    material_code: str
    radius_km: Annotated[RadiusKm, Field(description="km around the site, at most 500")]
    requirements: dict[str, BoundsIn] = Field(default_factory=dict)
    grade: str | None = None
    max_price_cny_t: Yuan | None = None


class WebhookIn(Body):
    url: Annotated[
        Url | None,
        Field(
            description="http(s) URL of a public host (loopback, private and reserved "
            "addresses are refused), or null to remove the webhook"
        ),
    ]


class BoundsOut(Out):
    """A requirement on one parameter: exact decimal strings, null where open."""

    min: str | None
    max: str | None


class SavedSearchOut(Out):
    """A saved search: listings of this material within the radius of the site notify."""

    id: int
    organization_id: int
    site_id: int
    material_code: str
    radius_km: Decimal
    requirements: dict[str, BoundsOut]
    grade: str | None
    max_price_cny_t: Decimal | None
    active: bool
    created_at: datetime


class ApproximateSiteOut(Out):
    """Where the matched lot is, to about 1 km: the producer's site stays anonymous."""

    lon: float
    lat: float
    district_code: str | None
    approximate: Literal[True] = True


class MatchedListingOut(Out):
    """The matched lot as any other organisation may see it (no producer)."""

    id: int
    title: str
    material_code: str
    available_t: DecimalText
    cadence: Cadence
    price_cny_t: DecimalText
    spec: dict[str, str]
    available_from: str | None
    available_until: str | None
    updated_at: str | None
    site: ApproximateSiteOut


class ListingMatchOut(Out):
    """What a ``listing_match`` tells the buyer: the lot, how far, and how its spec fares."""

    saved_search_id: int | None
    distance_km: Annotated[DecimalText, Field(description="from the search's site, whole km")]
    spec_verdict: Verdict
    missing_parameters: list[str]
    unconfirmed_limits: bool
    listing: MatchedListingOut


class ShipmentEventOut(Out):
    """What a ``shipment.*`` event tells both parties: the load, its two weighbridges and,
    once settled, the tonnes that count and how they were settled."""

    shipment_id: int
    deal_id: int
    dispute_id: int | None
    status: str
    dispatched_t: DecimalText
    received_t: DecimalText | None
    discrepancy_pct: DecimalText | None
    settled_t: DecimalText | None
    method: Annotated[str | None, Field(description="agreed | regulator, once settled")]


class BidEventOut(Out):
    """What a ``bid.*`` event says: the offer (for ``bid.countered`` the new counter-offer,
    ``parent_id`` the one answered), the deal once accepted, and the lot as anyone sees it."""

    bid_id: int
    parent_id: int | None
    listing_id: int
    status: str
    offered_by: Literal["buyer", "seller"]
    quantity_t: DecimalText
    price_cny_t: DecimalText
    tonnes_per_month: DecimalText | None
    term_months: int | None
    delivery_from: str | None
    delivery_until: str | None
    expires_at: str
    deal_id: int | None
    listing: MatchedListingOut


class TenderEventOut(Out):
    """What ``tender.won`` / ``tender.lost`` tell a bidder: its own bid and, if it won, the deal."""

    tender_id: int
    bid_id: int
    listing_id: int
    result: Literal["won", "lost"]
    quantity_t: DecimalText
    price_cny_t: DecimalText
    deal_id: int | None
    closed_at: str | None
    listing: MatchedListingOut


class DealEventOut(Out):
    """What ``deal.created`` tells both parties: the deal's terms."""

    deal_id: int
    listing_id: int
    bid_id: int | None
    tender_id: int | None
    source: str
    material_code: str
    quantity_t: DecimalText
    price_cny_t: DecimalText
    tonnes_per_month: DecimalText | None
    term_months: int | None
    delivery_from: str | None
    delivery_until: str | None


class NotificationOut(Out):
    """Something an organisation was told; read once for the whole organisation."""

    id: int
    organization_id: int
    kind: NotificationKind
    listing_id: int | None
    saved_search_id: int | None
    payload: ListingMatchOut | BidEventOut | TenderEventOut | DealEventOut | ShipmentEventOut
    created_at: datetime
    read_at: datetime | None
    read: bool


class WebhookOut(Out):
    """The webhook now set; ``secret`` is shown only in this answer."""

    organization_id: int
    url: str | None
    secret: str | None
    signature: Annotated[str | None, Field(description="how the receiver checks each POST")]


class AttemptOut(Out):
    """One POST of a delivery: when, what the receiver answered, how long it took."""

    attempted_at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int


class DeliveryOut(Out):
    """A webhook delivery with the exact body sent and every attempt so far."""

    id: int
    organization_id: int
    notification_id: int
    event: NotificationKind
    url: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: Annotated[datetime | None, Field(description="while pending")]
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    body: str
    log: list[AttemptOut]
