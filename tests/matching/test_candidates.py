"""The spatial index must select exactly what a full haversine scan selects."""

from __future__ import annotations

import numpy as np
import pytest

from geodata.distance import geodesic_km_many
from matching.candidates import SpatialIndex, index_by_material


@pytest.fixture(scope="module")
def points() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    return rng.uniform(111.9, 113.5, 5000), rng.uniform(30.4, 31.6, 5000)


@pytest.mark.parametrize("radius", [0.0, 0.5, 5.0, 23.4, 80.0, 400.0])
def test_within_equals_full_scan(points: tuple[np.ndarray, np.ndarray], radius: float) -> None:
    lons, lats = points
    index = SpatialIndex(lons, lats)
    for lon, lat in [(112.2048, 31.0335), (113.5, 30.4), (112.6, 31.2)]:
        expected = np.flatnonzero(geodesic_km_many(lon, lat, lons, lats) <= radius)
        assert np.array_equal(index.within(lon, lat, radius), expected)


def test_point_exactly_on_the_radius_is_included(points: tuple[np.ndarray, np.ndarray]) -> None:
    lons, lats = points
    index = SpatialIndex(lons, lats)
    d = geodesic_km_many(112.2, 31.0, lons[:1], lats[:1])[0]
    assert 0 in index.within(112.2, 31.0, float(d)).tolist()


def test_nearest_is_sorted_and_matches_full_scan(points: tuple[np.ndarray, np.ndarray]) -> None:
    lons, lats = points
    index = SpatialIndex(lons, lats, ids=np.arange(5000) + 1000)
    rows, dist = index.nearest(112.6, 31.2, 25)
    full = geodesic_km_many(112.6, 31.2, lons, lats)
    assert np.array_equal(rows, np.argsort(full, kind="stable")[:25])
    assert np.allclose(dist, full[rows], atol=1e-6)
    assert np.all(np.diff(dist) >= 0)
    assert index.ids[rows[0]] == rows[0] + 1000
    all_rows, _ = index.nearest(112.6, 31.2, 10_000)  # k larger than n is clamped
    assert all_rows.size == 5000


def test_empty_index_and_bad_input() -> None:
    empty = SpatialIndex(np.empty(0), np.empty(0))
    assert empty.within(112.0, 31.0, 100).size == 0
    assert empty.nearest(112.0, 31.0, 5)[0].size == 0
    with pytest.raises(ValueError):
        SpatialIndex([112.0], [95.0])


def test_index_by_material_keeps_global_rows() -> None:
    materials = ["fly_ash", "slag", "fly_ash", "gypsum", "slag"]
    lons = [112.20, 112.21, 112.60, 112.30, 113.10]
    lats = [31.03, 31.04, 30.70, 31.42, 31.02]
    groups = index_by_material(materials, lons, lats)
    assert sorted(groups) == ["fly_ash", "gypsum", "slag"]
    assert groups["slag"].rows.tolist() == [1, 4]
    local = groups["slag"].index.within(112.2, 31.03, 5.0)
    assert groups["slag"].rows[local].tolist() == [1]
