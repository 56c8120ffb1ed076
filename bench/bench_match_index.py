"""Benchmark: the service's match index on a database, built whole and kept current (#14.4).

Run ``.venv/bin/python -m bench match_index [--demands N] [DATABASE_URL]``. Without a URL it
makes a temporary SQLite database (``market db upgrade``) and writes ``N`` (default 50,000)
open fly-ash demands at N/5 sites of N/50 organisations into it, half with limits of their
own and a fifth with a grade preset. It then times, in this process:

* the whole demand book built from the selected columns (what :class:`BookCache` does) against
  the old build from ORM rows and a Demand object per row, in the same run;
* one changed, one new and one withdrawn demand reaching a warm cache at its next request
  (version query, the changed rows, :meth:`DemandBook.apply`), checking it did not rebuild.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _upgraded_sqlite() -> str:
    url = f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp()) / 'index.sqlite3'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARKET_")}
    env["MARKET_DATABASE_URL"] = url
    subprocess.run(
        [sys.executable, "-m", "market.cli", "db", "upgrade"],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return url


async def _fill(factory: object, n: int) -> None:
    import sqlalchemy as sa

    from market.accounts.models import Organization, Site
    from market.core.db import transaction
    from market.offers.models import Demand

    rng = np.random.default_rng(14)
    n_orgs, n_sites = max(1, n // 50), max(1, n // 5)
    now = datetime.now(UTC)
    orgs = [
        {
            "name": f"bench org {i}",
            "uscc": f"91420800{i:010d}",
            "kind": "consumer",
            "district_code": "420802",
            "created_at": now,
        }
        for i in range(n_orgs)
    ]
    async with transaction(factory) as session:  # type: ignore[arg-type]
        conn = await session.connection()
        await conn.execute(sa.insert(Organization.__table__), orgs)  # type: ignore[attr-defined]
        org_ids = list((await conn.execute(sa.select(Organization.id))).scalars())  # type: ignore[call-overload]
        lon = rng.uniform(111.9, 113.5, n_sites)
        lat = rng.uniform(30.4, 31.6, n_sites)
        site_org = rng.integers(0, len(org_ids), n_sites)
        sites = [
            {
                "organization_id": org_ids[int(site_org[i])],
                "name": f"site {i}",
                "lon": float(lon[i]),
                "lat": float(lat[i]),
                "created_at": now,
            }
            for i in range(n_sites)
        ]
        await conn.execute(sa.insert(Site.__table__), sites)  # type: ignore[attr-defined]
        site_rows = (await conn.execute(sa.select(Site.id, Site.organization_id))).all()  # type: ignore[call-overload]
        at = rng.integers(0, len(site_rows), n)
        demands = []
        for i in range(n):
            site_id, org_id = site_rows[int(at[i])]
            r = float(rng.random())
            requirements = (
                {"residue_45um_pct": {"min": None, "max": str(round(15 + 15 * r, 1))}}
                if r < 0.5
                else {}
            )
            demands.append(
                {
                    "organization_id": org_id,
                    "site_id": site_id,
                    "material_code": "fly_ash",
                    "title": "",
                    "quantity_t": Decimal(int(100 + 5000 * r)),
                    "cadence": "one_off",
                    "requirements": requirements,
                    "grade_key": "gbt1596_f_ii_concrete" if r > 0.8 else None,
                    "max_haul_km": None if r < 0.1 else Decimal(int(20 + 130 * r)),
                    "max_price_cny_t": None if r < 0.2 else Decimal(int(15 + 80 * r)),
                    "status": "open",
                    "created_at": now,
                    "updated_at": now,
                }
            )
        await conn.execute(sa.insert(Demand.__table__), demands)  # type: ignore[attr-defined]


async def run(url: str, n: int | None) -> dict[str, float]:
    import sqlalchemy as sa

    from market.core.db import make_engine, make_sessionmaker, transaction
    from market.core.settings import Settings
    from market.offers.matches import BookCache, _demand_objects
    from market.offers.models import Demand
    from matching.engine import DemandBook

    settings = Settings(database_url=url, tender_poll_seconds=0.0, webhook_poll_seconds=0.0)
    engine = make_engine(settings)
    factory = make_sessionmaker(engine)
    try:
        if n:
            await _fill(factory, n)
        cache = BookCache(ttl=3600)
        async with transaction(factory) as session:
            t0 = time.perf_counter()
            book = await cache.demand_book(session, "fly_ash")
            new_s = time.perf_counter() - t0
        async with transaction(factory) as session:
            t0 = time.perf_counter()
            DemandBook(await _demand_objects(session, "fly_ash", rounded=True))
            old_s = time.perf_counter() - t0
        size = len(book)
        print(
            f"demand book of {size:,} open demands from the database: from selected columns "
            f"{new_s:.2f} s; from ORM rows and Demand objects (the old way) {old_s:.2f} s "
            f"({old_s / new_s:.1f}x)"
        )
        table = Demand.__table__  # type: ignore[attr-defined]
        ids = sorted(int(i) for i in book.columns.ids[:2])
        async with transaction(factory) as session:
            conn = await session.connection()
            now = datetime.now(UTC)
            await conn.execute(
                sa.update(table)
                .where(table.c.id == ids[0])
                .values(quantity_t=Decimal(4321), updated_at=now)
            )
            await conn.execute(
                sa.update(table)
                .where(table.c.id == ids[1])
                .values(status="withdrawn", updated_at=now)
            )
            row = (await conn.execute(sa.select(table).where(table.c.id == ids[0]))).one()
            values = {k: v for k, v in row._mapping.items() if k != "id"}
            await conn.execute(sa.insert(table), [values | {"updated_at": now}])
        async with transaction(factory) as session:
            t0 = time.perf_counter()
            book = await cache.demand_book(session, "fly_ash")
            update_ms = (time.perf_counter() - t0) * 1e3
        async with transaction(factory) as session:
            t0 = time.perf_counter()
            await cache.demand_book(session, "fly_ash")
            same_ms = (time.perf_counter() - t0) * 1e3
        assert (cache.builds, cache.updates) == (1, 1), (cache.builds, cache.updates)
        assert len(book) == size, (len(book), size)
        print(
            f"a changed, a new and a withdrawn demand reach the warm {size:,}-demand book at the "
            f"next request in {update_ms:.1f} ms (version query, changed rows, apply; no "
            f"rebuild); a request with nothing changed {same_ms:.1f} ms"
        )
        return {"build_s": new_s, "build_objects_s": old_s, "update_ms": update_ms}
    finally:
        await engine.dispose()


def main() -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url", nargs="?", help="a database already holding the demands")
    parser.add_argument("--demands", type=int, default=50_000, help="demands to write")
    args = parser.parse_args()
    url = args.url or _upgraded_sqlite()
    return asyncio.run(run(url, None if args.url else args.demands))


if __name__ == "__main__":
    main()
