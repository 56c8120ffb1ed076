"""Benchmark: geo search and matches at 100,000 open listings and 100,000 open demands (#14.3).

Run ``.venv/bin/python -m bench search [--rows N] [DATABASE_URL]``. Without a URL it makes a
temporary SQLite database (``market db upgrade``) and writes ``N`` (default 100,000) open
fly-ash listings and ``N`` open fly-ash demands spread over Jingmen (111.9–113.5° E,
30.4–31.6° N) at N/5 sites of N/50 organisations each side; with a URL (say an empty
PostgreSQL database already upgraded) it writes the same rows there.

It then times, in this process, median of 15 after a warm-up, the services the API handlers
call (no HTTP, no token look-up):

* ``GET /listings?material=fly_ash&lat&lon&radius_km`` (``search_listings`` of
  :mod:`market.offers.listings`) as a member of one buyer organisation (others' sites are
  measured from their rounded coordinates), at 10 and 30 km around Dongbao, nearest first
  and by delivered cost: how many listings the radius holds, and the time — ranked from the
  positions kept in memory (what the API does, warm) and from the database's rows;
* ``GET /listings/{id}/matches`` and ``GET /demands/{id}/matches`` (top 20) as the owner,
  with the per-process book warm (what every request after the first sees).

Goal (#14.3): geo search ≤ 20 ms and matches ≤ 10 ms in process at this size.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_match_index import _upgraded_sqlite  # noqa: E402

DONGBAO = (112.2048, 31.0335)
REPEAT = 15


async def _fill(factory: Any, n: int) -> dict[str, int]:
    """N listings and N demands (fly ash, open), their sites and organisations, two users."""
    import sqlalchemy as sa

    from market.accounts.models import Membership, Organization, Site, User
    from market.core.db import transaction
    from market.offers.models import Demand, Listing

    rng = np.random.default_rng(143)
    now = datetime.now(UTC)
    n_orgs, n_sites = max(2, n // 50), max(2, n // 5)
    async with transaction(factory) as session:
        conn = await session.connection()
        ids: dict[str, list[tuple[int, int]]] = {}
        for side, kind in (("supply", "producer"), ("demand", "consumer")):
            first = (
                await conn.execute(sa.select(sa.func.count()).select_from(Organization))
            ).scalar_one()
            orgs = [
                {
                    "name": f"bench {side} org {i}",
                    "uscc": f"9142{0 if side == 'supply' else 1}800{first + i:010d}",
                    "kind": kind,
                    "district_code": "420802",
                    "created_at": now,
                }
                for i in range(n_orgs)
            ]
            await conn.execute(sa.insert(Organization.__table__), orgs)  # type: ignore[attr-defined]
            org_ids = list(
                (
                    await conn.execute(
                        sa.select(Organization.id).where(Organization.kind == kind)  # type: ignore[arg-type]
                    )
                ).scalars()
            )
            lon = rng.uniform(111.9, 113.5, n_sites)
            lat = rng.uniform(30.4, 31.6, n_sites)
            owner = rng.integers(0, len(org_ids), n_sites)
            await conn.execute(
                sa.insert(Site.__table__),  # type: ignore[attr-defined]
                [
                    {
                        "organization_id": org_ids[int(owner[i])],
                        "name": f"{side} site {i}",
                        "lon": float(lon[i]),
                        "lat": float(lat[i]),
                        "created_at": now,
                    }
                    for i in range(n_sites)
                ],
            )
            ids[side] = [
                (int(s), int(o))
                for s, o in (
                    await conn.execute(
                        sa.select(Site.id, Site.organization_id).where(  # type: ignore[call-overload]
                            sa.column("organization_id").in_(org_ids)
                        )
                    )
                ).all()
            ]
        at = rng.integers(0, len(ids["supply"]), n)
        q = rng.integers(100, 20_000, n)
        price = rng.integers(-30, 80, n)
        await conn.execute(
            sa.insert(Listing.__table__),  # type: ignore[attr-defined]
            [
                {
                    "organization_id": ids["supply"][int(at[i])][1],
                    "site_id": ids["supply"][int(at[i])][0],
                    "material_code": "fly_ash",
                    "title": f"fly ash lot {i}",
                    "quantity_t": Decimal(int(q[i])),
                    "reserved_t": Decimal(0),
                    "delivered_t": Decimal(0),
                    "cadence": "one_off",
                    "spec": {"residue_45um_pct": str(round(10 + (i % 20), 1))},
                    "price_cny_t": Decimal(int(price[i])),
                    "status": "open",
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(n)
            ],
        )
        at = rng.integers(0, len(ids["demand"]), n)
        await conn.execute(
            sa.insert(Demand.__table__),  # type: ignore[attr-defined]
            [
                {
                    "organization_id": ids["demand"][int(at[i])][1],
                    "site_id": ids["demand"][int(at[i])][0],
                    "material_code": "fly_ash",
                    "title": "",
                    "quantity_t": Decimal(int(q[i])),
                    "cadence": "one_off",
                    "requirements": {},
                    "max_haul_km": Decimal(int(20 + (i % 100))),
                    "max_price_cny_t": None if i % 3 else Decimal(60),
                    "status": "open",
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(n)
            ],
        )
        users = {}
        for name, side in (("producer", "supply"), ("buyer", "demand")):
            await conn.execute(
                sa.insert(User.__table__),  # type: ignore[attr-defined]
                [
                    {
                        "email": f"bench-{name}@example.cn",
                        "password_hash": "-",
                        "display_name": name,
                        "role": "user",
                        "active": True,
                        "created_at": now,
                    }
                ],
            )
            uid = (
                await conn.execute(
                    sa.select(User.id).where(User.email == f"bench-{name}@example.cn")  # type: ignore[arg-type]
                )
            ).scalar_one()
            org = ids[side][0][1]
            await conn.execute(
                sa.insert(Membership.__table__),  # type: ignore[attr-defined]
                [{"user_id": uid, "organization_id": org, "role": "admin", "created_at": now}],
            )
            users[name] = uid
        listing = (
            (
                await conn.execute(
                    sa.select(Listing.id).where(Listing.organization_id == ids["supply"][0][1])  # type: ignore[arg-type]
                )
            )
            .scalars()
            .first()
        )
        demand = (
            (
                await conn.execute(
                    sa.select(Demand.id).where(Demand.organization_id == ids["demand"][0][1])  # type: ignore[arg-type]
                )
            )
            .scalars()
            .first()
        )
        assert listing is not None and demand is not None
        return users | {"listing": int(listing), "demand": int(demand)}


async def _median_ms(factory: Any, work: Any) -> tuple[float, Any]:
    from market.core.db import transaction

    async with transaction(factory) as session:
        result = await work(session)  # warm-up
    times = []
    for _ in range(REPEAT):
        async with transaction(factory) as session:
            t0 = time.perf_counter()
            result = await work(session)
            times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times), result


async def run(url: str, n: int) -> dict[str, float]:
    from market.accounts.models import User
    from market.core.db import make_engine, make_sessionmaker
    from market.core.settings import Settings
    from market.offers import listings as svc
    from market.offers import matches
    from market.offers.common import GeoFilter
    from market.offers.positions import PositionCache
    from market.offers.search import OfferQuery

    settings = Settings(database_url=url, tender_poll_seconds=0.0, webhook_poll_seconds=0.0)
    engine = make_engine(settings)
    factory = make_sessionmaker(engine)
    out: dict[str, float] = {}
    try:
        t0 = time.perf_counter()
        made = await _fill(factory, n)
        if engine.dialect.name == "postgresql":
            # What autovacuum does soon after a bulk load; before it, the planner guesses.
            async with engine.begin() as conn:  # committed: ANALYZE is transactional
                await conn.exec_driver_sql("ANALYZE")
        print(f"   {n:,} listings and {n:,} demands written in {time.perf_counter() - t0:.0f} s")
        cache = matches.BookCache(ttl=3600)

        async def user(session: Any, name: str) -> User:
            found = await session.get(User, made[name])
            assert found is not None
            return found

        positions = PositionCache(ttl=3600)
        for radius in (10.0, 30.0):
            for sort in ("nearest", "delivered"):
                per_km = svc.delivered_per_km(settings) if sort == "delivered" else None
                for path, kept in (("kept", positions), ("database", None)):

                    async def search(
                        session: Any, r: float = radius, k: Any = per_km, p: Any = kept
                    ) -> Any:
                        q = OfferQuery(
                            "fly_ash",
                            GeoFilter(*DONGBAO, r),
                            None,
                            False,
                            1,
                            20,
                            delivered_per_km=k,
                            positions=p,
                        )
                        return await svc.search_listings(session, await user(session, "buyer"), q)

                    ms, (items, total) = await _median_ms(factory, search)
                    out[f"search_{radius:.0f}km_{sort}_{path}_ms"] = ms
                    print(
                        f"   geo search {radius:.0f} km, {sort:9} ({total:,} listings in the "
                        f"radius, page of {len(items)}), {path + ' positions':18}: {ms:.1f} ms"
                    )

        async def listing_matches(session: Any) -> Any:
            q = matches.MatchQuery(limit=20, settings=settings, cache=cache)
            return await matches.listing_matches(
                session, await user(session, "producer"), made["listing"], q
            )

        async def demand_matches(session: Any) -> Any:
            q = matches.MatchQuery(limit=20, settings=settings, cache=cache)
            return await matches.demand_matches(
                session, await user(session, "buyer"), made["demand"], q
            )

        for name, work in (("listing", listing_matches), ("demand", demand_matches)):
            t0 = time.perf_counter()
            ms, found = await _median_ms(factory, work)
            out[f"{name}_matches_ms"] = ms
            print(f"   {name} matches (top {len(found)}, book warm): {ms:.1f} ms")
        verdict = (
            "meets"
            if max(v for k, v in out.items() if k.startswith("search") and "_kept_" in k) <= 20
            and max(out["listing_matches_ms"], out["demand_matches_ms"]) <= 10
            else "misses"
        )
        print(f"   goal (search ≤ 20 ms, matches ≤ 10 ms in process): {verdict}")
        return out
    finally:
        await engine.dispose()


def main() -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url", nargs="?", help="an empty, upgraded database to write into")
    parser.add_argument("--rows", type=int, default=100_000, help="listings, and demands")
    args = parser.parse_args()
    return asyncio.run(run(args.url or _upgraded_sqlite(), args.rows))


if __name__ == "__main__":
    main()
