"""Issue #14.5: the statistics read receipt tonnes per origin site, material and China-time
month from ``receipt_months``, kept by each receipt and settlement; those rows must be the
sums of the receipts themselves, and migration 0018 must fill them from receipts made before."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from market.core.migrate import downgrade, upgrade
from market.core.settings import Settings
from market.trading.receipts import execute_core, receipt_months, received_by_origin_month
from tests.city import City
from tests.trading.helpers import in_db

Key = tuple[int, str, int, int]


async def _kept(session: AsyncSession) -> dict[Key, Decimal]:
    r = receipt_months
    rows = (await execute_core(session, sa.select(r))).all()
    return {(s, m, y, mo): t for s, m, y, mo, t in rows}


async def _summed(session: AsyncSession) -> dict[Key, Decimal]:
    r = received_by_origin_month(session.get_bind().dialect.name)
    stmt = sa.select(r.c.origin_site_id, r.c.material_code, r.c.year, r.c.month, r.c.received_t)
    return {(s, m, y, mo): t for s, m, y, mo, t in (await execute_core(session, stmt)).all()}


async def test_kept_receipt_months_are_the_receipts_sums_and_the_migration_fills_them(
    city: City, settings: Settings, client: Any
) -> None:
    kept = await in_db(settings, _kept)
    assert kept == await in_db(settings, _summed)
    site_a = city.site["a"]["id"]
    # 300 t on 10 March; 100 t at 17:00 UTC on 31 March is 1 April in China, with 150 t on
    # the 15th: April's row holds both.
    assert kept[(site_a, "phosphogypsum", 2025, 3)] == Decimal("300")
    assert kept[(site_a, "phosphogypsum", 2025, 4)] == Decimal("250")
    assert kept[(city.site["b"]["id"], "fly_ash", 2025, 3)] == Decimal("200.5")

    # From the receipts already confirmed, as a database migrated before 0018 is.
    await asyncio.to_thread(downgrade, settings.database_url, "0017")
    await asyncio.to_thread(upgrade, settings.database_url)
    assert await in_db(settings, _kept) == kept
