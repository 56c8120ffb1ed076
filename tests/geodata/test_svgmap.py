from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from shapely.geometry import Point, Polygon
from shapely.ops import unary_union

from geodata.datums import gcj02_to_wgs84
from geodata.regions import Region, schematic_regions
from geodata.svgmap import (
    FONT_FAMILY,
    MapFlow,
    MapPoint,
    draw_map,
    flow_width,
    map_frame,
    nice_length_km,
    project_point,
    ramp_colour,
)

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def regions() -> list[Region]:
    return schematic_regions()


def _path_polygon(d: str) -> Polygon:
    """Parse our ``M x y L x y … Z`` path data back into a shapely geometry (even-odd)."""
    rings = []
    for sub in re.findall(r"M([^MZ]+)Z", d):
        numbers = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", sub)]
        rings.append(Polygon(list(zip(numbers[0::2], numbers[1::2], strict=True))))
    geom = rings[0]
    for ring in rings[1:]:
        geom = geom.symmetric_difference(ring)
    return geom


def _by_id(root: ET.Element, ident: str) -> ET.Element:
    found = [e for e in root.iter() if e.get("id") == ident]
    assert len(found) == 1, ident
    return found[0]


def test_map_parses_and_contains_names(regions: list[Region]) -> None:
    svg = draw_map(regions, title="荆门市 <固废> & 再生资源")
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("font-family") == FONT_FAMILY
    texts = "".join(t.text or "" for t in root.iter(f"{SVG}text"))
    for name in ("东宝区", "掇刀区", "沙洋县", "钟祥市", "京山市"):
        assert name in texts
    assert "荆门市 <固废> & 再生资源" in texts  # escaped in the source, intact once parsed
    assert "&lt;固废&gt; &amp;" in svg
    assert "http://" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")
    for region in regions:
        path = _by_id(root, f"region-{region.code}")
        assert path.get("data-code") == region.code
    assert _by_id(root, "north-arrow") is not None
    assert "Approximate boundaries" in texts


def test_point_in_zhongxiang_lands_inside_its_path(regions: list[Region]) -> None:
    width, height = 800, 600
    svg = draw_map(regions, width=width, height=height)
    root = ET.fromstring(svg)
    frame = map_frame(regions, width=width, height=height)
    lon, lat = gcj02_to_wgs84(112.5873, 31.1656)  # 钟祥 seat
    x, y = project_point(frame, lon, lat)
    zhongxiang = _path_polygon(_by_id(root, "region-420881").get("d") or "")
    assert zhongxiang.contains(Point(x, y))
    dongbao = _path_polygon(_by_id(root, "region-420802").get("d") or "")
    assert not dongbao.contains(Point(x, y))
    # 钟祥 is north-east of 沙洋: SVG y grows downwards.
    sx, sy = project_point(frame, *gcj02_to_wgs84(112.5952, 30.7036))
    assert sy > y + 100 and abs(sx - x) < 10


def test_drawing_fits_the_viewport_with_margins(regions: list[Region]) -> None:
    root = ET.fromstring(draw_map(regions, width=640, height=480, title="t"))
    shapes = [
        _path_polygon(p.get("d") or "")
        for p in root.iter(f"{SVG}path")
        if (p.get("id") or "").startswith("region-")
    ]
    minx, miny, maxx, maxy = unary_union(shapes).bounds
    assert minx >= 19 and miny >= 19 + 30 and maxx <= 640 - 19 and maxy <= 480 - 19
    # …and actually uses the space: one dimension spans most of the drawing area.
    assert (maxx - minx) > 0.9 * (640 - 40) or (maxy - miny) > 0.9 * (480 - 20 - 56 - 44)


