"""Request bodies for trading: bids, counters, buying, tenders, shipments and receipts.

Weights are :data:`Tonnes` (> 0, to the kilogram), so a negative or zero weighbridge figure
is a 422 naming the field before any service runs. Times must carry a UTC offset.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import AwareDatetime, Field, StringConstraints

from market.core.schemas import Body, Tonnes, Yuan

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


class ReceiveIn(Body):
    received_t: Tonnes
    received_at: AwareDatetime | None = None
