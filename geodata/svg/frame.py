"""Map inputs and the frame that places WGS84 lon/lat on the SVG canvas.

Regions are drawn in a Transverse Mercator centred on the data (see
:mod:`geodata.projection`) so that shapes and the scale bar are true, not squashed as raw
lon/lat would be at 31° N. :func:`map_frame` is public so tests and overlays can find where
a point lands in a map :func:`geodata.svgmap.draw_map` drew with the same arguments.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import shapely

from geodata.projection import LocalProjection
from geodata.regions import Region

MARGIN: Final = 20.0
TITLE_SPACE: Final = 36.0
FOOTER_SPACE: Final = 44.0
LEGEND_SPACE: Final = 150.0


@dataclass(frozen=True)
class MapPoint:
    """A marker (WGS84); ``kind`` picks its colour ("supply", "demand", "park", …)."""

    lon: float
    lat: float
    label: str
    kind: str = "listing"


@dataclass(frozen=True)
class MapFlow:
    """A material flow drawn as a curve whose width grows with ``tonnes``."""

    from_lon: float
    from_lat: float
    to_lon: float
    to_lat: float
    tonnes: float
    label: str = ""


class MapFrame:
    """Maps WGS84 lon/lat to SVG pixel coordinates (y down) for one drawing.

    Built from the data's bounds so the content fills the drawing area with margins while
    keeping one scale in both directions.
    """

    def __init__(
        self,
        bounds: tuple[float, float, float, float],
        width: int,
        height: int,
        *,
        left: float = MARGIN,
        top: float = MARGIN,
        right: float = MARGIN,
        bottom: float = MARGIN,
    ) -> None:
        min_lon, min_lat, max_lon, max_lat = bounds
        self.width = width
        self.height = height
        self.projection = LocalProjection((min_lon + max_lon) / 2, (min_lat + max_lat) / 2)
        # Parallels are curved in Transverse Mercator, so fit the densified edges of the
        # lon/lat box, not just its corners, to be sure all content stays in view.
        t = np.linspace(0.0, 1.0, 21)
        edge_lons = np.concatenate(
            [min_lon + (max_lon - min_lon) * t] * 2 + [np.full(21, min_lon), np.full(21, max_lon)]
        )
        edge_lats = np.concatenate(
            [np.full(21, min_lat), np.full(21, max_lat)] + [min_lat + (max_lat - min_lat) * t] * 2
        )
        xs, ys = self.projection.forward(edge_lons, edge_lats)
        self._x0, self._x1 = float(xs.min()), float(xs.max())
        self._y0, self._y1 = float(ys.min()), float(ys.max())
        avail_w = max(width - left - right, 1.0)
        avail_h = max(height - top - bottom, 1.0)
        span_x = max(self._x1 - self._x0, 1.0)
        span_y = max(self._y1 - self._y0, 1.0)
        #: Pixels per metre.
        self.scale = min(avail_w / span_x, avail_h / span_y)
        self._offset_x = left + (avail_w - span_x * self.scale) / 2
        self._offset_y = top + (avail_h - span_y * self.scale) / 2
        self.left, self.top, self.right, self.bottom = left, top, right, bottom

    def metres_to_svg(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Projected metres → SVG pixels."""
        sx = self._offset_x + (x - self._x0) * self.scale
        sy = self._offset_y + (self._y1 - y) * self.scale
        return sx, sy

    def project(self, lon: float, lat: float) -> tuple[float, float]:
        """One WGS84 point → SVG (x, y)."""
        sx, sy = self.project_many([lon], [lat])
        return float(sx[0]), float(sy[0])

    def project_many(
        self, lons: Sequence[float] | np.ndarray, lats: Sequence[float] | np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Many WGS84 points → SVG (xs, ys)."""
        x, y = self.projection.forward(lons, lats)
        return self.metres_to_svg(x, y)


def project_point(frame: MapFrame, lon: float, lat: float) -> tuple[float, float]:
    """Where a WGS84 point lands in the SVG drawn with ``frame``."""
    return frame.project(lon, lat)


def map_frame(
    regions: Sequence[Region],
    *,
    points: Sequence[MapPoint] = (),
    flows: Sequence[MapFlow] = (),
    width: int = 800,
    height: int = 600,
    title: str = "",
    with_legend: bool = False,
) -> MapFrame:
    """The frame :func:`~geodata.svgmap.draw_map` uses for the same arguments."""
    lons: list[float] = []
    lats: list[float] = []
    for region in regions:
        minx, miny, maxx, maxy = region.geometry.bounds
        lons += [minx, maxx]
        lats += [miny, maxy]
    for p in points:
        lons.append(p.lon)
        lats.append(p.lat)
    for f in flows:
        lons += [f.from_lon, f.to_lon]
        lats += [f.from_lat, f.to_lat]
    if lons:
        bounds = (min(lons), min(lats), max(lons), max(lats))
    else:
        bounds = (111.86, 30.39, 113.49, 31.61)  # Jingmen, when there is nothing to draw
    if bounds[2] - bounds[0] < 0.01 or bounds[3] - bounds[1] < 0.01:
        cx, cy = (bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2
        bounds = (cx - 0.05, cy - 0.05, cx + 0.05, cy + 0.05)
    return MapFrame(
        bounds,
        width,
        height,
        top=MARGIN + (TITLE_SPACE if title else 0.0),
        bottom=FOOTER_SPACE,
        right=MARGIN + (LEGEND_SPACE if with_legend else 0.0),
    )


def bounds_of(regions: Iterable[Region]) -> tuple[float, float, float, float]:
    """Union bounds of regions (WGS84), e.g. to build a :class:`MapFrame` by hand."""
    geoms = [r.geometry for r in regions]
    if not geoms:
        raise ValueError("no regions")
    minx, miny, maxx, maxy = shapely.total_bounds(geoms)
    return float(minx), float(miny), float(maxx), float(maxy)
