"""Request bodies. Pydantic validates them; failures become 422 problems naming the field.

Decimal fields carry their scale limits (tonnes to the kilogram, yuan to the fen) so nothing
is silently rounded on the way into the database.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

Tonnes = Annotated[Decimal, Field(gt=0, max_digits=15, decimal_places=3)]
Yuan = Annotated[Decimal, Field(ge=Decimal("-1000000"), le=Decimal("10000000"), decimal_places=2)]
SpecValue = Annotated[Decimal, Field(max_digits=18, decimal_places=6, allow_inf_nan=False)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"),
]
Cadence = Literal["one_off", "monthly"]


#: C0 controls (but tab, newline, carriage return) and DEL: they break spreadsheets, and
#: PostgreSQL refuses NUL in text outright.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _reject_controls(value: Any) -> Any:
    if isinstance(value, str):
        if _CONTROL.search(value):
            raise ValueError("must not contain control characters")
    elif isinstance(value, dict):
        for k, v in value.items():
            _reject_controls(k)
            _reject_controls(v)
    elif isinstance(value, list | tuple):
        for v in value:
            _reject_controls(v)
    return value


class Body(BaseModel):
    """Every request body: unknown fields and control characters are 422s."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        return _reject_controls(value)


class RegisterIn(Body):
    email: Email
    password: Annotated[str, Field(min_length=8, max_length=200)]
    display_name: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)
    ]


class LoginIn(Body):
    email: Email
    password: Annotated[str, Field(max_length=200)]


class OrganizationIn(Body):
    name: Name
    uscc: Annotated[str, Field(description="统一社会信用代码, 18 characters (GB 32100)")]
    kind: Literal["producer", "consumer", "recycler", "carrier", "regulator"]
    district_code: Annotated[str, Field(description="county-level adcode, e.g. 420881 (钟祥市)")]


class MemberIn(Body):
    email: Email
    role: Literal["admin", "member"] = "member"


class SiteIn(Body):
    name: Name
    address: Text = ""
    lon: float
    lat: float
    crs: Annotated[
        str, Field(description="wgs84 (default), gcj02 (Amap/Tencent), bd09 (Baidu), cgcs2000")
    ] = "wgs84"


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
