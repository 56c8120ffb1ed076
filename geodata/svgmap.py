"""Static SVG maps of districts, parks, listings and material flows.

A pure function from data to an SVG string: no tiles, no JavaScript, no fonts or scripts from
the network, so the same map works in the web UI, in an e-mailed report and offline. Regions are
drawn in a Transverse Mercator centred on the data (see :mod:`geodata.projection`) so that
shapes and the scale bar are true, not squashed as raw lon/lat would be at 31° N.

This module is the public entry: :func:`draw_map` stacks the layers and decorations built in
:mod:`geodata.svg` and the names callers use are re-exported here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from xml.sax.saxutils import quoteattr

from geodata.regions import Region
from geodata.svg.decorations import (
    approximate_note,
    legend,
    nice_length_km,
    north_arrow,
    scale_bar,
    title_text,
)
from geodata.svg.frame import MapFlow, MapFrame, MapPoint, bounds_of, map_frame, project_point
from geodata.svg.layers import (
    FLOW_MAX_WIDTH,
    FLOW_MIN_WIDTH,
    Shading,
    defs,
    flow_layer,
    flow_width,
    label_layer,
    point_layer,
    region_layer,
    region_path_d,
)
from geodata.svg.style import (
    DEFAULT_POINT_COLOUR,
    FONT_FAMILY,
    NO_DATA_FILL,
    PARK_FILL,
    PLAIN_FILL,
    POINT_COLOURS,
    RAMP,
    ramp_colour,
)

__all__ = [
    "DEFAULT_POINT_COLOUR",
    "FLOW_MAX_WIDTH",
    "FLOW_MIN_WIDTH",
    "FONT_FAMILY",
    "NO_DATA_FILL",
    "PARK_FILL",
    "PLAIN_FILL",
    "POINT_COLOURS",
    "RAMP",
    "MapFlow",
    "MapFrame",
    "MapPoint",
    "bounds_of",
    "draw_map",
    "flow_width",
    "map_frame",
    "nice_length_km",
    "project_point",
    "ramp_colour",
    "region_path_d",
]


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
    outside the document. Passing ``values`` (even empty) turns on shading and the legend.
    """
    shading = None if values is None else Shading.of(values)
    frame = map_frame(
        regions,
        points=points,
        flows=flows,
        width=width,
        height=height,
        title=title,
        with_legend=shading is not None,
    )
    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family={quoteattr(FONT_FAMILY)} '
        'role="img">',
        defs(),
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
    ]
    if title:
        out.append(title_text(width, title))
    out += region_layer(regions, frame, shading)
    out += flow_layer(flows, frame)
    out += label_layer(regions, frame, shading)
    out += point_layer(points, frame)
    if shading is not None:
        out.append(legend(frame, shading, value_label))
    out.append(scale_bar(frame))
    out.append(north_arrow(frame))
    if any(r.approximate for r in regions):
        out.append(approximate_note(width, height))
    out.append("</svg>")
    return "\n".join(out)
