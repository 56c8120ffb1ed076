"""A local metric projection for buffering, measuring and drawing.

Degrees are not distances: at Jingmen's latitude one degree of longitude is about 95 km and one
degree of latitude 111 km, so a "3 km" buffer or a map drawn on raw lon/lat is visibly
squashed. A Transverse Mercator centred on the data keeps scale error below 0.1 % across the
whole city, which is all that buffers, scale bars and schematic cells need.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from pyproj import CRS, Transformer
from shapely.geometry.base import BaseGeometry

#: A convenient centre for Jingmen (WGS84); used when no data-driven centre is at hand.
JINGMEN_CENTRE_WGS84 = (112.2, 31.0)


@lru_cache(maxsize=32)
def _transformers(lon0: float, lat0: float) -> tuple[Transformer, Transformer]:
    crs = CRS.from_proj4(
        f"+proj=tmerc +lat_0={lat0:.6f} +lon_0={lon0:.6f} +k=1 +x_0=0 +y_0=0 "
        "+ellps=WGS84 +units=m +no_defs"
    )
    wgs84 = CRS.from_epsg(4326)
    forward = Transformer.from_crs(wgs84, crs, always_xy=True)
    inverse = Transformer.from_crs(crs, wgs84, always_xy=True)
    return forward, inverse


class LocalProjection:
    """Transverse Mercator (metres) centred on ``(lon0, lat0)`` in WGS84.

    Transformers are cached per centre because building a pyproj pipeline costs far more than
    transforming a few thousand points.
    """

    def __init__(self, lon0: float, lat0: float) -> None:
        self.lon0 = round(float(lon0), 6)
        self.lat0 = round(float(lat0), 6)
        self._forward, self._inverse = _transformers(self.lon0, self.lat0)

    @classmethod
    def for_geometry(cls, geometry: BaseGeometry) -> LocalProjection:
        """A projection centred on the bounding box of ``geometry`` (WGS84)."""
        minx, miny, maxx, maxy = geometry.bounds
        return cls((minx + maxx) / 2, (miny + maxy) / 2)

    def forward(
        self, lon: ArrayLike, lat: ArrayLike
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """WGS84 lon/lat → x (east) / y (north) in metres."""
        x, y = self._forward.transform(
            np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
        )
        return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)

    def inverse(
        self, x: ArrayLike, y: ArrayLike
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """x/y in metres → WGS84 lon/lat."""
        lon, lat = self._inverse.transform(
            np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        )
        return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)

    def project_geometry(self, geometry: BaseGeometry) -> BaseGeometry:
        """Project a WGS84 shapely geometry to metres."""
        return shapely.transform(geometry, self._project_coords)

    def unproject_geometry(self, geometry: BaseGeometry) -> BaseGeometry:
        """Inverse of :meth:`project_geometry`."""
        return shapely.transform(geometry, self._unproject_coords)

    def _project_coords(self, coords: NDArray[np.float64]) -> NDArray[np.float64]:
        x, y = self.forward(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    def _unproject_coords(self, coords: NDArray[np.float64]) -> NDArray[np.float64]:
        lon, lat = self.inverse(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat])
