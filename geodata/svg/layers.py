"""The map's content layers: shaded regions and their labels, flow curves, point markers.

Each ``*_layer`` function returns the lines of one ``<g>`` group; :func:`geodata.svgmap.draw_map`
stacks them in drawing order (regions, flows, labels, points) so labels stay legible above
the flows. Every piece of text is escaped here, at the point it enters the SVG.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final
from xml.sax.saxutils import escape, quoteattr

import numpy as np
from shapely.geometry import MultiPolygon, Polygon
from shapely.ops import polylabel

from geodata.regions import Region
from geodata.svg.frame import MapFlow, MapFrame, MapPoint
from geodata.svg.style import (
    DEFAULT_POINT_COLOUR,
    NO_DATA_FILL,
    PARK_FILL,
    PLAIN_FILL,
    POINT_COLOURS,
    ramp_colour,
    text_colour,
)

FLOW_MIN_WIDTH: Final = 1.0
FLOW_MAX_WIDTH: Final = 10.0


@dataclass(frozen=True)
class Shading:
    """A choropleth's finite values by region code and their range.

    The region fills, the label colours and the legend all read the same instance, so a
    value missing or non-finite in the input is "no data" everywhere at once.
    """

    values: Mapping[str, float]
    vmin: float
    vmax: float

    @classmethod
    def of(cls, values: Mapping[str, float]) -> Shading:
        """Keep the finite values (callers pass ``None``/NaN for unknown districts)."""
        finite = {k: float(v) for k, v in values.items() if v is not None and math.isfinite(v)}
        return cls(finite, min(finite.values(), default=0.0), max(finite.values(), default=0.0))

    def fill(self, code: str) -> str:
        """The ramp colour of a region's value, or the no-data grey."""
        value = self.values.get(code)
        return NO_DATA_FILL if value is None else ramp_colour(value, self.vmin, self.vmax)


def defs() -> str:
    """Shared ``<defs>``: the arrowhead every flow curve ends in."""
    return (
        "<defs>"
        '<marker id="flow-arrow" viewBox="0 0 10 10" refX="8" refY="5" markerWidth="4" '
        'markerHeight="4" orient="auto-start-reverse">'
        '<path d="M 0 0 L 10 5 L 0 10 z" fill="#8c2d04"/></marker>'
        "</defs>"
    )


# --- regions -------------------------------------------------------------------------------


def _split(regions: Sequence[Region]) -> tuple[list[Region], list[Region]]:
    """Districts, then parks: parks are drawn (and labelled) on top of their districts."""
    return [r for r in regions if r.kind != "park"], [r for r in regions if r.kind == "park"]


def region_layer(regions: Sequence[Region], frame: MapFrame, shading: Shading | None) -> list[str]:
    """District shapes (plain, or filled from ``shading``) and translucent dashed parks."""
    districts, parks = _split(regions)
    out = ['<g id="regions" stroke="#555555" stroke-width="0.8" stroke-linejoin="round">']
    for region in districts:
        fill = PLAIN_FILL if shading is None else shading.fill(region.code)
        out.append(_region_path(region, frame, fill, extra=""))
    for region in parks:
        out.append(
            _region_path(
                region,
                frame,
                PARK_FILL,
                extra=' fill-opacity="0.35" stroke="#b2182b" stroke-dasharray="3 2"',
            )
        )
    out.append("</g>")
    return out


def label_layer(regions: Sequence[Region], frame: MapFrame, shading: Shading | None) -> list[str]:
    """Chinese names of districts (14 px) and parks (10 px, below their centre)."""
    districts, parks = _split(regions)
    out = ['<g id="labels" text-anchor="middle">']
    for region in districts:
        out.append(_region_label(region, frame, shading, size=14))
    for region in parks:
        out.append(_region_label(region, frame, None, size=10))
    out.append("</g>")
    return out


def _polygons(region: Region) -> list[Polygon]:
    geom = region.geometry
    if isinstance(geom, MultiPolygon):
        return list(geom.geoms)
    return [geom]


def region_path_d(region: Region, frame: MapFrame) -> str:
    """SVG path data for a region: one ``M … Z`` subpath per ring (holes included)."""
    parts: list[str] = []
    for poly in _polygons(region):
        for ring in (poly.exterior, *poly.interiors):
            coords = np.asarray(ring.coords)
            xs, ys = frame.project_many(coords[:, 0], coords[:, 1])
            pairs = " L ".join(f"{x:.1f} {y:.1f}" for x, y in zip(xs, ys, strict=True))
            parts.append(f"M {pairs} Z")
    return " ".join(parts)


