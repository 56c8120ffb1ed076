"""The demo's year of ledgers: loaded once, all balanced, phosphogypsum at 30–60 %."""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import func, select

from market.accounts.models import User
from market.core.db import make_engine, make_sessionmaker, transaction
from market.core.settings import Settings
from market.demo.load import load_demo
from market.ledger.models import Ledger
from market.stats import utilisation as stats


async def test_demo_ledgers_are_idempotent_and_plausible(settings: Settings) -> None:
    engine = make_engine(settings)
    factory = make_sessionmaker(engine)
    try:
        async with transaction(factory) as session:
            await load_demo(session)
        async with transaction(factory) as session:
            await load_demo(session)
        async with factory() as session:
            count = (await session.exec(select(func.count()).select_from(Ledger))).one()
            assert count > 100
            regulator = User(id=0, email="r@x", password_hash="", display_name="", role="regulator")
            f = await stats.viewer_filter(session, regulator)
            report = await stats.utilisation(session, settings, f, "material")
    finally:
        await engine.dispose()
    assert report["totals"]["ledgers"] == count
    assert report["checks"]["unbalanced_count"] == 0
    pg = {g["key"]: g for g in report["groups"]}["phosphogypsum"]
    assert Decimal("30") <= Decimal(pg["utilisation_rate_pct"]) <= Decimal("60")
