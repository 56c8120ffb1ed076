"""What every request and response body shares: the base classes, field types, the page.

Pydantic validates request bodies; failures become 422 problems naming the field. Each
domain keeps its own bodies in its ``schemas.py``.

Decimal fields carry their scale limits (tonnes to the kilogram, yuan to the fen) so nothing
is silently rounded on the way into the database.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any, Generic, Literal, TypeVar

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


T = TypeVar("T")


class Out(BaseModel):
    """Every response body: built from the services' views, read from attributes or keys."""

    model_config = ConfigDict(from_attributes=True)


class Page(Out, Generic[T]):
    """One page of a list, the same envelope for every list the API returns."""

    items: list[T]
    total: int
    page: int
    page_size: int
