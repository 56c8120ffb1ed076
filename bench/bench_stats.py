"""Benchmark: the city's utilisation by district for a year, at city scale, on SQLite.

Run ``.venv/bin/python bench/bench_stats.py`` (or ``make bench``). Builds a temporary SQLite
database migrated with the real migrations, then bulk-inserts (Core ``executemany``, integer
kilograms) a year of ledgers from 5,000 organisations × 12 months × 5 materials (300,000
rows) and 200,000 confirmed exchange receipts (50,000 deals), and times

* ``GET /stats/utilisation?year=…&group_by=district`` as the service computes it (grouped
  figures, totals, stockpile trend, unbalanced-ledger and orphan-receipt checks), and
* the grouped query alone.

Everything is drawn from one ``random.Random`` seed, so the sizes and figures repeat.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from market.accounts.models import User
from market.catalogue.sync import sync_catalogue
from market.core.db import make_engine, make_sessionmaker, transaction
from market.core.migrate import upgrade
from market.core.settings import Settings
from market.stats import utilisation as stats

N_ORGS = 5_000
MONTHS = 12
MATERIALS = ("phosphogypsum", "fly_ash", "ggbs", "fgd_gypsum", "steel_slag")
N_RECEIPTS = 200_000
SHIPMENTS_PER_DEAL = 4
YEAR = 2025
DISTRICTS = ("420802", "420804", "420822", "420881", "420882")
PARKS = ("P-JMCIRC", "P-ZXHUJI", "P-SYCHEM", None, None, None)
CHUNK = 20_000
SEED = 6


def _t(dt: datetime) -> str:
    """SQLite's stored form of a UTC timestamp (what SQLAlchemy writes)."""
    return dt.strftime("%Y-%m-%d %H:%M:%S.%f")


def _table(name: str, *cols: str) -> sa.TableClause:
    """Untyped columns: values go to the driver as given (kg integers), no per-row Python."""
    return sa.table(name, *(sa.column(c) for c in cols))


async def _insert(conn: Any, table: sa.TableClause, rows: list[dict[str, Any]]) -> None:
    for i in range(0, len(rows), CHUNK):
        await conn.execute(table.insert(), rows[i : i + CHUNK])


