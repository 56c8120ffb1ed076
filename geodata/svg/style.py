"""Font stack, colours and the choropleth ramp shared by every map layer.

Kept in one place so the legend and the shaded regions cannot drift apart: both call
:func:`ramp_colour`.
"""

from __future__ import annotations

from typing import Final

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


def ramp_colour(value: float, vmin: float, vmax: float) -> str:
    """Hex colour for ``value`` on :data:`RAMP`, interpolated linearly in RGB."""
    t = 0.5 if vmax <= vmin else (value - vmin) / (vmax - vmin)
    t = min(max(t, 0.0), 1.0) * (len(RAMP) - 1)
    i = min(int(t), len(RAMP) - 2)
    frac = t - i
    a, b = _rgb(RAMP[i]), _rgb(RAMP[i + 1])
    mixed = (round(a[k] + (b[k] - a[k]) * frac) for k in range(3))
    return "#" + "".join(f"{c:02x}" for c in mixed)


def text_colour(fill: str) -> str:
    """White or near-black, whichever stays legible on ``fill`` (by relative luminance)."""
    r, g, b = _rgb(fill)
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "#ffffff" if luminance < 128 else "#222222"


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)
