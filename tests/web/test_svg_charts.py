"""The SVG chart module: valid XML, honest bar heights, readable axes, empty data."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import pytest

from market.web.charts import (
    EMPTY_TEXT,
    Series,
    axis_range,
    bar_chart,
    hbar_chart,
    line_chart,
    nice_step,
)
from market.web.i18n import gettext

NS = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{NS}svg"
    assert root.get("viewBox")
    assert "http" not in svg.replace("http://www.w3.org/2000/svg", "")  # nothing external
    return root


def by_class(root: ET.Element, tag: str, cls: str) -> list[ET.Element]:
    return [e for e in root.iter(f"{NS}{tag}") if e.get("class") == cls]


def test_bar_heights_are_proportional_to_values() -> None:
    root = parse(bar_chart([("磷石膏", 300.0), ("粉煤灰", 150.0), ("矿渣粉", 75.0)], unit="吨"))
    bars = by_class(root, "rect", "bar")
    assert [b.get("data-label") for b in bars] == ["磷石膏", "粉煤灰", "矿渣粉"]
    heights = [float(b.get("height", "0")) for b in bars]
    assert heights[0] > 0
    assert math.isclose(heights[1] / heights[0], 0.5, rel_tol=1e-3)
    assert math.isclose(heights[2] / heights[0], 0.25, rel_tol=1e-3)
    # Every bar stands on the same baseline (the zero line).
    bottoms = {round(float(b.get("y", "0")) + float(b.get("height", "0")), 2) for b in bars}
    assert len(bottoms) == 1


def test_axis_labels_ticks_and_unit() -> None:
    root = parse(bar_chart([("A", 1234.0), ("B", 42.0)], title="按物料", unit="吨 t"))
    ticks = [t.text for t in by_class(root, "text", "tick")]
    assert ticks == ["0", "250", "500", "750", "1,000", "1,250"]
    labels = [t.text for t in by_class(root, "text", "label")]
    assert labels == ["A", "B"]
    assert [t.text for t in by_class(root, "text", "unit")] == ["吨 t"]
    assert root.get("aria-label") == "按物料"
    assert root.find(f"{NS}title") is not None


def test_highest_tick_covers_the_largest_bar() -> None:
    lo, hi, step = axis_range([0.0, 97.0])
    assert lo == 0 and hi >= 97 and step in (10, 20, 25)
    assert nice_step(1000) in (200, 250)
    assert nice_step(0) == 1.0


def test_text_is_escaped() -> None:
    svg = bar_chart([("<script>&", 1.0)], title='"引号" & <b>')
    root = parse(svg)
    assert "<script>" not in svg
    assert by_class(root, "text", "label")[0].text == "<script>&"


def test_negative_values_hang_below_zero() -> None:
    root = parse(bar_chart([("收入", 10.0), ("处置费", -5.0)]))
    up, down = by_class(root, "rect", "bar")
    assert math.isclose(
        float(down.get("height", "0")) * 2, float(up.get("height", "0")), rel_tol=1e-3
    )
    assert (
        float(down.get("y", "0")) >= float(up.get("y", "0")) + float(up.get("height", "0")) - 0.01
    )


@pytest.mark.parametrize("items", [[], [("A", None)], [("A", float("nan"))]])
def test_empty_bar_chart_says_so(items: list[tuple[str, float | None]]) -> None:
    root = parse(bar_chart(items, title="空"))
    assert not by_class(root, "rect", "bar")
    assert by_class(root, "text", "empty")[0].text == gettext(EMPTY_TEXT)


def test_line_chart_points_gaps_and_legend() -> None:
    months = ["2025-01", "2025-02", "2025-03", "2025-04"]
    svg = line_chart(
        months,
        [Series("产生量", [100.0, 120.0, None, 90.0]), Series("利用量", [60.0, 80.0, 70.0, 85.0])],
        unit="吨",
    )
    root = parse(svg)
    series = [g for g in root.iter(f"{NS}g") if g.get("class") == "series"]
    assert [g.get("data-name") for g in series] == ["产生量", "利用量"]
    first_lines = [e for e in series[0] if e.tag == f"{NS}polyline"]
    assert len(first_lines) == 2  # the missing month breaks the line
    points = [e for e in series[1] if e.get("class") == "point"]
    ys = [float(p.get("cy", "0")) for p in points]
    assert ys[1] < ys[0]  # 80 is drawn higher than 60 (SVG y grows downwards)
    assert [t.text for t in by_class(root, "text", "label")] == months
    legend = [g for g in root.iter(f"{NS}g") if g.get("class") == "legend"]
    assert legend and "产生量" in ET.tostring(legend[0], encoding="unicode")


def test_empty_line_chart_says_so() -> None:
    root = parse(line_chart([], []))
    assert by_class(root, "text", "empty")[0].text == gettext(EMPTY_TEXT)
    root = parse(line_chart(["2025-01"], [Series("x", [None])]))
    assert by_class(root, "text", "empty")


def test_many_months_are_thinned() -> None:
    months = [f"2024-{m:02d}" for m in range(1, 13)] + [f"2025-{m:02d}" for m in range(1, 13)]
    root = parse(line_chart(months, [Series("x", [float(i) for i in range(24)])]))
    labels = by_class(root, "text", "label")
    assert 2 <= len(labels) <= 13 and labels[-1].text == "2025-12"


def test_horizontal_bars_for_many_categories() -> None:
    items = [(f"物料{i}", float(100 * (i + 1))) for i in range(18)]
    root = parse(hbar_chart(items, title="按物料", unit="吨"))
    bars = by_class(root, "rect", "bar")
    assert len(bars) == 18
    widths = [float(b.get("width", "0")) for b in bars]
    assert math.isclose(widths[9] / widths[0], 10.0, rel_tol=1e-3)
    ys = [float(b.get("y", "0")) for b in bars]
    assert ys == sorted(set(ys))  # one row each, top to bottom, no overlap
    assert int(root.get("height", "0")) > 18 * 20
    assert by_class(parse(hbar_chart([])), "text", "empty")