def _region_path(region: Region, frame: MapFrame, fill: str, extra: str) -> str:
    title = f"{region.name_zh} {region.name_en}".strip()
    return (
        f'<path id="region-{escape(region.code)}" data-code={quoteattr(region.code)} '
        f'data-kind="{region.kind}" fill="{fill}" fill-rule="evenodd"{extra} '
        f'd="{region_path_d(region, frame)}"><title>{escape(title)}</title></path>'
    )


def _label_anchor(region: Region, frame: MapFrame) -> tuple[float, float]:
    """A point well inside the largest part: the pole of inaccessibility, in metres."""
    largest = max(_polygons(region), key=lambda p: p.area)
    metric = frame.projection.project_geometry(largest)
    assert isinstance(metric, Polygon)
    tolerance = max(math.sqrt(metric.area) / 100.0, 1.0)
    anchor = polylabel(metric, tolerance=tolerance)
    if not metric.contains(anchor):
        anchor = metric.representative_point()
    sx, sy = frame.metres_to_svg(np.array([anchor.x]), np.array([anchor.y]))
    return float(sx[0]), float(sy[0])


def _region_label(region: Region, frame: MapFrame, shading: Shading | None, size: int) -> str:
    x, y = _label_anchor(region, frame)
    colour = "#222222"
    if shading is not None and region.code in shading.values:
        colour = text_colour(shading.fill(region.code))
    dy = size * 1.6 if region.kind == "park" else size * 0.35
    return (
        f'<text x="{x:.1f}" y="{y + dy:.1f}" font-size="{size}" fill="{colour}" '
        f"data-code={quoteattr(region.code)}>{escape(region.name_zh)}</text>"
    )


# --- flows and points ----------------------------------------------------------------------


def flow_width(tonnes: float, max_tonnes: float) -> float:
    """Stroke width for a flow: linear in tonnes between the minimum and maximum widths."""
    if max_tonnes <= 0 or not math.isfinite(tonnes) or tonnes <= 0:
        return FLOW_MIN_WIDTH
    share = min(tonnes / max_tonnes, 1.0)
    return FLOW_MIN_WIDTH + (FLOW_MAX_WIDTH - FLOW_MIN_WIDTH) * share


def flow_layer(flows: Sequence[MapFlow], frame: MapFrame) -> list[str]:
    """One curve per flow, widths relative to the largest finite flow."""
    out = ['<g id="flows" fill="none" stroke="#8c2d04" stroke-opacity="0.7">']
    max_tonnes = max((f.tonnes for f in flows if math.isfinite(f.tonnes)), default=0.0)
    for flow in flows:
        out.append(_flow_path(flow, frame, max_tonnes))
    out.append("</g>")
    return out


def _flow_path(flow: MapFlow, frame: MapFrame, max_tonnes: float) -> str:
    x1, y1 = frame.project(flow.from_lon, flow.from_lat)
    x2, y2 = frame.project(flow.to_lon, flow.to_lat)
    # Bend every flow to the same side so opposite flows between two places stay apart.
    mx, my = (x1 + x2) / 2, (y1 + y2) / 2
    dx, dy = x2 - x1, y2 - y1
    cx, cy = mx - dy * 0.2, my + dx * 0.2
    width = flow_width(flow.tonnes, max_tonnes)
    label = f"{flow.label} {flow.tonnes:,.0f} t".strip()
    return (
        f'<path class="flow" d="M {x1:.1f} {y1:.1f} Q {cx:.1f} {cy:.1f} {x2:.1f} {y2:.1f}" '
        f'stroke-width="{width:.2f}" stroke-linecap="round" marker-end="url(#flow-arrow)" '
        f'data-tonnes="{flow.tonnes:g}"><title>{escape(label)}</title></path>'
    )


def point_layer(points: Sequence[MapPoint], frame: MapFrame) -> list[str]:
    """A circle per point, coloured by kind, with its label as a hover title."""
    out = ['<g id="points" stroke="#ffffff" stroke-width="1">']
    for point in points:
        x, y = frame.project(point.lon, point.lat)
        colour = POINT_COLOURS.get(point.kind, DEFAULT_POINT_COLOUR)
        out.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4.5" fill="{colour}" '
            f"data-kind={quoteattr(point.kind)}><title>{escape(point.label)}</title></circle>"
        )
    out.append("</g>")
    return out
