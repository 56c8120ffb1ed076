"""What frames the map content: title, legend, scale bar, north arrow, approximate note.

Placed from the :class:`~geodata.svg.frame.MapFrame` margins that
:func:`~geodata.svg.frame.map_frame` reserves (title space on top, legend space on the
right, footer space below), so decorations never overlap the regions.
"""

from __future__ import annotations

import math
from xml.sax.saxutils import escape

from geodata.svg.frame import MARGIN, MapFrame
from geodata.svg.layers import Shading
from geodata.svg.style import NO_DATA_FILL, RAMP, ramp_colour


def title_text(width: int, title: str) -> str:
    """The bold centred title line."""
    return (
        f'<text x="{width / 2:.1f}" y="{MARGIN + 18:.1f}" text-anchor="middle" '
        f'font-size="18" font-weight="bold">{escape(title)}</text>'
    )


def approximate_note(width: int, height: int) -> str:
    """Bottom-right warning shown when any region drawn is schematic."""
    return (
        f'<text id="approximate-note" x="{width - MARGIN:.1f}" y="{height - 12:.1f}" '
        'text-anchor="end" font-size="11" fill="#666666">'
        f"{escape('边界为示意，仅供参考 · Approximate boundaries, for illustration only')}"
        "</text>"
    )


def _format_value(value: float) -> str:
    if abs(value) >= 100 or value == int(value):
        return f"{value:,.0f}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def legend(frame: MapFrame, shading: Shading, value_label: str) -> str:
    """Ramp swatches from the smallest to the largest value, then the no-data swatch."""
    vmin, vmax = shading.vmin, shading.vmax
    x = frame.width - frame.right + 16
    y = frame.top + 10
    rows: list[str] = ['<g id="legend" font-size="11">']
    if value_label:
        rows.append(
            f'<text x="{x:.1f}" y="{y:.1f}" font-weight="bold">{escape(value_label)}</text>'
        )
    y += 10
    steps = _legend_steps(vmin, vmax) if shading.values else []
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


def scale_bar(frame: MapFrame) -> str:
    """A two-part bar of a round length, at most a quarter of the drawing width."""
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


def north_arrow(frame: MapFrame) -> str:
    """Top-right arrow: grid north is true north at the projection's central meridian."""
    x = frame.width - frame.right - 14
    y = frame.top + 8
    return (
        f'<g id="north-arrow" transform="translate({x:.1f} {y:.1f})">'
        '<path d="M 0 0 L 7 20 L 0 15 L -7 20 Z" fill="#333333"/>'
        '<text x="0" y="33" font-size="12" text-anchor="middle" font-weight="bold">N</text>'
        "</g>"
    )
