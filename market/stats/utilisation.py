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

from market.core.errors import Invalid
from market.core.settings import Settings
from market.ledger.rules import check_filter
from market.stats.checks import checks
from market.stats.facts import FORMULA
from market.stats.filters import StatsFilter, viewer_filter, viewer_scope
from market.stats.grouping import (
    GROUP_BY,
    grouped,
    grouped_with_totals,
    stockpile_trend,
    totals,
)

#: What pages, tests and benches import from here; the parts live in filters, facts,
#: grouping and checks.
__all__ = [
    "GROUP_BY",
    "StatsFilter",
    "check_filter",
    "grouped",
    "totals",
    "utilisation",
    "viewer_filter",
    "viewer_scope",
]


async def utilisation(
    session: AsyncSession, settings: Settings, f: StatsFilter, group_by: str
) -> dict[str, Any]:
    """The utilisation report for ``GET /stats/utilisation`` and the exports.

    ``f`` is the viewer's filter (:func:`viewer_filter`): the groups, trend and checks are
    theirs, the ``city`` totals everybody's.
    """
    if group_by not in GROUP_BY:
        raise Invalid("group_by", f"must be one of {', '.join(GROUP_BY)}")
    groups, mine, counted = await grouped_with_totals(session, f, group_by, settings)
    return {
        "scope": f.scope,
        "organization_ids": None if f.org_ids is None else sorted(f.org_ids),
        "filters": f.period(),
        "group_by": group_by,
        "formula": FORMULA,
        "groups": groups,
        "totals": mine,
        "city": mine if f.org_ids is None else await totals(session, f.city),
        "stockpile_trend": await stockpile_trend(session, f),
        "checks": await checks(session, f, settings, counted),
    }
