"""Request and response bodies of the monthly ledgers: one ledger, a list, an import's result.

Tonnes are exact Decimals to the kilogram and serialise as decimal strings ("1000.000"); a
month is the China-time calendar month as ``YYYY-MM``. An import that fails answers one
problem whose ``errors`` name the spreadsheet row as well as the field.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from litestar.params import QueryParameter
from pydantic import Field, StringConstraints

from market.core.openapi import FieldError, ProblemDetails
from market.core.schemas import Body, Out, Text
from market.ledger.models import LEDGER_TONNES
from market.ledger.rules import LedgerEntry

Tonnes0 = Annotated[Decimal, Field(ge=0, max_digits=15, decimal_places=3, allow_inf_nan=False)]
Month = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^\d{4}-\d{2}$"),
    Field(description="calendar month, China time: 2026-03"),
]
PageNumber = Annotated[int, QueryParameter(ge=1, le=1_000_000)]
LedgerPageSize = Annotated[int, QueryParameter(ge=1, le=1000)]


class LedgerIn(Body):
    """One producer-month. Exchange receipts are added by the platform: never report them here."""

    site_id: int
    material_code: str
    month: Month
    generated_t: Tonnes0
    stored_t: Tonnes0 = Decimal(0)
    disposed_t: Tonnes0 = Decimal(0)
    disposed_from_stockpile_t: Tonnes0 = Decimal(0)
    used_inhouse_t: Tonnes0 = Decimal(0)
    shipped_outside_exchange_t: Tonnes0 = Decimal(0)
    utilised_from_stockpile_t: Tonnes0 = Decimal(0)
    dumped_t: Tonnes0 = Decimal(0)
    note: Text = ""

    def entry(self) -> LedgerEntry:
        """The service's input: the month split into year and month, the tonnes by name."""
        year, month = (int(p) for p in self.month.split("-"))
        tonnes = {name: getattr(self, name) for name in LEDGER_TONNES}
        return LedgerEntry(self.site_id, self.material_code, year, month, tonnes, self.note)


class LedgerOut(Out):
    """A reported producer-month with its exchange receipts and whether it balances today."""

    id: int
    organization_id: int
    site_id: int
    material_code: str
    month: Annotated[str, Field(description="China-time month, 2025-03")]
    generated_t: Decimal
    stored_t: Decimal
    disposed_t: Decimal
    disposed_from_stockpile_t: Decimal
    used_inhouse_t: Decimal
    shipped_outside_exchange_t: Decimal
    utilised_from_stockpile_t: Decimal
    dumped_t: Decimal
    exchange_received_t: Annotated[
        Decimal, Field(description="receivers' confirmed weighbridge tonnes from this site-month")
    ]
    utilised_t: Annotated[
        Decimal, Field(description="used_inhouse_t + shipped_outside_exchange_t + received")
    ]
    balance_difference_t: Annotated[
        Decimal, Field(description="generated − what the identity accounts for, receipts included")
    ]
    balanced: Annotated[
        bool, Field(description="within the tolerance now (a later receipt can unbalance it)")
    ]
    note: str
    reported_by_user_id: int | None
    created_at: datetime
    updated_at: datetime


class ImportOut(Out):
    """What an import wrote: every row, split into new months and replaced ones."""

    rows: int
    created: int
    replaced: int


class RowError(FieldError):
    """One problem of an imported file: the spreadsheet row (header = 1), field and reason.

    ``row`` is None for a problem with the whole file (empty, unreadable, wrong media type).
    """

    row: str | None = None


class ImportProblem(ProblemDetails):
    """A rejected import: nothing was written; ``errors`` has one entry per problem."""

    errors: list[RowError] | None = None  # type: ignore[assignment]
