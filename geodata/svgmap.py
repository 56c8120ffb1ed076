"""Static SVG maps of districts, parks, listings and material flows.

A pure function from data to an SVG string: no tiles, no JavaScript, no fonts or scripts from
the network, so the same map works in the web UI, in an e-mailed report and offline. Regions are
drawn in a Transverse Mercator centred on the data (see :mod:`geodata.projection`) so that
shapes and the scale bar are true, not squashed as raw lon/lat would be at 31° N.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final
from xml.sax.saxutils import escape, quoteattr

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.ops import polylabel

from geodata.projection import LocalProjection
from geodata.regions import Region

FONT_FAMILY: Final = "'Noto Sans CJK SC', 'Source Han Sans SC', 'Microsoft YaHei', sans-serif"

#: Sequential ramp, light to dark (pale green to deep blue), chosen to stay readable when
#: printed in grey.
RAMP: Final = ("#f0f9e8", "#bae4bc", "#7bccc4", "#43a2ca", "#0868ac")
NO_DATA_FILL: Final = "#eeeeee"
PLAIN_FILL: Final = "#f4f1ea"
PARK_FILL: Final = "#e66101"

POINT_COLOURS: Final[dict[str, str]] = {
    "supply": "#d7301f",
    "demand": "#2c7fb8",
    "park": "#e66101",
    "seat": "#333333",
}
DEFAULT_POINT_COLOUR: Final = "#6a51a3"

FLOW_MIN_WIDTH: Final = 1.0
FLOW_MAX_WIDTH: Final = 10.0

_MARGIN: Final = 20.0
_TITLE_SPACE: Final = 36.0
_FOOTER_SPACE: Final = 44.0
_LEGEND_SPACE: Final = 150.0


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
        left: float = _MARGIN,
        top: float = _MARGIN,
        right: float = _MARGIN,
        bottom: float = _MARGIN,
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
    """The frame :func:`draw_map` uses for the same arguments (tests and overlays use it)."""
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
        top=_MARGIN + (_TITLE_SPACE if title else 0.0),
        bottom=_FOOTER_SPACE,
        right=_MARGIN + (_LEGEND_SPACE if with_legend else 0.0),
    )


def draw_map(
    regions: Sequence[Region],
    *,
    values: Mapping[str, float] | None = None,
    value_label: str = "",
    points: Sequence[MapPoint] = (),
    flows: Sequence[MapFlow] = (),
    width: int = 800,
    height: int = 600,
    title: str = "",
) -> str:
    """Draw regions (optionally shaded by ``values`` keyed by region code), points and flows.

    Returns a standalone ``<svg>`` document. All text is escaped; nothing is loaded from
    outside the document.
    """
    finite_values = {
        k: float(v) for k, v in (values or {}).items() if v is not None and math.isfinite(v)
    }
    shaded = values is not None
    frame = map_frame(
        regions,
        points=points,
        flows=flows,
        width=width,
        height=height,
        title=title,
        with_legend=shaded,
    )
    vmin = min(finite_values.values(), default=0.0)
    vmax = max(finite_values.values(), default=0.0)

    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family={quoteattr(FONT_FAMILY)} '
        'role="img">',
        _defs(),
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
    ]
    if title:
        out.append(
            f'<text x="{width / 2:.1f}" y="{_MARGIN + 18:.1f}" text-anchor="middle" '
            f'font-size="18" font-weight="bold">{escape(title)}</text>'
        )

    districts = [r for r in regions if r.kind != "park"]
    parks = [r for r in regions if r.kind == "park"]
    out.append('<g id="regions" stroke="#555555" stroke-width="0.8" stroke-linejoin="round">')
    for region in districts:
        if shaded:
            value = finite_values.get(region.code)
            fill = NO_DATA_FILL if value is None else ramp_colour(value, vmin, vmax)
        else:
            fill = PLAIN_FILL
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

    out.append('<g id="flows" fill="none" stroke="#8c2d04" stroke-opacity="0.7">')
    max_tonnes = max((f.tonnes for f in flows if math.isfinite(f.tonnes)), default=0.0)
    for flow in flows:
        out.append(_flow_path(flow, frame, max_tonnes))
    out.append("</g>")

    out.append('<g id="labels" text-anchor="middle">')
    for region in districts:
        out.append(_region_label(region, frame, finite_values, vmin, vmax, shaded, size=14))
    for region in parks:
        out.append(_region_label(region, frame, {}, 0.0, 0.0, False, size=10))
    out.append("</g>")

    out.append('<g id="points" stroke="#ffffff" stroke-width="1">')
    for point in points:
        x, y = frame.project(point.lon, point.lat)
        colour = POINT_COLOURS.get(point.kind, DEFAULT_POINT_COLOUR)
        out.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4.5" fill="{colour}" '
            f"data-kind={quoteattr(point.kind)}><title>{escape(point.label)}</title></circle>"
        )
    out.append("</g>")

    if shaded:
        out.append(_legend(frame, finite_values, vmin, vmax, value_label))
    out.append(_scale_bar(frame))
    out.append(_north_arrow(frame))
    if any(r.approximate for r in regions):
        out.append(
            f'<text id="approximate-note" x="{width - _MARGIN:.1f}" y="{height - 12:.1f}" '
            'text-anchor="end" font-size="11" fill="#666666">'
            f"{escape('边界为示意，仅供参考 · Approximate boundaries, for illustration only')}"
            "</text>"
        )
    out.append("</svg>")
    return "\n".join(out)


# --- pieces --------------------------------------------------------------------------------


def _defs() -> str:
    return (
        "<defs>"
        '<marker id="flow-arrow" viewBox="0 0 10 10" refX="8" refY="5" markerWidth="4" '
        'markerHeight="4" orient="auto-start-reverse">'
        '<path d="M 0 0 L 10 5 L 0 10 z" fill="#8c2d04"/></marker>'
        "</defs>"
    )


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


def _region_label(
    region: Region,
    frame: MapFrame,
    values: Mapping[str, float],
    vmin: float,
    vmax: float,
    shaded: bool,
    size: int,
) -> str:
    x, y = _label_anchor(region, frame)
    colour = "#222222"
    if shaded and region.code in values:
        colour = _text_colour(ramp_colour(values[region.code], vmin, vmax))
    dy = size * 1.6 if region.kind == "park" else size * 0.35
    return (
        f'<text x="{x:.1f}" y="{y + dy:.1f}" font-size="{size}" fill="{colour}" '
        f"data-code={quoteattr(region.code)}>{escape(region.name_zh)}</text>"
    )


def flow_width(tonnes: float, max_tonnes: float) -> float:
    """Stroke width for a flow: linear in tonnes between the minimum and maximum widths."""
    if max_tonnes <= 0 or not math.isfinite(tonnes) or tonnes <= 0:
        return FLOW_MIN_WIDTH
    share = min(tonnes / max_tonnes, 1.0)
    return FLOW_MIN_WIDTH + (FLOW_MAX_WIDTH - FLOW_MIN_WIDTH) * share


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


def ramp_colour(value: float, vmin: float, vmax: float) -> str:
    """Hex colour for ``value`` on :data:`RAMP`, interpolated linearly in RGB."""
    t = 0.5 if vmax <= vmin else (value - vmin) / (vmax - vmin)
    t = min(max(t, 0.0), 1.0) * (len(RAMP) - 1)
    i = min(int(t), len(RAMP) - 2)
    frac = t - i
    a, b = _rgb(RAMP[i]), _rgb(RAMP[i + 1])
    mixed = (round(a[k] + (b[k] - a[k]) * frac) for k in range(3))
    return "#" + "".join(f"{c:02x}" for c in mixed)


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def _text_colour(fill: str) -> str:
    r, g, b = _rgb(fill)
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "#ffffff" if luminance < 128 else "#222222"


def _format_value(value: float) -> str:
    if abs(value) >= 100 or value == int(value):
        return f"{value:,.0f}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _legend(
    frame: MapFrame, values: Mapping[str, float], vmin: float, vmax: float, value_label: str
) -> str:
    x = frame.width - frame.right + 16
    y = frame.top + 10
    rows: list[str] = ['<g id="legend" font-size="11">']
    if value_label:
        rows.append(
            f'<text x="{x:.1f}" y="{y:.1f}" font-weight="bold">{escape(value_label)}</text>'
        )
    y += 10
    steps = _legend_steps(vmin, vmax) if values else []
    for value in steps:
        rows.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="18" height="14" '
            f'fill="{ramp_colour(value, vmin, vmax)}" stroke="#555555" stroke-width="0.5"/>'
            f'<text x="{x + 24:.1f}" y="{y + 11:.1f}">{escape(_format_value(value))}</text>'
        )
        y += 18
    rows.append(
        f'<rect x="{x:.1f}" y="{y:.1f}" width="18" height="14" fill="{NO_DATA_FILL}" '
        'stroke="#555555" stroke-width="0.5"/>'
        f'<text x="{x + 24:.1f}" y="{y + 11:.1f}">{escape("无数据 no data")}</text>'
    )
    rows.append("</g>")
    return "".join(rows)


def _legend_steps(vmin: float, vmax: float) -> list[float]:
    if vmax <= vmin:
        return [vmin]
    return [vmin + (vmax - vmin) * i / (len(RAMP) - 1) for i in range(len(RAMP))]


def nice_length_km(max_km: float) -> float:
    """Largest 1, 2 or 5 × 10ⁿ km not exceeding ``max_km`` (the scale bar figure)."""
    if max_km <= 0:
        return 0.0
    exponent = math.floor(math.log10(max_km))
    best = 10.0**exponent
    for mult in (1.0, 2.0, 5.0, 10.0):
        candidate = mult * 10.0**exponent
        if candidate <= max_km * (1 + 1e-9):
            best = candidate
    return best


def _scale_bar(frame: MapFrame) -> str:
    avail_px = frame.width - frame.left - frame.right
    km = nice_length_km(avail_px / 4 / frame.scale / 1000.0)
    px = km * 1000.0 * frame.scale
    x = frame.left
    y = frame.height - 22
    text = f"{km:g} km"
    return (
        f'<g id="scale-bar" data-km="{km:g}">'
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{px / 2:.1f}" height="5" fill="#333333"/>'
        f'<rect x="{x + px / 2:.1f}" y="{y:.1f}" width="{px / 2:.1f}" height="5" '
        'fill="#ffffff" stroke="#333333" stroke-width="0.8"/>'
        f'<text x="{x:.1f}" y="{y - 4:.1f}" font-size="11">0</text>'
        f'<text x="{x + px:.1f}" y="{y - 4:.1f}" font-size="11" text-anchor="middle">'
        f"{escape(text)}</text></g>"
    )


def _north_arrow(frame: MapFrame) -> str:
    x = frame.width - frame.right - 14
    y = frame.top + 8
    return (
        f'<g id="north-arrow" transform="translate({x:.1f} {y:.1f})">'
        '<path d="M 0 0 L 7 20 L 0 15 L -7 20 Z" fill="#333333"/>'
        '<text x="0" y="33" font-size="12" text-anchor="middle" font-weight="bold">N</text>'
        "</g>"
    )


def bounds_of(regions: Iterable[Region]) -> tuple[float, float, float, float]:
    """Union bounds of regions (WGS84), e.g. to build a :class:`MapFrame` by hand."""
    geoms = [r.geometry for r in regions]
    if not geoms:
        raise ValueError("no regions")
    minx, miny, maxx, maxy = shapely.total_bounds(geoms)
    return float(minx), float(miny), float(maxx), float(maxy)
