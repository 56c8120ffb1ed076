"""Bar and line charts as standalone SVG strings, drawn by us.

The city intranet cannot load a charting library from a CDN, and a chart in a server-rendered
page should work without JavaScript, print well and survive being saved as a file. These
functions are pure (data in, SVG text out, every text escaped) so they are easy to test and
to reuse in reports. Bars start at zero and their heights are exactly proportional to the
values; the value axis uses "nice" round ticks (1, 2, 2.5, 5 × 10ⁿ).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final
from xml.sax.saxutils import escape, quoteattr

from market.web.i18n import gettext

FONT_FAMILY: Final = "'Noto Sans CJK SC', 'Source Han Sans SC', 'Microsoft YaHei', sans-serif"
#: Colour-blind-safe qualitative palette (Okabe–Ito), first colour for a single series.
PALETTE: Final = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#000000")
#: What an empty chart says (a message id: drawn in the page's language).
EMPTY_TEXT: Final = "No data"

_LEFT: Final = 64.0
_RIGHT: Final = 16.0
_TOP: Final = 40.0
_BOTTOM: Final = 56.0
_TICKS: Final = 5


@dataclass(frozen=True)
class Series:
    """One line: a name for the legend and a value per x label (None leaves a gap)."""

    name: str
    values: Sequence[float | None]


def nice_step(span: float, ticks: int = _TICKS) -> float:
    """A round tick step (1, 2, 2.5 or 5 × 10ⁿ) giving about ``ticks`` intervals."""
    if span <= 0 or not math.isfinite(span):
        return 1.0
    raw = span / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1.0, 2.0, 2.5, 5.0, 10.0):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10.0 * magnitude  # pragma: no cover - the loop always returns


def axis_range(values: Sequence[float]) -> tuple[float, float, float]:
    """(lowest tick, highest tick, step): always includes zero, covers every value."""
    lo = min(0.0, *values) if values else 0.0
    hi = max(0.0, *values) if values else 0.0
    if lo == hi:
        hi = lo + 1.0
    step = nice_step(hi - lo)
    return math.floor(lo / step) * step, math.ceil(hi / step) * step, step


def format_number(value: float) -> str:
    """Axis and tooltip numbers: thousands separators, at most two decimals, no "-0"."""
    if abs(value) < 1e-9:
        return "0"
    if abs(value) >= 100 or float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def text_width(text: str, size: float = 12.0) -> float:
    """Rough rendered width: CJK characters are square, Latin ones about 0.6 em."""
    return sum(size if ord(ch) >= 0x2E80 else size * 0.6 for ch in text)


def _finite(values: Sequence[float | None]) -> list[float]:
    return [float(v) for v in values if v is not None and math.isfinite(v)]


def _open(width: int, height: int, title: str, kind: str) -> list[str]:
    label = title or kind
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family={quoteattr(FONT_FAMILY)} '
        f'role="img" aria-label={quoteattr(label)} class="chart chart-{kind}">',
        f"<title>{escape(label)}</title>",
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="{width / 2:.1f}" y="22" text-anchor="middle" font-size="15" '
        f'font-weight="bold">{escape(title)}</text>'
        if title
        else "",
    ]


def _empty(width: int, height: int, title: str, kind: str) -> str:
    out = _open(width, height, title, kind)
    out.append(
        f'<text class="empty" x="{width / 2:.1f}" y="{height / 2:.1f}" text-anchor="middle" '
        f'font-size="14" fill="#666666">{escape(gettext(EMPTY_TEXT))}</text>'
    )
    out.append("</svg>")
    return "\n".join(filter(None, out))


class _YAxis:
    """Maps values to pixel rows and draws the gridlines, tick labels and unit."""

    def __init__(self, values: Sequence[float], top: float, bottom: float) -> None:
        self.lo, self.hi, self.step = axis_range(values)
        self.top, self.bottom = top, bottom

    def y(self, value: float) -> float:
        share = (value - self.lo) / (self.hi - self.lo)
        return self.bottom - share * (self.bottom - self.top)

    def draw(self, left: float, right: float, unit: str) -> list[str]:
        out = ['<g class="y-axis" font-size="11" fill="#444444">']
        count = round((self.hi - self.lo) / self.step)
        for i in range(count + 1):
            value = self.lo + i * self.step
            y = self.y(value)
            out.append(
                f'<line x1="{left:.1f}" y1="{y:.1f}" x2="{right:.1f}" y2="{y:.1f}" '
                f'stroke="{"#888888" if abs(value) < 1e-9 else "#e3e3e3"}" stroke-width="1"/>'
            )
            out.append(
                f'<text class="tick" x="{left - 6:.1f}" y="{y + 4:.1f}" text-anchor="end">'
                f"{escape(format_number(value))}</text>"
            )
        if unit:
            out.append(
                f'<text class="unit" x="{left - 6:.1f}" y="{self.top - 10:.1f}" '
                f'text-anchor="end">{escape(unit)}</text>'
            )
        out.append("</g>")
        return out


def bar_chart(
    items: Sequence[tuple[str, float | None]],
    *,
    title: str = "",
    unit: str = "",
    width: int = 640,
    height: int = 320,
    colour: str = PALETTE[0],
) -> str:
    """Vertical bars, one per (label, value); a missing or non-finite value draws no bar.

    Each bar is a ``<rect class="bar">`` carrying ``data-label`` and ``data-value`` and a
    ``<title>`` tooltip, so tests and screen readers can read the numbers back.
    """
    values = _finite([v for _, v in items])
    if not items or not values:
        return _empty(width, height, title, "bar")
    left, right = _LEFT, width - _RIGHT
    top, bottom = _TOP, height - _BOTTOM
    axis = _YAxis(values, top, bottom)
    out = _open(width, height, title, "bar")
    out += axis.draw(left, right, unit)
    slot = (right - left) / len(items)
    bar_w = max(slot * 0.62, 1.0)
    zero = axis.y(0.0)
    out.append('<g class="bars">')
    labels = ['<g class="x-axis" font-size="12" fill="#222222" text-anchor="middle">']
    for i, (label, raw) in enumerate(items):
        cx = left + slot * (i + 0.5)
        labels.append(
            f'<text class="label" x="{cx:.1f}" y="{bottom + 18:.1f}">{escape(label)}</text>'
        )
        if raw is None or not math.isfinite(raw):
            continue
        value = float(raw)
        y = axis.y(value)
        rect_top, rect_h = min(y, zero), abs(zero - y)
        out.append(
            f'<rect class="bar" x="{cx - bar_w / 2:.2f}" y="{rect_top:.3f}" '
            f'width="{bar_w:.2f}" height="{rect_h:.3f}" fill="{colour}" '
            f"data-label={quoteattr(label)} data-value={quoteattr(repr(value))}>"
            f"<title>{escape(f'{label}: {format_number(value)} {unit}'.rstrip())}</title></rect>"
        )
        out.append(
            f'<text class="value" x="{cx:.1f}" y="{(y - 4 if value >= 0 else y + 14):.1f}" '
            f'text-anchor="middle" font-size="11" fill="#333333">'
            f"{escape(format_number(value))}</text>"
        )
    out.append("</g>")
    labels.append("</g>")
    out += labels
    out.append("</svg>")
    return "\n".join(filter(None, out))


def line_chart(
    x_labels: Sequence[str],
    series: Sequence[Series],
    *,
    title: str = "",
    unit: str = "",
    width: int = 640,
    height: int = 320,
) -> str:
    """One polyline per series over shared x labels (e.g. months), with a legend.

    A None value breaks the line instead of pretending the value was zero. At most about
    twelve x labels are written; the rest are thinned so they do not overlap.
    """
    values = _finite([v for s in series for v in s.values])
    if not x_labels or not values:
        return _empty(width, height, title, "line")
    # Room on the right for the last month's label, and under the title for the legend.
    left, right = _LEFT, width - _RIGHT - 20
    top, bottom = _TOP + (22.0 if len(series) > 1 else 0.0), height - _BOTTOM
    axis = _YAxis(values, top, bottom)
    out = _open(width, height, title, "line")
    out += axis.draw(left, right, unit)
    n = len(x_labels)
    step_x = (right - left) / max(n - 1, 1)

    def x_at(i: int) -> float:
        return left + (right - left) / 2 if n == 1 else left + i * step_x

    every = max(1, math.ceil(n / 12))
    out.append('<g class="x-axis" font-size="11" fill="#222222" text-anchor="middle">')
    for i, label in enumerate(x_labels):
        if i % every == 0 or i == n - 1:
            out.append(
                f'<text class="label" x="{x_at(i):.1f}" y="{bottom + 18:.1f}">{escape(label)}</text>'
            )
    out.append("</g>")
    for k, s in enumerate(series):
        colour = PALETTE[k % len(PALETTE)]
        out.append(
            f'<g class="series" data-name={quoteattr(s.name)} fill="{colour}" stroke="{colour}">'
        )
        run: list[str] = []
        runs: list[list[str]] = []
        for i, raw in enumerate(list(s.values)[:n]):
            if raw is None or not math.isfinite(raw):
                if run:
                    runs.append(run)
                run = []
                continue
            x, y = x_at(i), axis.y(float(raw))
            run.append(f"{x:.1f},{y:.1f}")
            out.append(
                f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="3" '
                f"data-value={quoteattr(repr(float(raw)))}><title>"
                f"{escape(f'{s.name} {x_labels[i]}: {format_number(float(raw))} {unit}'.rstrip())}"
                "</title></circle>"
            )
        if run:
            runs.append(run)
        for r in runs:
            out.append(
                f'<polyline class="line" fill="none" stroke-width="2" points="{" ".join(r)}"/>'
            )
        out.append("</g>")
    if len(series) > 1:
        out.append('<g class="legend" font-size="12">')
        x = left
        for k, s in enumerate(series):
            colour = PALETTE[k % len(PALETTE)]
            out.append(
                f'<rect x="{x:.1f}" y="{_TOP - 8:.1f}" width="12" height="4" fill="{colour}"/>'
            )
            out.append(f'<text x="{x + 16:.1f}" y="{_TOP - 3:.1f}">{escape(s.name)}</text>')
            x += 32 + text_width(s.name)
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(filter(None, out))


def hbar_chart(
    items: Sequence[tuple[str, float | None]],
    *,
    title: str = "",
    unit: str = "",
    width: int = 640,
    row_height: int = 22,
) -> str:
    """Horizontal bars, one row per (label, value): for many categories with long names.

    Bar *widths* are proportional to the values (from a zero line); the drawing grows in
    height with the number of rows so labels never overlap, which vertical bars cannot
    promise for eighteen Chinese material names.
    """
    values = _finite([v for _, v in items])
    if not items or not values:
        return _empty(width, 160, title, "hbar")
    label_w = min(max(text_width(label) for label, _ in items) + 12, width * 0.4)
    left, right = label_w + 8, width - 64.0
    top = _TOP + 14
    height = int(top + row_height * len(items) + 24)
    lo, hi, step = axis_range(values)

    def x_at(value: float) -> float:
        return left + (value - lo) / (hi - lo) * (right - left)

    out = _open(width, height, title, "hbar")
    out.append('<g class="x-axis" font-size="11" fill="#444444" text-anchor="middle">')
    for i in range(round((hi - lo) / step) + 1):
        value = lo + i * step
        x = x_at(value)
        out.append(
            f'<line x1="{x:.1f}" y1="{top - 4:.1f}" x2="{x:.1f}" y2="{height - 22:.1f}" '
            f'stroke="{"#888888" if abs(value) < 1e-9 else "#e3e3e3"}" stroke-width="1"/>'
        )
        out.append(
            f'<text class="tick" x="{x:.1f}" y="{top - 8:.1f}">{escape(format_number(value))}</text>'
        )
    if unit:
        out.append(
            f'<text class="unit" x="{left - 8:.1f}" y="{top - 8:.1f}" text-anchor="end">'
            f"{escape(unit)}</text>"
        )
    out.append("</g>")
    zero = x_at(0.0)
    out.append('<g class="bars" font-size="12">')
    for i, (label, raw) in enumerate(items):
        y = top + i * row_height
        out.append(
            f'<text class="label" x="{left - 8:.1f}" y="{y + row_height * 0.68:.1f}" '
            f'text-anchor="end" fill="#222222">{escape(label)}</text>'
        )
        if raw is None or not math.isfinite(raw):
            continue
        value = float(raw)
        x = x_at(value)
        out.append(
            f'<rect class="bar" x="{min(x, zero):.3f}" y="{y + 3:.1f}" width="{abs(x - zero):.3f}" '
            f'height="{row_height - 6}" fill="{PALETTE[0]}" data-label={quoteattr(label)} '
            f"data-value={quoteattr(repr(value))}>"
            f"<title>{escape(f'{label}: {format_number(value)} {unit}'.rstrip())}</title></rect>"
        )
        out.append(
            f'<text class="value" x="{max(x, zero) + 4:.1f}" y="{y + row_height * 0.68:.1f}" '
            f'font-size="11" fill="#333333">{escape(format_number(value))}</text>'
        )
    out.append("</g>")
    out.append("</svg>")
    return "\n".join(filter(None, out))
