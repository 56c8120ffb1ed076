"""Throughput of the bulk geodata paths: datum conversion and district attribution.

Bulk imports convert every pasted coordinate from GCJ-02 and attribute it to a district, so
these two paths bound how fast an import or a re-attribution after a boundary update runs.
Run as ``.venv/bin/python bench/bench_geodata.py``; importable, with :func:`main`.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import shapely

from geodata.datums import gcj02_to_wgs84_array
from geodata.regions import (
    RegionIndex,
    regions_from_geojson,
    schematic_envelope,
    schematic_regions,
)

DATAV_FILE = "jingmen_420800_datav.geojson"


def best_and_median(fn: Callable[[], object], repeats: int = 3) -> tuple[float, float]:
    """Best and median wall time of ``repeats`` runs (best is the least noisy figure)."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times), statistics.median(times)


def _report(name: str, n: int, best: float, median: float) -> str:
    rate = n / best / 1e6 if best > 0 else float("inf")
    return f"{name}: {n:,} points in {best:.2f} s ({rate:.1f} M points/s; median {median:.2f} s)"


def bench_gcj02_to_wgs84(n: int, repeats: int, seed: int = 1) -> str:
    """Vectorised GCJ-02 → WGS84 over ``n`` points spread over Jingmen."""
    rng = np.random.default_rng(seed)
    lons = rng.uniform(111.9, 113.5, n)
    lats = rng.uniform(30.4, 31.6, n)
    best, median = best_and_median(lambda: gcj02_to_wgs84_array(lons, lats), repeats)
    return _report("gcj02->wgs84", n, best, median)


def bench_locate_many(n: int, repeats: int, seed: int = 2) -> str:
    """District and park attribution of ``n`` random points inside the city envelope."""
    index = RegionIndex(schematic_regions())
    lons, lats = random_points_in_envelope(n, seed)
    best, median = best_and_median(lambda: index.locate_many(lons, lats), repeats)
    districts, parks = index.locate_many(lons, lats)
    inside = sum(d is not None for d in districts)
    in_park = sum(p is not None for p in parks)
    return (
        _report("locate_many (schematic)", n, best, median)
        + f"; {inside:,} in a district, {in_park:,} in a park"
    )


def bench_locate_many_datav(n: int, repeats: int, seed: int = 3) -> str | None:
    """The same against the detailed DataV boundaries, when the shared file is present."""
    path = Path(__file__).resolve().parents[1] / ".." / "shared" / "geo" / DATAV_FILE
    if not path.is_file():
        return None
    index = RegionIndex(regions_from_geojson(path.read_text("utf-8"), "district", repair=True))
    lons, lats = random_points_in_envelope(n, seed)
    best, median = best_and_median(lambda: index.locate_many(lons, lats), repeats)
    return _report("locate_many (DataV)", n, best, median)


def random_points_in_envelope(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` uniform random WGS84 points inside the schematic city outline."""
    envelope = schematic_envelope()
    minx, miny, maxx, maxy = envelope.bounds
    rng = np.random.default_rng(seed)
    lons: list[np.ndarray] = []
    lats: list[np.ndarray] = []
    have = 0
    while have < n:
        x = rng.uniform(minx, maxx, 2 * n)
        y = rng.uniform(miny, maxy, 2 * n)
        keep = shapely.contains_xy(envelope, x, y)
        lons.append(x[keep])
        lats.append(y[keep])
        have += int(keep.sum())
    return np.concatenate(lons)[:n], np.concatenate(lats)[:n]


def main(argv: Sequence[str] | None = None) -> list[str]:
    """Run both benchmarks, print and return their report lines."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--convert", type=int, default=1_000_000, help="points to convert")
    parser.add_argument("--locate", type=int, default=100_000, help="points to attribute")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    lines = [
        bench_gcj02_to_wgs84(args.convert, args.repeats),
        bench_locate_many(args.locate, args.repeats),
    ]
    datav = bench_locate_many_datav(args.locate, args.repeats)
    if datav is not None:
        lines.append(datav)
    for line in lines:
        print(line)
    return lines


if __name__ == "__main__":
    main()
