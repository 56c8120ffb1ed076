"""Request and response bodies of offers: supply listings and demand requests."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field

from market.core.schemas import Body, Cadence, SpecValue, Text, Tonnes, Yuan


class ListingIn(Body):
    site_id: int
    material_code: str
    quantity_t: Tonnes
    cadence: Cadence = "one_off"
    spec: dict[str, SpecValue] = Field(default_factory=dict)
    price_cny_t: Yuan
    available_from: date | None = None
    available_until: date | None = None
    status: Literal["draft", "open"] = "open"
    title: Text = ""


class ListingPatch(Body):
    title: Text | None = None
    quantity_t: Tonnes | None = None
    cadence: Cadence | None = None
    spec: dict[str, SpecValue] | None = None
    price_cny_t: Yuan | None = None
    available_from: date | None = None
    available_until: date | None = None
    status: Literal["draft", "open", "reserved", "closed", "withdrawn", "expired"] | None = None


class BoundsIn(Body):
    min: SpecValue | None = None
    max: SpecValue | None = None


class DemandIn(Body):
    site_id: int
    material_code: str
    quantity_t: Tonnes
    cadence: Cadence = "one_off"
    use: Annotated[str | None, Field(description="declared use, e.g. gypsum_retarder")] = None
    requirements: dict[str, BoundsIn] = Field(default_factory=dict)
    grade: str | None = None
    max_haul_km: Annotated[Decimal, Field(gt=0, le=3000, decimal_places=1)] | None = None
    max_price_cny_t: Yuan | None = None
    needed_from: date | None = None
    needed_until: date | None = None
    status: Literal["draft", "open"] = "open"
    title: Text = ""


class DemandPatch(Body):
    title: Text | None = None
    quantity_t: Tonnes | None = None
    cadence: Cadence | None = None
    use: str | None = None
    requirements: dict[str, BoundsIn] | None = None
    grade: str | None = None
    max_haul_km: Annotated[Decimal, Field(gt=0, le=3000, decimal_places=1)] | None = None
    max_price_cny_t: Yuan | None = None
    needed_from: date | None = None
    needed_until: date | None = None
    status: Literal["draft", "open", "closed", "withdrawn", "expired"] | None = None


def bounds(reqs: dict[str, BoundsIn]) -> dict[str, tuple[Decimal | None, Decimal | None]]:
    return {k: (v.min, v.max) for k, v in reqs.items()}
