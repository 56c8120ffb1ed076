"""A year of monthly ledgers for the demo producers, so the city dashboard has figures.

For every demo organisation's site and each material it lists there, twelve months ending
with the month before the demo's "today" (``DEMO_TODAY``; months the real clock has not
reached are skipped). One ``random.Random`` seed drives the draws, so figures repeat.

Plausibility (DOMAIN.md §3): phosphogypsum producers use 30–60 % of their output (Hubei
2020: 29 %, the 石桥驿 example 53.7 %), drawing a little on old stockpiles in some months;
fly ash, slag and the other streams 55–90 %. The rest is stored. Every ledger balances,
counting any exchange receipts that already exist for that site-month (they reduce the
in-house figure, never double-count). Idempotent: a (site, material) that already has
ledgers is left alone.
"""

from __future__ import annotations

import random
from decimal import Decimal

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from market.accounts.models import Organization
from market.demo.seed import DEMO_TODAY, build_demo
from market.ledger.models import Ledger
from market.ledger.service import china_month, received_for
from market.offers.models import Listing

SEED = 20261124
#: Monthly output per site (t), low–high: phosphate plants make tens of kilotonnes of
#: phosphogypsum a month, batteries and waste oil arrive in tens of tonnes.
MONTHLY_T: dict[str, tuple[int, int]] = {
    "phosphogypsum": (20_000, 80_000),
    "fly_ash": (5_000, 30_000),
    "fgd_gypsum": (2_000, 10_000),
    "furnace_slag": (1_000, 8_000),
    "ggbs": (5_000, 20_000),
    "steel_slag": (3_000, 15_000),
    "phosphorus_slag": (5_000, 20_000),
}
SMALL_T = (20, 500)
_KG = Decimal("0.001")


def demo_months() -> list[tuple[int, int]]:
    """The twelve months before DEMO_TODAY's month, without any the clock has not reached."""
    months = []
    y, m = DEMO_TODAY.year, DEMO_TODAY.month
    for _ in range(12):
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
        months.append((y, m))
    now = china_month()
    return [ym for ym in reversed(months) if ym <= now]


async def load_demo_ledgers(session: AsyncSession) -> int:
    """Add the demo ledgers; returns how many rows were added."""
    rnd = random.Random(SEED)
    usccs = [o.uscc for o in build_demo().orgs if o.kind == "producer"]
    stmt = (
        select(Listing.organization_id, Listing.site_id, Listing.material_code)
        .join(Organization, col(Organization.id) == col(Listing.organization_id))
        .where(col(Organization.uscc).in_(usccs))
        .distinct()
        .order_by(col(Listing.site_id), col(Listing.material_code))
    )
    pairs = (await session.exec(stmt)).all()
    have = {
        (s, m) for s, m in (await session.exec(select(Ledger.site_id, Ledger.material_code))).all()
    }
    months = demo_months()
    keys = [(s, m, y, mo) for _, s, m in pairs for y, mo in months]
    received = await received_for(session, keys)
    added = 0
    for org_id, site_id, material in pairs:
        base = Decimal(rnd.randint(*MONTHLY_T.get(material, SMALL_T)))
        phospho = material == "phosphogypsum"
        for y, mo in months:
            rate = Decimal(rnd.randint(30, 60) if phospho else rnd.randint(55, 90)) / 100
            generated = (base * Decimal(rnd.randint(85, 115)) / 100).quantize(_KG)
            from_stock = (
                (generated * Decimal("0.05")).quantize(_KG) if phospho and mo % 4 == 0 else 0
            )
            utilised = ((generated + from_stock) * rate).quantize(_KG)
            exchange = received.get((site_id, material, y, mo), Decimal(0))
            inhouse = max(utilised - exchange, Decimal(0))
            # generated = (utilised − from stock) + stored  →  stored = the rest.
            stored = generated - (inhouse + exchange - from_stock)
            if (site_id, material) in have or stored < 0:
                continue
            session.add(
                Ledger(
                    organization_id=org_id,
                    site_id=site_id,
                    material_code=material,
                    year=y,
                    month=mo,
                    generated_t=generated,
                    stored_t=stored,
                    disposed_t=Decimal(0),
                    disposed_from_stockpile_t=Decimal(0),
                    used_inhouse_t=inhouse,
                    shipped_outside_exchange_t=Decimal(0),
                    utilised_from_stockpile_t=Decimal(from_stock),
                    dumped_t=Decimal(0),
                    note="demo",
                )
            )
            added += 1
    await session.flush()
    return added