async def build(settings: Settings) -> dict[str, int]:
    rnd = random.Random(SEED)
    engine = make_engine(settings)
    now = _t(datetime.now(UTC))
    async with transaction(make_sessionmaker(engine)) as session:
        await sync_catalogue(session)
    async with engine.begin() as conn:
        await conn.execute(
            _table(
                "users",
                "id",
                "email",
                "password_hash",
                "display_name",
                "role",
                "active",
                "created_at",
            ).insert(),
            [
                dict(
                    id=1,
                    email="bench@example.cn",
                    password_hash="x",
                    display_name="bench",
                    role="regulator",
                    active=True,
                    created_at=now,
                )
            ],
        )
        orgs = [
            dict(
                id=i,
                name=f"企业{i}",
                uscc=f"BENCH{i:013d}",
                kind="producer",
                district_code=DISTRICTS[i % 5],
                miit_listed=False,
                created_at=now,
            )
            for i in range(1, N_ORGS + 1)
        ]
        await _insert(conn, _table("organizations", *orgs[0]), orgs)
        sites = [
            dict(
                id=i,
                organization_id=i,
                name=f"厂区{i}",
                address="荆门市",
                lon=112.0 + rnd.random() * 1.2,
                lat=30.6 + rnd.random() * 0.8,
                district_code=DISTRICTS[i % 5],
                park_code=PARKS[i % len(PARKS)],
                created_at=now,
            )
            for i in range(1, N_ORGS + 1)
        ]
        await _insert(conn, _table("sites", *sites[0]), sites)
        ledgers = []
        for org in range(1, N_ORGS + 1):
            for month in range(1, MONTHS + 1):
                for material in MATERIALS:
                    gen = rnd.randint(100_000, 5_000_000)  # kg
                    used = gen * rnd.randint(20, 60) // 100
                    ledgers.append(
                        dict(
                            organization_id=org,
                            site_id=org,
                            material_code=material,
                            year=YEAR,
                            month=month,
                            generated_t=gen,
                            stored_t=gen - used,
                            disposed_t=0,
                            disposed_from_stockpile_t=0,
                            used_inhouse_t=used,
                            shipped_outside_exchange_t=0,
                            utilised_from_stockpile_t=0,
                            dumped_t=0,
                            note="",
                            reported_by_user_id=1,
                            created_at=now,
                            updated_at=now,
                        )
                    )
        await _insert(conn, _table("ledgers", *ledgers[0]), ledgers)
        listings = [
            dict(
                id=k + 1,
                organization_id=org,
                site_id=org,
                material_code=material,
                title="",
                quantity_t=10**9,
                cadence="monthly",
                reserved_t=0,
                delivered_t=0,
                spec="{}",
                price_cny_t=0,
                status="open",
                created_at=now,
                updated_at=now,
            )
            for k, (org, material) in enumerate(
                (o, m) for o in range(1, N_ORGS + 1) for m in MATERIALS
            )
        ]
        await _insert(conn, _table("listings", *listings[0]), listings)
        n_deals = N_RECEIPTS // SHIPMENTS_PER_DEAL
        deals = []
        for d in range(1, n_deals + 1):
            lst = listings[rnd.randrange(len(listings))]
            buyer = rnd.randint(1, N_ORGS)
            deals.append(
                dict(
                    id=d,
                    listing_id=lst["id"],
                    seller_org_id=lst["organization_id"],
                    buyer_org_id=buyer,
                    seller_site_id=lst["site_id"],
                    buyer_site_id=buyer,
                    material_code=lst["material_code"],
                    use="clinker_substitute",
                    quantity_t=400_000,
                    price_cny_t=0,
                    delivered_t=0,
                    terms="{}",
                    status="active",
                    created_at=now,
                )
            )
        await _insert(conn, _table("deals", *deals[0]), deals)
        start = datetime(YEAR, 1, 1, tzinfo=UTC) - timedelta(hours=8)
        shipments = []
        for s in range(1, N_RECEIPTS + 1):
            at = start + timedelta(minutes=rnd.randrange(365 * 24 * 60))
            shipments.append(
                dict(
                    id=s,
                    deal_id=(s - 1) // SHIPMENTS_PER_DEAL + 1,
                    vehicle_plate="鄂H00000",
                    carrier="bench",
                    dispatched_t=30_000,
                    dispatched_at=_t(at),
                    received_t=rnd.randint(29_500, 30_000),
                    received_at=_t(at),
                    status="received",
                    overdue=False,
                    due_at=_t(at),
                    dispatched_by_user_id=1,
                    created_at=now,
                )
            )
        await _insert(conn, _table("shipments", *shipments[0]), shipments)
    await engine.dispose()
    return {
        "organisations": N_ORGS,
        "ledgers": len(ledgers),
        "deals": len(deals),
        "receipts": len(shipments),
    }


async def timed(fn: Callable[[], Awaitable[Any]], repeats: int = 3) -> tuple[list[float], Any]:
    times, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = await fn()
        times.append(time.perf_counter() - started)
    return times, result


async def measure(settings: Settings) -> None:
    engine = make_engine(settings)
    factory = make_sessionmaker(engine)
    regulator = User(
        id=1, email="bench@example.cn", password_hash="x", display_name="b", role="regulator"
    )

    async def report() -> Any:
        async with factory() as session:
            f = await stats.viewer_filter(session, regulator, YEAR)
            return await stats.utilisation(session, settings, f, "district")

    async def grouped() -> Any:
        async with factory() as session:
            return await stats.grouped(session, stats.StatsFilter(year=YEAR), "district")

    full_times, result = await timed(report)
    group_times, _ = await timed(grouped)
    await engine.dispose()
    print(
        f"   utilisation report by district: best {min(full_times):.2f} s, "
        f"median {statistics.median(full_times):.2f} s (3 runs)"
    )
    print(
        f"   grouped query alone:            best {min(group_times):.2f} s, "
        f"median {statistics.median(group_times):.2f} s"
    )
    t = result["totals"]
    print(
        f"   city {YEAR}: generated {t['generated_t']} t, utilised {t['utilised_t']} t "
        f"(exchange {t['exchange_received_t']} t), rate {t['utilisation_rate_pct']} %; "
        f"{len(result['groups'])} districts; {result['checks']['unbalanced_count']} ledgers "
        "flagged (receipts on top of balanced in-house figures: expected)"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.sqlite3"
        settings = Settings(database_url=f"sqlite+aiosqlite:///{path}", env="test")
        started = time.perf_counter()
        upgrade(settings.database_url)
        sizes = asyncio.run(build(settings))
        built = time.perf_counter() - started
        mb = sum(p.stat().st_size for p in Path(tmp).iterdir()) / 1e6
        print(
            "   sizes: "
            + ", ".join(f"{v:,} {k}" for k, v in sizes.items())
            + f"; database {mb:.0f} MB (built in {built:.1f} s)"
        )
        asyncio.run(measure(settings))


if __name__ == "__main__":
    main()
