"""How complete a month's figures are: ledgers filed against the ledgers expected.

A month whose ledgers are not all in yet looks like a collapse in generation and utilisation
(the "cliff" at the end of every chart). The city page marks such months instead.

**Expected.** A producer-site reports each material every month once it reports it at all,
so the reporters expected in a month are the (site, material) pairs that filed a ledger in
*any* month of that year under the same filter (material, district, park, enterprise). A
month before the current China-time month with fewer ledgers than that is incomplete; the
current month is always marked as still open. Months after it are not listed.

One query over the ledgers' keys; the counting is done here, in Python, on at most
(pairs × 12) small tuples per year.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from market.ledger.rules import china_month, month_label
from market.ledger.service import dialect_name
from market.stats.facts import Facts, L
from market.stats.filters import StatsFilter
from market.trading.receipts import execute_core


@dataclass(frozen=True)
class MonthCompleteness:
    year: int
    month: int
    filed: int
    expected: int
    #: The current month: ledgers are still being filed whatever the count says.
    open: bool

    @property
    def label(self) -> str:
        return month_label(self.year, self.month)

    @property
    def complete(self) -> bool:
        return not self.open and self.filed >= self.expected

    @property
    def missing(self) -> int:
        return max(self.expected - self.filed, 0)


async def completeness(session: AsyncSession, f: StatsFilter) -> list[MonthCompleteness]:
    """Every month of the filter's year(s) up to now, oldest first (only the filter's month
    when it names one); years without a single ledger are left out."""
    facts = Facts(dialect_name(session), f.year)
    whole_year = replace(f, month=None)
    stmt = (
        sa.select(L.c.year, L.c.month, L.c.site_id, L.c.material_code)
        .select_from(L)
        .where(*facts.conditions(whole_year))
        .distinct()
    )
    reporters: dict[int, set[tuple[int, str]]] = defaultdict(set)
    filed: dict[tuple[int, int], int] = defaultdict(int)
    for year, month, site_id, material in (await execute_core(session, stmt)).all():
        reporters[int(year)].add((int(site_id), str(material)))
        filed[(int(year), int(month))] += 1
    now = china_month()
    out: list[MonthCompleteness] = []
    for year in sorted(reporters):
        for month in range(1, 13):
            if (year, month) > now or (f.month is not None and month != f.month):
                continue
            out.append(
                MonthCompleteness(
                    year,
                    month,
                    filed.get((year, month), 0),
                    len(reporters[year]),
                    open=(year, month) == now,
                )
            )
    return out