def test_shape_is_not_squashed(regions: list[Region]) -> None:
    # The city is ~155 km east-west and ~135 km north-south; raw lon/lat would give ~1.26.
    frame = map_frame(regions)
    x0, y0 = frame.project(112.0, 31.0)
    x1, _ = frame.project(113.0, 31.0)
    _, y1 = frame.project(112.0, 32.0)
    ratio = (x1 - x0) / (y0 - y1)
    assert ratio == pytest.approx(95.5 / 110.9, rel=0.01)


def test_choropleth_has_legend_and_ramp(regions: list[Region]) -> None:
    values = {"420802": 10.0, "420881": 90.0, "420882": 50.0}
    root = ET.fromstring(draw_map(regions, values=values, value_label="吨/年"))
    legend = _by_id(root, "legend")
    legend_text = "".join(t.text or "" for t in legend.iter(f"{SVG}text"))
    assert "吨/年" in legend_text and "10" in legend_text and "90" in legend_text
    fills = {c: _by_id(root, f"region-{c}").get("fill") for c in ("420802", "420881", "420822")}
    assert fills["420802"] == ramp_colour(10, 10, 90) == "#f0f9e8"
    assert fills["420881"] == ramp_colour(90, 10, 90) == "#0868ac"
    assert fills["420822"] == "#eeeeee"  # no value
    no_legend = ET.fromstring(draw_map(regions))
    assert not [e for e in no_legend.iter() if e.get("id") == "legend"]


def test_points_have_titles(regions: list[Region]) -> None:
    points = [
        MapPoint(112.2, 31.0, "磷石膏 <供应>", "supply"),
        MapPoint(112.6, 31.2, "需求", "demand"),
    ]
    root = ET.fromstring(draw_map(regions, points=points))
    circles = list(root.iter(f"{SVG}circle"))
    assert len(circles) == 2
    titles = [c.find(f"{SVG}title") for c in circles]
    assert [t.text for t in titles if t is not None] == ["磷石膏 <供应>", "需求"]
    assert circles[0].get("fill") != circles[1].get("fill")


def test_flow_widths_grow_with_tonnes(regions: list[Region]) -> None:
    flows = [
        MapFlow(112.2, 31.0, 112.6, 31.2, 100.0, "a"),
        MapFlow(112.2, 31.0, 113.1, 31.0, 5000.0, "b"),
        MapFlow(112.6, 30.7, 112.2, 31.0, 1000.0, "c"),
    ]
    root = ET.fromstring(draw_map(regions, flows=flows))
    paths = [p for p in root.iter(f"{SVG}path") if p.get("class") == "flow"]
    widths = {p.get("data-tonnes"): float(p.get("stroke-width") or 0) for p in paths}
    assert widths["100"] < widths["1000"] < widths["5000"]
    assert widths["5000"] == pytest.approx(10.0)
    assert flow_width(0.0, 10.0) == flow_width(-5.0, 10.0) == 1.0
    assert flow_width(1e9, 10.0) == 10.0


def test_scale_bar_is_a_round_figure_and_true_length(regions: list[Region]) -> None:
    svg = draw_map(regions, width=800, height=600)
    root = ET.fromstring(svg)
    bar = _by_id(root, "scale-bar")
    km = float(bar.get("data-km") or 0)
    assert km in (10, 20, 50)
    rects = list(bar.iter(f"{SVG}rect"))
    length_px = sum(float(r.get("width") or 0) for r in rects)
    frame = map_frame(regions, width=800, height=600)
    assert length_px == pytest.approx(km * 1000 * frame.scale, rel=1e-3)


@pytest.mark.parametrize(
    ("max_km", "expected"), [(37.0, 20.0), (50.0, 50.0), (9.99, 5.0), (0.7, 0.5), (123.0, 100.0)]
)
def test_nice_length(max_km: float, expected: float) -> None:
    assert nice_length_km(max_km) == pytest.approx(expected)


def test_empty_map_still_draws() -> None:
    root = ET.fromstring(draw_map([]))
    assert root.get("width") == "800"
    assert not [e for e in root.iter() if e.get("id") == "approximate-note"]
