"""Benchmark: top-20 demands for a supply, spatial index versus full scan.

Run ``.venv/bin/python bench/bench_matching.py``. Builds a synthetic city-scale book
(100,000 open demand requests at 20,000 sites spread over Jingmen, 8 materials), then times
``DemandBook.matches_for_supply`` and ``brute_force_matches`` for the same 200 random supplies
and checks that both return the same demands in the same order. Target: median ≤ 2 ms and at
least 50× faster than the full scan.

Then the index at a million demands (issue #14.4): built from column arrays
(:meth:`DemandColumns.from_arrays`, target ≤ 3 s) against the same demands built from Demand
objects (the old way, ``--objects-size`` of them, 1,000,000 by default, 0 to skip), and the
time one change and a hundred changes take to reach the book (:meth:`DemandBook.apply`)
with the top-20 query time before and after, and the time to merge them into new trees.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from matching.engine import DemandBook, brute_force_matches
from matching.model import Demand, Supply
from matching.scoring import DemandColumns, MatchSettings, score_demands, top_order
from matching.specs import Limit

N_DEMANDS = 100_000
N_SITES = 20_000
N_SUPPLIES = 200
N_BIG = 1_000_000
LIMIT = 20
LON = (111.9, 113.5)
LAT = (30.4, 31.6)


@dataclass(frozen=True)
class _Material:
    """Price range (CNY/t) and spec parameters as (key, is_minimum, typical, spread)."""

    name: str
    price: tuple[int, int]
    params: tuple[tuple[str, bool, float, float], ...]
    battery: bool = False


MATERIALS = (
    _Material(
        "fly_ash",
        (15, 90),
        (
            ("residue_45um", False, 20, 10),
            ("water_demand_ratio", False, 100, 8),
            ("loi", False, 5, 2),
        ),
    ),
    _Material(
        "slag_powder",
        (150, 280),
        (("specific_surface", True, 420, 60), ("activity_28d", True, 95, 8)),
    ),
    _Material(
        "phosphogypsum",
        (-40, 20),
        (("caso4_2h2o", True, 85, 5), ("free_water", False, 15, 5), ("p2o5_ws", False, 0.5, 0.3)),
    ),
    _Material("fgd_gypsum", (0, 40), (("caso4_2h2o", True, 90, 4), ("free_water", False, 10, 3))),
    _Material("steel_slag", (10, 60), (("fcao", False, 3, 1),)),
    _Material("coal_gangue", (5, 30), ()),
    _Material("tailings", (-15, 10), ()),
    _Material("battery_lfp", (6000, 12000), (), battery=True),
)


def _sites(rng: np.random.Generator, n: int) -> np.ndarray:
    return np.column_stack([rng.uniform(*LON, n), rng.uniform(*LAT, n)])


def make_demands(rng: np.random.Generator) -> list[Demand]:
    """Open requests with realistic spreads: 20–150 km haul, prices around the material's."""
    sites = _sites(rng, N_SITES)
    site_of = rng.integers(0, N_SITES, N_DEMANDS)
    org_of_site = rng.integers(1, 8000, N_SITES)
    mat_of = rng.integers(0, len(MATERIALS), N_DEMANDS)
    qty = np.round(rng.lognormal(6.5, 1.0, N_DEMANDS), 0) + 10
    out: list[Demand] = []
    for i in range(N_DEMANDS):
        m = MATERIALS[mat_of[i]]
        lo, hi = m.price
        limits = {}
        for key, is_min, typical, spread in m.params:
            if rng.random() < 0.6:
                bound = Decimal(
                    str(round(typical + rng.normal(0, spread) * (-1 if is_min else 1), 1))
                )
                limits[key] = Limit(min=bound) if is_min else Limit(max=bound)
        s = site_of[i]
        out.append(
            Demand(
                id=i + 1,
                org_id=int(org_of_site[s]),
                material=m.name,
                lon=float(sites[s, 0]),
                lat=float(sites[s, 1]),
                quantity_t=Decimal(int(qty[i])),
                max_price_cny_t=None
                if rng.random() < 0.2
                else Decimal(int(rng.uniform(lo, hi * 1.2 + 10))),
                max_haul_km=None if rng.random() < 0.1 else Decimal(int(rng.uniform(20, 150))),
                limits=limits,
                miit_listed=m.battery and bool(rng.random() < 0.3),
            )
        )
    return out


