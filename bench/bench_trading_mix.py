"""Benchmark: the mixed trading load on PostgreSQL with 2 workers (issue #14, goal 2).

Run ``.venv/bin/python -m bench trading_mix`` (or ``make bench``). Creates a throw-away
PostgreSQL database (``MARKET_BENCH_POSTGRES_URL``, default the local server the tests use;
dropped afterwards), migrates it and loads the Jingmen demo with the real commands, starts
``market serve --workers 2`` (granian, the background pollers off) and runs 32 clients in 2
client processes (asyncio + httpx, keep-alive) for ``DURATION_S``, each request drawn at
random (fixed seed) from this mix:

* 25 % geo search of fly ash at a random centre over Jingmen (mostly nothing kept),
* 20 % one listing, 15 % the matches of a producer's own listing, 15 % the materials,
* 15 % a bid of 1 t on an open one-off fly-ash or slag lot, 10 % a buy of 1 t of one,

as the demo's six buyers (the matches as a fly-ash producer). A 409 (sold out, not lawful
for this buyer) is a refusal, not an error; an error is any 5xx or failed connection. It
prints req/s, p50 / p99 per operation and overall, and then checks the books on every listing:
delivered = Σ min(delivered, quantity) of its deals and reserved = what its active deals
still hold (what tests/demo/test_demo_trading_story.py checks), never oversold.

Goal (#14.2): ≥ 10× the issue's 56 req/s (so ≥ 560 req/s) with p99 ≤ 150 ms, 0 errors.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._postgres import scratch_database
from bench.bench_server import _login, _market, _server_env, serve

DURATION_S = 10.0
WARMUP_S = 2.0
CLIENT_PROCESSES = 2
PER_PROCESS = 16
BUYERS = (
    "gypsum_board",
    "rmc_dongbao",
    "road_city",
    "block_maker",
    "huji_mining",
    "zhongxiang_cement",
)
PRODUCER = "zhongxiang_power"
MIX = (
    ("search", 25),
    ("listing", 20),
    ("matches", 15),
    ("materials", 15),
    ("bid", 15),
    ("buy", 10),
)
#: The issue's measurement of this mix (32 clients, PostgreSQL): req/s, and the goal.
BEFORE_RPS, TARGET_FACTOR, TARGET_P99_MS = 56.0, 10.0, 150.0


@dataclass(frozen=True)
class Plan:
    base: str
    #: (token, receiving site id) of each buyer.
    buyers: tuple[tuple[str, int], ...]
    producer_token: str
    own_listing: int
    lots: tuple[tuple[int, str], ...]  # (listing id, price) open one-off fly ash / slag
    start: float
    end: float


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    errors: int = 0


async def _clients(plan: Plan, seed: int) -> Tally:
    rng = random.Random(seed)
    ops = [name for name, weight in MIX for _ in range(weight)]
    tally = Tally()
    limits = httpx.Limits(max_connections=PER_PROCESS, max_keepalive_connections=PER_PROCESS)
    async with httpx.AsyncClient(base_url=plan.base, timeout=30, limits=limits) as client:

        async def one(worker: int) -> None:
            token, site = plan.buyers[worker % len(plan.buyers)]
            buyer = {"Authorization": f"Bearer {token}"}
            producer = {"Authorization": f"Bearer {plan.producer_token}"}
            while time.time() < plan.end:
                op = rng.choice(ops)
                lot, price = rng.choice(plan.lots)
                started = time.time()
                try:
                    if op == "search":
                        params = {
                            "material": "fly_ash",
                            "lat": f"{rng.uniform(30.7, 31.3):.4f}",
                            "lon": f"{rng.uniform(111.9, 112.8):.4f}",
                            "radius_km": "50",
                        }
                        r = await client.get("/api/v1/listings", params=params, headers=buyer)
                    elif op == "listing":
                        r = await client.get(f"/api/v1/listings/{lot}", headers=buyer)
                    elif op == "matches":
                        url = f"/api/v1/listings/{plan.own_listing}/matches?limit=20"
                        r = await client.get(url, headers=producer)
                    elif op == "materials":
                        r = await client.get("/api/v1/materials", headers=buyer)
                    elif op == "bid":
                        body = {"quantity_t": "1", "price_cny_t": price, "site_id": site}
                        r = await client.post(
                            f"/api/v1/listings/{lot}/bids", json=body, headers=buyer
                        )
                    else:
                        body = {"quantity_t": "1", "site_id": site}
                        r = await client.post(
                            f"/api/v1/listings/{lot}/buy", json=body, headers=buyer
                        )
                    status = r.status_code
                except httpx.HTTPError:
                    status = 0
                done = time.time()
                if plan.start <= done <= plan.end:
                    if status == 0 or status >= 500:
                        tally.errors += 1
                    tally.statuses[(op, status)] += 1
                    tally.latencies.setdefault(op, []).append((done - started) * 1000)

        await asyncio.gather(*(one(seed * 100 + i) for i in range(PER_PROCESS)))
    return tally


def _process(plan: Plan, seed: int) -> Tally:
    return asyncio.run(_clients(plan, seed))


def _quantile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _books(url: str) -> tuple[int, list[int]]:
    """How many listings, and those whose reserved / delivered tonnes disagree with their deals."""
    from sqlmodel import select

    from market.core.db import make_engine, make_sessionmaker, transaction
    from market.core.settings import Settings
    from market.offers.models import Listing
    from market.trading.models import Deal

    engine = make_engine(Settings(database_url=url))
    try:
        async with transaction(make_sessionmaker(engine), read_only=True) as session:
            listings = list((await session.exec(select(Listing))).all())
            deals = list((await session.exec(select(Deal))).all())
    finally:
        await engine.dispose()
    wrong = []
    for listing in listings:
        mine = [d for d in deals if d.listing_id == listing.id]
        delivered = sum((min(d.delivered_t, d.quantity_t) for d in mine), Decimal(0))
        held = sum(
            (max(d.quantity_t - d.delivered_t, Decimal(0)) for d in mine if d.status == "active"),
            Decimal(0),
        )
        if (listing.delivered_t, listing.reserved_t) != (delivered, held) or (
            listing.reserved_t + listing.delivered_t > listing.quantity_t
        ):
            wrong.append(listing.id or 0)
    return len(listings), wrong


def _plan(base: str, start: float, end: float) -> Plan:
    with httpx.Client(base_url=base, timeout=30) as client:
        buyers = []
        for key in BUYERS:
            token = _login(client, key)[1]
            auth = {"Authorization": f"Bearer {token}"}
            org = client.get("/api/v1/me", headers=auth).json()["organizations"][0]["id"]
            sites = client.get(f"/api/v1/organizations/{org}/sites", headers=auth).json()
            buyers.append((token, int(sites["items"][0]["id"])))
        _, producer = _login(client, PRODUCER)
        auth = {"Authorization": f"Bearer {buyers[0][0]}"}
        lots: list[tuple[int, str]] = []
        for material in ("fly_ash", "slag"):
            page = client.get(
                "/api/v1/listings", params={"material": material, "page_size": 200}, headers=auth
            ).json()["items"]
            lots += [
                (int(x["id"]), str(x["price_cny_t"]))
                for x in page
                if x["cadence"] == "one_off" and Decimal(x["available_t"]) >= 100
            ]
        mine = client.get(
            "/api/v1/listings",
            params={"mine": "true", "material": "fly_ash", "page_size": 100},
            headers={"Authorization": f"Bearer {producer}"},
        ).json()["items"]
        own = next(int(x["id"]) for x in mine if x["status"] == "open")
    if not lots:
        raise RuntimeError("the demo has no open one-off fly-ash or slag lot of 100 t")
    return Plan(base, tuple(buyers), producer, own, tuple(lots), start, end)


def main() -> list[str]:
    lines: list[str] = []

    def say(line: str) -> None:
        lines.append(line)
        print(line, flush=True)

    with (
        tempfile.TemporaryDirectory(prefix="market-bench-mix-") as tmp,
        scratch_database("bench_mix") as url,
    ):
        if url is None:
            say("   no PostgreSQL (MARKET_BENCH_POSTGRES_URL): the mix is measured there only")
            return lines
        env = _server_env(url)
        _market(env, "db", "upgrade")
        demo = _market(env, "demo", "load").splitlines()[0].strip()
        say(f"   PostgreSQL, migrated + {demo}")
        with serve("granian", env, Path(tmp), workers=2) as server:
            now = time.time()
            plan = _plan(server.base, now + 3 + WARMUP_S, now + 3 + WARMUP_S + DURATION_S)
            with ProcessPoolExecutor(CLIENT_PROCESSES) as pool:
                futures = [pool.submit(_process, plan, seed) for seed in range(CLIENT_PROCESSES)]
                tallies = [f.result(timeout=DURATION_S + WARMUP_S + 120) for f in futures]
        n_listings, wrong = asyncio.run(_books(url))
    latencies: dict[str, list[float]] = {}
    statuses: Counter[tuple[str, int]] = Counter()
    for t in tallies:
        for op, values in t.latencies.items():
            latencies.setdefault(op, []).extend(values)
        statuses.update(t.statuses)
    errors = sum(t.errors for t in tallies)
    every = [v for values in latencies.values() for v in values]
    rps = len(every) / DURATION_S
    p99 = _quantile(every, 0.99)
    say(
        f"   {CLIENT_PROCESSES * PER_PROCESS} clients, 2 workers, {DURATION_S:g} s: {rps:,.0f} req/s, "
        f"p50 {statistics.median(every) if every else float('nan'):.1f} ms, p99 {p99:.1f} ms, "
        f"{errors} errors"
    )
    for op, _weight in MIX:
        values = latencies.get(op, [])
        codes = ", ".join(f"{code}×{n}" for (o, code), n in sorted(statuses.items()) if o == op)
        say(
            f"      {op:9} {len(values) / DURATION_S:6,.0f} req/s, p50 "
            f"{_quantile(values, 0.5):6.1f} ms, p99 {_quantile(values, 0.99):6.1f} ms  [{codes}]"
        )
    say(
        f"   books: {n_listings} listings, {len(wrong)} whose reserved/delivered tonnes disagree "
        f"with their deals{': ' + str(wrong[:10]) if wrong else ''}"
    )
    ok = rps >= BEFORE_RPS * TARGET_FACTOR and p99 <= TARGET_P99_MS and errors == 0 and not wrong
    say(
        f"   goal (≥ {BEFORE_RPS * TARGET_FACTOR:,.0f} req/s = {TARGET_FACTOR:g}× the issue's "
        f"{BEFORE_RPS:g}, p99 ≤ {TARGET_P99_MS:g} ms, 0 errors, books balanced): "
        f"{'meets' if ok else 'misses'} ({rps / BEFORE_RPS:.1f}×)"
    )
    return lines


if __name__ == "__main__":
    main()
