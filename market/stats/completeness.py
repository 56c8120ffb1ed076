"""How complete a month's figures are: ledgers filed against the ledgers expected.

A month whose ledgers are not all in yet looks like a collapse in generation and utilisation
(the "cliff" at the end of every chart). The city page marks such months instead.

**Expected.** A producer-site reports each material every month once it has started, so
the ledgers expected in a month are the (site, material) pairs, under the same filter
(material, district, park, enterprise), whose first ledger is in that month or earlier. A
month with fewer is incomplete (a producer that stopped reporting keeps being missed); the
current China-time month is marked as still open; months before anybody reported and
months after the current one are not listed.

One query over the ledgers' keys; the counting is done here, in Python, on one small tuple
per ledger.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, replace

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from market.ledger.rules import china_month, month_label
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
    """Every month of the filter's year (or of every year) from the first ledger up to now,
    oldest first; only the filter's month when it names one."""
    facts = Facts(None)
    every_month = replace(f, year=None, month=None)
    stmt = (
        sa.select(L.c.year, L.c.month, L.c.site_id, L.c.material_code)
        .select_from(L)
        .where(*facts.conditions(every_month))
        .distinct()
    )
    first: dict[tuple[int, str], tuple[int, int]] = {}
    filed: dict[tuple[int, int], int] = defaultdict(int)
    for year, month, site_id, material in (await execute_core(session, stmt)).all():
        key, ym = (int(site_id), str(material)), (int(year), int(month))
        first[key] = min(first.get(key, ym), ym)
        filed[ym] += 1
    if not first:
        return []
    starts = sorted(first.values())
    now = china_month()
    years = [f.year] if f.year is not None else list(range(starts[0][0], now[0] + 1))
    out: list[MonthCompleteness] = []
    for year in years:
        for month in range(1, 13):
            if (year, month) > now or (f.month is not None and month != f.month):
                continue
            expected = bisect_right(starts, (year, month))
            if expected == 0:
                continue
            out.append(
                MonthCompleteness(
                    year, month, filed.get((year, month), 0), expected, open=(year, month) == now
                )
            )
    return out