def make_supplies(rng: np.random.Generator) -> list[Supply]:
    sites = _sites(rng, N_SUPPLIES)
    out: list[Supply] = []
    for i in range(N_SUPPLIES):
        m = MATERIALS[int(rng.integers(len(MATERIALS)))]
        values = {
            key: Decimal(str(round(max(0.0, typical + rng.normal(0, spread)), 1)))
            for key, _, typical, spread in m.params
            if rng.random() < 0.9
        }
        out.append(
            Supply(
                id=i + 1,
                org_id=int(rng.integers(8000, 9000)),
                material=m.name,
                lon=float(sites[i, 0]),
                lat=float(sites[i, 1]),
                quantity_t=Decimal(int(rng.lognormal(7, 1)) + 10),
                price_cny_t=Decimal(int(rng.uniform(*m.price))),
                values=values,
                battery_recycling=m.battery and bool(rng.random() < 0.5),
            )
        )
    return out


def make_demand_columns(rng: np.random.Generator, n: int) -> DemandColumns:
    """``n`` open requests drawn as :func:`make_demands` draws them, as columns."""
    return DemandColumns.from_arrays(**draw_demand_arrays(rng, n))


def draw_demand_arrays(rng: np.random.Generator, n: int) -> dict[str, Any]:
    """``n`` open requests drawn as :func:`make_demands` draws them, but as column arrays
    (what a database query gives), at ``n // 5`` sites."""
    n_sites = max(1, n // 5)
    sites = _sites(rng, n_sites)
    site_of = rng.integers(0, n_sites, n)
    org_of_site = rng.integers(1, 8000, n_sites)
    mat_of = rng.integers(0, len(MATERIALS), n)
    lo_price = np.array([m.price[0] for m in MATERIALS], dtype=np.float64)[mat_of]
    hi_price = np.array([m.price[1] for m in MATERIALS], dtype=np.float64)[mat_of]
    max_price = np.floor(rng.uniform(lo_price, hi_price * 1.2 + 10))
    max_price[rng.random(n) < 0.2] = np.inf
    max_haul = np.floor(rng.uniform(20, 150, n))
    max_haul[rng.random(n) < 0.1] = np.nan
    lo: dict[str, np.ndarray] = {}
    hi: dict[str, np.ndarray] = {}
    for code, m in enumerate(MATERIALS):
        rows = mat_of == code
        for key, is_min, typical, spread in m.params:
            bound = np.round(typical + rng.normal(0, spread, n) * (-1 if is_min else 1), 1)
            bound[~rows | (rng.random(n) >= 0.6)] = np.nan
            side = lo if is_min else hi
            side[key] = np.where(np.isnan(bound), side.get(key, np.nan), bound)
    battery = np.array([m.battery for m in MATERIALS])[mat_of]
    return dict(
        ids=np.arange(1, n + 1),
        org_ids=org_of_site[site_of],
        materials=[m.name for m in MATERIALS],
        material_codes=mat_of,
        lons=sites[site_of, 0],
        lats=sites[site_of, 1],
        quantity=np.round(rng.lognormal(6.5, 1.0, n), 0) + 10,
        max_price=max_price,
        max_haul=max_haul,
        lo=lo,
        hi=hi,
        miit=battery & (rng.random(n) < 0.3),
    )


def _ms(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered) * 1e3, ordered[int(0.95 * (len(ordered) - 1))] * 1e3


def build_and_changes(supplies: list[Supply], objects_size: int) -> dict[str, float]:
    """Build time at :data:`N_BIG` demands from columns and from objects, and the cost of
    applying changes to the built book (issue #14.4)."""
    rng = np.random.default_rng(20261203)
    settings = MatchSettings()
    arrays = draw_demand_arrays(rng, N_BIG)
    t0 = time.perf_counter()
    cols = DemandColumns.from_arrays(**arrays)
    t1 = time.perf_counter()
    book = DemandBook(cols)
    t2 = time.perf_counter()
    build_s, columns_s = t2 - t0, t1 - t0
    del arrays
    print(
        f"DemandBook from column arrays, {N_BIG:,} demands at {N_BIG // 5:,} sites: "
        f"{build_s:.2f} s (columns {columns_s:.2f} s, {len(book.groups)} k-d trees "
        f"{t2 - t1:.2f} s); target 3 s"
    )
    out = {"build_1m_s": build_s}
    if objects_size:
        small = cols if objects_size >= N_BIG else None
        demands = (small or make_demand_columns(rng, objects_size)).demands
        a = time.perf_counter()
        DemandBook(demands)
        old_s = time.perf_counter() - a
        if small is None:
            drawn = draw_demand_arrays(np.random.default_rng(1), objects_size)
            a = time.perf_counter()
            DemandBook(DemandColumns.from_arrays(**drawn))
            new_s = time.perf_counter() - a
        else:
            new_s = build_s
        print(
            f"same build from {objects_size:,} Demand objects (the old way): {old_s:.2f} s; "
            f"from columns {new_s:.2f} s: {old_s / new_s:.1f}x faster"
        )
        out["build_objects_s"] = old_s
        del demands

    def query_ms() -> float:
        times = []
        for s in supplies:
            a = time.perf_counter()
            book.matches_for_supply(s, settings, LIMIT)
            times.append(time.perf_counter() - a)
        return _ms(times)[0]

    before = query_ms()
    changed = [
        replace(book.demand(int(r)), quantity_t=Decimal(123)) for r in rng.integers(0, N_BIG, 100)
    ]
    a = time.perf_counter()
    book.apply(changed[:1])
    one_ms = (time.perf_counter() - a) * 1e3
    a = time.perf_counter()
    book.apply(changed[1:], [int(i) for i in rng.integers(1, N_BIG, 100)])
    hundred_ms = (time.perf_counter() - a) * 1e3
    after = query_ms()
    print(
        f"changes applied to the {N_BIG:,}-demand book without a rebuild: 1 changed demand "
        f"{one_ms:.2f} ms, 99 more + 100 withdrawn {hundred_ms:.2f} ms; top-{LIMIT} median "
        f"{before:.2f} ms before, {after:.2f} ms with {book.pending} pending changes"
    )
    a = time.perf_counter()
    merged = book.compacted()
    merge_s = time.perf_counter() - a
    print(
        f"changes merged into new columns and trees in memory (compacted, {len(merged):,} "
        f"demands): {merge_s:.2f} s"
    )
    return out | {
        "apply_one_ms": one_ms,
        "apply_200_ms": hundred_ms,
        "query_after_ms": after,
        "compact_s": merge_s,
    }


def main() -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--objects-size",
        type=int,
        default=N_BIG,
        help="demands built from objects for the before figure (0: skip)",
    )
    args = parser.parse_args()
    rng = np.random.default_rng(20240601)
    t0 = time.perf_counter()
    demands = make_demands(rng)
    supplies = make_supplies(rng)
    t1 = time.perf_counter()
    book = DemandBook(demands)
    t2 = time.perf_counter()
    settings = MatchSettings()
    print(
        f"generated {N_DEMANDS:,} demands at {N_SITES:,} sites, {len(MATERIALS)} materials in {t1 - t0:.1f} s"
    )
    print(
        f"DemandBook build ({N_DEMANDS:,} demands, {len(book.groups)} material indexes): {(t2 - t1) * 1e3:.0f} ms"
    )

    for s in supplies[:10]:  # warm-up
        book.matches_for_supply(s, settings, LIMIT)
        brute_force_matches(s, book.columns, settings, LIMIT)

    fast_t: list[float] = []
    slow_t: list[float] = []
    found = 0
    for s in supplies:
        a = time.perf_counter()
        fast = book.matches_for_supply(s, settings, LIMIT)
        b = time.perf_counter()
        slow = brute_force_matches(s, book.columns, settings, LIMIT)
        c = time.perf_counter()
        if [m.demand_id for m in fast] != [m.demand_id for m in slow]:
            raise AssertionError(f"index and brute force disagree for supply {s.id}")
        found += len(fast)
        fast_t.append(b - a)
        slow_t.append(c - b)

    # Ranking alone (no Decimal Match objects): what the index itself buys.
    rank_fast: list[float] = []
    rank_slow: list[float] = []
    for s in supplies:
        a = time.perf_counter()
        book.ranked_for_supply(s, settings, LIMIT)
        b = time.perf_counter()
        scanned = score_demands(s, book.columns, None, settings)
        top_order(scanned.score, book.columns.ids[scanned.rows], LIMIT)
        c = time.perf_counter()
        rank_fast.append(b - a)
        rank_slow.append(c - b)

    med, p95 = _ms(fast_t)
    brute_med, _ = _ms(slow_t)
    speedup = brute_med / med
    print(
        f"top-{LIMIT} matches among {N_DEMANDS:,} demands at {N_SITES:,} sites "
        f"({N_SUPPLIES} supplies, {found / N_SUPPLIES:.1f} matches each): "
        f"median {med:.2f} ms, p95 {p95:.2f} ms (index); "
        f"brute force median {brute_med:.1f} ms; speed-up {speedup:.0f}x"
    )
    r_med, r_p95 = _ms(rank_fast)
    r_brute, _ = _ms(rank_slow)
    print(
        f"ranking only (no Match objects): median {r_med:.2f} ms, p95 {r_p95:.2f} ms (index); "
        f"full scan median {r_brute:.2f} ms; speed-up {r_brute / r_med:.1f}x"
    )
    print("index and brute force returned identical rankings for all supplies")
    del book, demands
    big = build_and_changes(supplies, args.objects_size)
    return big | {
        "median_ms": med,
        "p95_ms": p95,
        "brute_median_ms": brute_med,
        "speedup": speedup,
        "rank_median_ms": r_med,
        "rank_brute_median_ms": r_brute,
    }


if __name__ == "__main__":
    main()
