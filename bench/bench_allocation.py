"""Benchmark: city-wide allocation of one material (issue #13).

Run ``.venv/bin/python -m bench allocation``. Synthetic Jingmen-sized instances: N supplies
and N demands of fly ash spread over the city, every demand accepting lots within 30 km
straight-line (39 road km at circuity 1.3), a third with a price cap. Times the whole
:func:`~matching.allocation.allocate` (pair generation + the network simplex of
:mod:`matching.network_simplex`), median of 3, at 500, 2,000 and 5,000 per side; times
OR-Tools' cost-scaling min-cost flow on the same pairs (the ratio of the two in the same run)
and checks that both, and the HiGHS LP cross-check up to 2,000 per side, move the same kg at
the same cost. Target: median ≤ 1 s at 2,000 per side (the previous two-LP solver took 158 s).

Then, at 2,000 per side, the longest stall of an event loop ticking every 5 ms while one
allocation runs in the loop's own thread (pairs and solve hold it) and while it runs in the
worker process the API and pages use (:mod:`market.stats.allocation_worker`): the time
of each and the same tonnes and cost.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from matching.allocation import Allocation, allocate, allocation_pairs, solve_pairs
from matching.model import Demand, Supply
from matching.scoring import MatchSettings

SIZES = (500, 2_000, 5_000)
REPEAT = 3
TARGET_S = 1.0
LON = (111.9, 113.5)
LAT = (30.4, 31.6)


def city(n: int, seed: int = 13) -> tuple[list[Supply], list[Demand]]:
    rng = np.random.default_rng(seed)
    lon = rng.uniform(*LON, 2 * n)
    lat = rng.uniform(*LAT, 2 * n)
    q = rng.integers(1_000, 2_000_000, 2 * n)  # kg
    price = rng.integers(-3_000, 8_000, n)  # fen/t
    cap = rng.integers(20, 120, n)
    supplies = [
        Supply(
            i,
            i,
            "fly_ash",
            float(lon[i]),
            float(lat[i]),
            D(int(q[i])) / 1000,
            D(int(price[i])) / 100,
        )
        for i in range(n)
    ]
    demands = [
        Demand(
            i,
            n + i,
            "fly_ash",
            float(lon[n + i]),
            float(lat[n + i]),
            quantity_t=D(int(q[n + i])) / 1000,
            max_haul_km=D(39),
            max_price_cny_t=D(int(cap[i])) if i % 3 == 0 else None,
        )
        for i in range(n)
    ]
    return supplies, demands


async def _stall(run: Any) -> tuple[float, float, Allocation]:
    """Seconds of ``run()`` and the longest gap of a 5 ms ticker meanwhile."""
    stop, gaps = asyncio.Event(), [0.0]

    async def tick() -> None:
        last = time.perf_counter()
        while not stop.is_set():
            await asyncio.sleep(0.005)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    ticker = asyncio.create_task(tick())
    await asyncio.sleep(0.02)
    t0 = time.perf_counter()
    plan = await run()
    took = time.perf_counter() - t0
    stop.set()
    await ticker
    return took, max(gaps), plan


async def _worker_vs_loop(n: int) -> None:
    from market.stats import allocation_worker

    supplies, demands = city(n)
    ms = MatchSettings()

    async def here() -> Allocation:
        return allocate(supplies, demands, ms)

    async def there() -> Allocation:
        return await allocation_worker.allocate_off_loop(supplies, demands, ms, {}, 60)

    try:
        await there()  # spawn and import once, as the first request after start-up does
        for label, run in (("in the loop's thread", here), ("in the worker process", there)):
            took, stall, plan = await _stall(run)
            print(
                f"   {n:>5} × {n:<5} {label}: {took:.3f} s, longest loop stall "
                f"{stall * 1000:.0f} ms, {plan.tonnes_allocated:,.0f} t, "
                f"{plan.total_cost_cny:,.2f} CNY",
                flush=True,
            )
    finally:
        allocation_worker.shutdown()


def main() -> None:
    medians: dict[int, float] = {}
    # Load (or compile, the first time) the simplex before timing.
    allocate(*city(50), solver="simplex")
    for n in SIZES:
        supplies, demands = city(n)
        times = []
        for _ in range(REPEAT):
            t0 = time.perf_counter()
            plan = allocate(supplies, demands)
            times.append(time.perf_counter() - t0)
        medians[n] = statistics.median(times)
        t0 = time.perf_counter()
        pairs = allocation_pairs(supplies, demands)
        t_pairs = time.perf_counter() - t0
        t0 = time.perf_counter()
        flow = solve_pairs(pairs, "simplex")
        t_flow = time.perf_counter() - t0
        t0 = time.perf_counter()
        ortools = solve_pairs(pairs, "ortools")
        t_ortools = time.perf_counter() - t0
        line = (
            f"   {n:>5} × {n:<5} pairs {len(pairs):>8,}  allocate median {medians[n]:.3f} s "
            f"(pairs {t_pairs:.3f} s, network simplex {t_flow:.3f} s)  moved "
            f"{plan.tonnes_allocated:,.0f} t of {sum(s.quantity_t for s in supplies):,.0f} t, "
            f"cost {plan.total_cost_cny:,.2f} CNY"
        )
        print(line, flush=True)
        same = int(ortools.sum()) == int(flow.sum()) and int(ortools @ pairs.cost_fen_t) == int(
            flow @ pairs.cost_fen_t
        )
        print(
            f"          OR-Tools cost scaling {t_ortools:.3f} s = {t_ortools / t_flow:.1f}× the "
            f"simplex; same kg and cost: {same}",
            flush=True,
        )
        if not same:
            raise SystemExit("the network simplex differs from OR-Tools")
        if n <= 2_000:
            t0 = time.perf_counter()
            lp = solve_pairs(pairs, "lp")
            t_lp = time.perf_counter() - t0
            same_kg = int(lp.sum()) == int(flow.sum())
            same_cost = int(lp @ pairs.cost_fen_t) == int(flow @ pairs.cost_fen_t)
            print(
                f"          HiGHS cross-check {t_lp:.2f} s: same kg {same_kg}, "
                f"same cost {same_cost} ({int(flow @ pairs.cost_fen_t)} fen·kg/t)",
                flush=True,
            )
            if not (same_kg and same_cost):
                raise SystemExit("allocation differs from the LP cross-check")
    verdict = "OK" if medians[2_000] <= TARGET_S else "SLOW"
    print(f"   target median ≤ {TARGET_S:.0f} s at 2,000 per side: {verdict}")
    asyncio.run(_worker_vs_loop(2_000))


if __name__ == "__main__":
    main()
