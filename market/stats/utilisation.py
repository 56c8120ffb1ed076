"""City utilisation statistics by the official formula (DOMAIN.md §3).

For any set of producer-months (ledgers)::

    综合利用量 utilised  = Σ used_inhouse_t + Σ shipped_outside_exchange_t + Σ exchange receipts
    综合利用率 rate      = utilised ÷ (Σ generated_t + Σ utilised_from_stockpile_t) × 100 %

Exchange receipts are the receivers' weighbridge tonnes of confirmed receipts
(:mod:`market.trading.receipts`) joined onto the ledger of their origin site, material and
China-time month. A received tonne is therefore counted once, for its producer, and never
for the receiver (receivers do not report the material they take in). Receipts with no
ledger at their origin are *not* added to any rate (there is no generation to divide by);
they are reported under ``checks`` so a regulator can chase the missing ledger.

Breakdowns follow the city's "1 + B + C" monitoring network: the city (totals), industrial
parks (``park``) and enterprises (``organization``), plus material, county-level district,
year and month. Sums run in SQL on exact integer kilograms; rates are Decimals quantised to
0.01 %, never floats.

Access: regulators (and the platform admin) see everything; anybody else sees the city
totals plus the groups, checks and trend of their own organisations only.

This module assembles the report; the SQL lives in :mod:`market.stats.facts` (the joined
rows, the figures), :mod:`market.stats.grouping` (groups, totals, the stockpile trend) and
:mod:`market.stats.checks` (ledgers that no longer balance); targets are
:mod:`market.stats.targets`.
"""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from market.accounts.models import User
from market.catalogue.models import Material
from market.core.errors import Invalid
from market.core.settings import Settings
from market.ledger.service import check_filter
from market.stats.checks import checks
from market.stats.facts import FORMULA, StatsFilter, viewer_scope
from market.stats.grouping import GROUP_BY, grouped, stockpile_trend, totals

#: What pages, tests and benches import from here; the parts live in facts, grouping, checks.
__all__ = [
    "GROUP_BY",
    "StatsFilter",
    "check_filter",
    "grouped",
    "totals",
    "utilisation",
    "viewer_scope",
]


async def utilisation(
    session: AsyncSession,
    viewer: User,
    settings: Settings,
    *,
    year: int | None,
    month: int | None,
    material: str | None,
    group_by: str,
) -> dict[str, Any]:
    """The utilisation report for ``GET /stats/utilisation`` and the exports."""
    check_filter(year, month)
    if group_by not in GROUP_BY:
        raise Invalid("group_by", f"must be one of {', '.join(GROUP_BY)}")
    if material is not None and await session.get(Material, material) is None:
        raise Invalid("material", f"unknown material {material!r}")
    scope = await viewer_scope(session, viewer)
    city = StatsFilter(year, month, material)
    mine = StatsFilter(year, month, material, scope)
    city_totals = await totals(session, city)
    return {
        "scope": "city" if scope is None else "organization",
        "organization_ids": None if scope is None else sorted(scope),
        "filters": {"year": year, "month": month, "material": material},
        "group_by": group_by,
        "formula": FORMULA,
        "groups": await grouped(session, mine, group_by),
        "totals": city_totals if scope is None else await totals(session, mine),
        "city": city_totals,
        "stockpile_trend": await stockpile_trend(session, mine),
        "checks": await checks(session, mine, settings),
    }
