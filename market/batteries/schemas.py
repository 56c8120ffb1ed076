"""Request and response bodies of battery packs, lots' battery use and the trace report."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AwareDatetime, Field, StringConstraints

from market.core.schemas import Body, Out
from market.trading.pack_models import BatteryUse, PackEventKind, PackStatus

Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]


class PackIn(Body):
    """One pack (or module) of a battery lot."""

    code: Annotated[Code, Field(description="GB/T 34014 code, 24 characters")]
    chemistry: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=10),
        Field(description="LFP, NCM, NCA, LMO, LCO, LTO, NIMH or OTHER"),
    ]
    rated_kwh: Annotated[Decimal, Field(gt=0, le=10000, decimal_places=3)]
    soh_pct: Annotated[
        Decimal, Field(ge=0, le=100, decimal_places=1, description="measured state of health")
    ]
    mass_kg: Annotated[int, Field(gt=0, le=100_000)]
    vin: Annotated[
        str | None,
        StringConstraints(strip_whitespace=True, max_length=20),
        Field(description="the vehicle's VIN (17 characters, ISO 3779 check digit)"),
    ] = None


class PacksIn(Body):
    packs: Annotated[list[PackIn], Field(min_length=1, max_length=5000)]


class BatteryUseIn(Body):
    battery_use: Annotated[
        BatteryUse, Field(description="cascade (梯次利用) or recycling (再生利用)")
    ]


class CascadeListedIn(Body):
    listed: bool


class CascadeListedOut(Out):
    organization_id: int
    miit_cascade_listed: bool


class CodesIn(Body):
    codes: Annotated[list[Code], Field(min_length=1, max_length=5000)]


class ReceivePacksIn(Body):
    """The codes of the packs that arrived; every other pack on the load is missing."""

    received: Annotated[list[Code], Field(max_length=5000)]
    received_at: AwareDatetime | None = None


class CutoffOut(Out):
    min_soh_pct: Decimal
    source: str
    confirmed: bool


class PackOut(Out):
    code: str
    product_type: Annotated[str, Field(description="P pack, M module, C cell (code position 4)")]
    battery_type: Annotated[str, Field(description="GB/T 34014 battery type letter (position 5)")]
    chemistry: str
    rated_kwh: Decimal
    soh_pct: Decimal
    mass_kg: int
    vin: str | None
    status: PackStatus
    listing_id: int | None
    deal_id: int | None
    shipment_id: int | None
    holder_org_id: int


class LotPacksOut(Out):
    """A battery lot's packs: those it holds now and, for its producer and regulators, those
    its deals took (their status says where they are)."""

    listing_id: int
    battery_use: Annotated[
        BatteryUse | None, Field(description="None: not said, treated as recycling")
    ]
    cascade_cutoff: CutoffOut | None
    count: int
    mass_kg: int
    items: list[PackOut]


class BatteryUseOut(Out):
    listing_id: int
    battery_use: BatteryUse
    cascade_cutoff: CutoffOut | None


class PackReceiptOut(Out):
    shipment_id: int
    received: list[str]
    missing: list[str]


class ShipmentPacksOut(Out):
    shipment_id: int
    codes: list[str]


class ReportedOut(Out):
    reported: int


class TraceRowOut(Out):
    """One move of one pack, as the national traceability platform's upload has it."""

    pack_code: str
    vin: str | None
    battery_type: str
    chemistry: str
    outbound_date: date
    sender_name: str
    sender_uscc: str
    receiver_name: str
    receiver_uscc: str
    received_date: date | None
    status: PackEventKind | None
    deal_id: int | None
    shipment_id: int | None


class OverdueOut(Out):
    pack_code: str
    vin: str | None
    holder_name: str
    holder_uscc: str
    received_at: datetime
    due_date: Annotated[date, Field(description="15 working days (Mon–Fri) after receipt")]
    working_days_late: int
    shipment_id: int | None


class PackEventOut(Out):
    """One step of a pack's chain of custody, with both parties as they were then."""

    kind: PackEventKind
    at: datetime
    from_org_id: int
    from_org_name: str
    from_uscc: str
    to_org_id: int
    to_org_name: str
    to_uscc: str
    listing_id: int | None
    deal_id: int | None
    shipment_id: int | None
    reported_at: datetime | None


class PackHistoryOut(Out):
    pack: PackOut
    events: list[PackEventOut]
