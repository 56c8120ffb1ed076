"""Geodesic distances on the WGS84 ellipsoid.

One pair goes through geopy (Karney's exact geodesic); many pairs go through a vectorised
numpy path, because matching and listing search measure thousands of pairs per request and
geopy's per-call overhead would dominate.
"""

from __future__ import annotations

import numpy as np
from geopy.distance import geodesic
from numpy.typing import ArrayLike, NDArray

#: Mean Earth radius in km (IUGG), used by the vectorised path.
EARTH_RADIUS_KM = 6371.0088


def geodesic_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Exact geodesic distance in km between two WGS84 points (lon, lat order)."""
    return float(geodesic((lat1, lon1), (lat2, lon2)).km)


def geodesic_km_many(
    lon0: float, lat0: float, lons: ArrayLike, lats: ArrayLike
) -> NDArray[np.float64]:
    """Distances in km from one point to many, vectorised.

    Uses the haversine formula on the mean-radius sphere; within a city or province the
    difference from the ellipsoidal geodesic is below 0.5 %, far below the road-circuity
    uncertainty that these distances feed.
    """
    return geodesic_km_pairs(lon0, lat0, lons, lats)


def geodesic_km_pairs(
    lons0: ArrayLike, lats0: ArrayLike, lons: ArrayLike, lats: ArrayLike
) -> NDArray[np.float64]:
    """Distances in km between the points of two equal-length arrays, pair by pair (or one
    point to many, as :func:`geodesic_km_many`): the same haversine, the same figures."""
    lon_r = np.radians(np.asarray(lons, dtype=np.float64))
    lat_r = np.radians(np.asarray(lats, dtype=np.float64))
    lon0_r = np.radians(np.asarray(lons0, dtype=np.float64))
    lat0_r = np.radians(np.asarray(lats0, dtype=np.float64))
    dlat = lat_r - lat0_r
    dlon = lon_r - lon0_r
    h = np.sin(dlat / 2) ** 2 + np.cos(lat0_r) * np.cos(lat_r) * np.sin(dlon / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0))))
