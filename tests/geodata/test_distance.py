from __future__ import annotations

import numpy as np
import pytest

import geodata
from geodata.distance import geodesic_km, geodesic_km_many


def test_geodesic_known_distance() -> None:
    # One degree of latitude at 31° N is 110.9 km on the WGS84 ellipsoid.
    assert geodesic_km(112.0, 30.5, 112.0, 31.5) == pytest.approx(110.88, abs=0.05)


def test_vectorised_distances_within_half_a_percent_of_geodesic() -> None:
    rng = np.random.default_rng(5)
    lons = rng.uniform(111.9, 113.5, 200)
    lats = rng.uniform(30.4, 31.6, 200)
    fast = geodesic_km_many(112.2, 31.0, lons, lats)
    exact = np.array([geodesic_km(112.2, 31.0, a, b) for a, b in zip(lons, lats, strict=True)])
    assert np.all(np.abs(fast - exact) <= 0.005 * exact + 1e-9)


def test_package_reexports_contract_names() -> None:
    for name in geodata.__all__:
        assert hasattr(geodata, name), name
