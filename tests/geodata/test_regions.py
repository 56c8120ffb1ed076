from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
from shapely.geometry import MultiPolygon, Polygon, shape

from geodata.datums import gcj02_to_wgs84
from geodata.places import DISTRICT_CODES, PARK_CODES, PLACES, PLACES_BY_CODE
from geodata.projection import LocalProjection
from geodata.regions import (
    GeoJSONError,
    Region,
    RegionIndex,
    regions_from_geojson,
    regions_to_feature_collection,
    schematic_envelope,
    schematic_regions,
)

SEATS_GCJ = {
    "420802": (112.2048, 31.0335),
    "420804": (112.1984, 30.9808),
    "420822": (112.5952, 30.7036),
    "420881": (112.5873, 31.1656),
    "420882": (113.1146, 31.0225),
}


@pytest.fixture(scope="module")
def schematic() -> list[Region]:
    return schematic_regions()


@pytest.fixture(scope="module")
def datav(jingmen_datav_path: Path) -> list[Region]:
    return regions_from_geojson(
        jingmen_datav_path.read_text(encoding="utf-8"), "district", repair=True
    )


def _square(x0: float, y0: float, size: float = 0.1) -> list[list[list[float]]]:
    return [[[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size], [x0, y0]]]


def _collection(*features: dict[str, Any]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


def _feature(code: Any = 420802, name: Any = "东宝区", geometry: Any = None) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": {"adcode": code, "name": name},
        "geometry": geometry
        if geometry is not None
        else {"type": "Polygon", "coordinates": _square(112.1, 31.0)},
    }


# --- schematic -----------------------------------------------------------------------------


def test_schematic_has_five_districts_and_five_parks(schematic: list[Region]) -> None:
    districts = [r for r in schematic if r.kind == "district"]
    parks = [r for r in schematic if r.kind == "park"]
    assert [r.code for r in districts] == list(DISTRICT_CODES)
    assert {r.code for r in parks} == set(PARK_CODES)
    assert {"P-JMCIRC", "P-ZXHUJI", "P-SYCHEM", "P-DBCIRC", "P-JMBATT"} == set(PARK_CODES)
    assert all(r.approximate for r in schematic)
    assert all(r.geometry.is_valid and not r.geometry.is_empty for r in schematic)
    assert {r.name_zh for r in districts} == {"东宝区", "掇刀区", "沙洋县", "钟祥市", "京山市"}


def test_schematic_districts_tile_the_envelope(schematic: list[Region]) -> None:
    districts = [r.geometry for r in schematic if r.kind == "district"]
    envelope = schematic_envelope()
    union = shapely.union_all(districts)
    assert union.symmetric_difference(envelope).area / envelope.area < 1e-9
    overlap = sum(d.area for d in districts) - union.area
    assert overlap / envelope.area < 1e-9
    # Every point inside the outline is attributed to a district.
    rng = np.random.default_rng(3)
    minx, miny, maxx, maxy = envelope.bounds
    lons, lats = rng.uniform(minx, maxx, 50_000), rng.uniform(miny, maxy, 50_000)
    inside = shapely.contains_xy(envelope, lons, lats)
    found, _ = RegionIndex(schematic).locate_many(lons[inside], lats[inside])
    assert None not in found
    # The city is about 12,400 km²; the outline is hand-made but should be in that range.
    area_km2 = LocalProjection(112.6, 31.0).project_geometry(envelope).area / 1e6
    assert 10_000 < area_km2 < 15_000


def test_schematic_relative_sizes_are_plausible(schematic: list[Region]) -> None:
    proj = LocalProjection(112.6, 31.0)
    area = {
        r.code: proj.project_geometry(r.geometry).area / 1e6
        for r in schematic
        if r.kind == "district"
    }
    assert max(area, key=lambda c: area[c]) == "420881"  # 钟祥 is the largest
    assert min(area, key=lambda c: area[c]) == "420804"  # 掇刀 the smallest


def test_schematic_places_fall_in_their_district(schematic: list[Region]) -> None:
    index = RegionIndex(schematic)
    for place in PLACES:
        if place.district_code is None:
            continue
        district, park = index.locate(*place.wgs84())
        assert district == place.district_code, place.name_zh
        if place.kind == "park":
            assert park == place.code


def test_schematic_parks_are_small_and_inside_their_parent(schematic: list[Region]) -> None:
    proj = LocalProjection(112.6, 31.0)
    by_code = {r.code: r for r in schematic}
    for code in PARK_CODES:
        park = by_code[code]
        assert park.parent_code == PLACES_BY_CODE[code].district_code
        assert park.parent_code is not None
        area_km2 = proj.project_geometry(park.geometry).area / 1e6
        assert 5 < area_km2 < 30
        parent = by_code[park.parent_code].geometry
        assert parent.buffer(1e-9).contains(park.geometry)


def test_schematic_resembles_official_outlines(
    schematic: list[Region], datav: list[Region]
) -> None:
    proj = LocalProjection(112.6, 31.0)
    official = {r.code: proj.project_geometry(r.geometry) for r in datav}
    ious = []
    for region in schematic:
        if region.kind != "district":
            continue
        mine = proj.project_geometry(region.geometry)
        ious.append(
            mine.intersection(official[region.code]).area / mine.union(official[region.code]).area
        )
    assert min(ious) > 0.6
    assert float(np.mean(ious)) > 0.75


def test_to_feature_is_rfc7946(schematic: list[Region]) -> None:
    feature = schematic[-1].to_feature()
    assert feature["type"] == "Feature"
    props = feature["properties"]
    assert props["code"] == schematic[-1].code
    assert props["kind"] == "park" and props["approximate"] is True
    assert set(props) >= {"code", "name_zh", "name_en", "kind", "approximate"}
    text = json.dumps(feature, ensure_ascii=False)
    geom = shape(feature["geometry"])
    assert geom.geom_type in ("Polygon", "MultiPolygon")
    coords = shapely.get_coordinates(geom)
    assert np.allclose(coords, np.round(coords, 6))
    assert coords[:, 0].min() > 111 and coords[:, 1].max() < 32  # lon, lat order
    assert "动力" in text or props["name_zh"] in text
    assert len(regions_to_feature_collection(schematic)["features"]) == len(schematic)


# --- import --------------------------------------------------------------------------------


def test_import_real_datav_file(datav: list[Region]) -> None:
    assert len(datav) == 5
    assert {r.code for r in datav} == set(DISTRICT_CODES)
    assert all(not r.approximate and r.kind == "district" for r in datav)
    names = {r.code: (r.name_zh, r.name_en) for r in datav}
    assert names["420881"] == ("钟祥市", "Zhongxiang")
    assert names["420804"][1] == "Duodao District"


def test_real_datav_seats_and_places_locate(datav: list[Region]) -> None:
    index = RegionIndex(datav)
    for code, (lon, lat) in SEATS_GCJ.items():
        assert index.locate(*gcj02_to_wgs84(lon, lat)) == (code, None)
    for place in PLACES:
        if place.district_code is not None:
            assert index.locate(*place.wgs84())[0] == place.district_code, place.name_zh


def test_real_datav_is_strictly_invalid_without_repair(jingmen_datav_path: Path) -> None:
    # The public export's 钟祥市 MultiPolygon has two parts sharing an edge.
    with pytest.raises(GeoJSONError) as info:
        regions_from_geojson(json.loads(jingmen_datav_path.read_text(encoding="utf-8")), "district")
    assert info.value.feature_index == 3
    assert "invalid polygon" in info.value.reason
    assert "Self-intersection" in info.value.reason


def test_import_converts_gcj02_to_wgs84() -> None:
    regions = regions_from_geojson(_collection(_feature()), "district")
    (region,) = regions
    x0, y0 = region.geometry.exterior.coords[0]
    assert (x0, y0) == pytest.approx(gcj02_to_wgs84(112.1, 31.0), abs=1e-9)
    wgs = regions_from_geojson(_collection(_feature()), "district", crs="WGS84")
    assert wgs[0].geometry.exterior.coords[0] == pytest.approx((112.1, 31.0))
    assert region.name_en == "Dongbao District"


def test_import_unknown_code_uses_chinese_name_as_english() -> None:
    feature = _feature(code="P-NEW", name="新园区")
    feature["properties"]["name_en"] = ""
    (region,) = regions_from_geojson(_collection(feature), "park", crs="wgs84")
    assert region.name_en == "新园区"
    assert region.kind == "park"


def _bad_cases() -> list[tuple[Any, str, int | None]]:
    bowtie = {
        "type": "Polygon",
        "coordinates": [[[112, 31], [112.1, 31.1], [112.1, 31], [112, 31.1], [112, 31]]],
    }
    out_of_range = {"type": "Polygon", "coordinates": _square(112.0, 89.95)}
    point = {"type": "Point", "coordinates": [112.0, 31.0]}
    no_name = _feature()
    del no_name["properties"]["name"]
    no_code = _feature()
    del no_code["properties"]["adcode"]
    return [
        ({"type": "Feature"}, "not a GeoJSON FeatureCollection", None),
        ("{not json", "not valid JSON", None),
        (
            _collection(_feature(), _feature(code=420804, geometry=point)),
            "Polygon or MultiPolygon",
            1,
        ),
        (_collection(no_name), "missing property 'name'", 0),
        (_collection(no_code), "missing property 'adcode'", 0),
        (_collection(_feature(), _feature(code=420881, geometry=bowtie)), "Self-intersection", 1),
        (_collection(_feature(geometry=out_of_range)), "lat must be", 0),
        (_collection(_feature(), _feature()), "duplicate code", 1),
    ]


@pytest.mark.parametrize(("data", "fragment", "index"), _bad_cases())
def test_import_rejects_bad_input(data: Any, fragment: str, index: int | None) -> None:
    with pytest.raises(GeoJSONError) as info:
        regions_from_geojson(copy.deepcopy(data), "district", crs="wgs84")
    assert fragment in info.value.reason
    assert info.value.feature_index == index
    if index is not None:
        assert f"feature {index}" in str(info.value)


def test_bowtie_is_not_repairable() -> None:
    bowtie = {
        "type": "Polygon",
        "coordinates": [[[112, 31], [112.1, 31.1], [112.1, 31], [112, 31.1], [112, 31]]],
    }
    with pytest.raises(GeoJSONError, match="not repairable"):
        regions_from_geojson(_collection(_feature(geometry=bowtie)), "district", repair=True)


def test_import_unknown_crs_and_kind() -> None:
    with pytest.raises(GeoJSONError, match="accepted values"):
        regions_from_geojson(_collection(_feature()), "district", crs="osgb36")
    with pytest.raises(GeoJSONError, match="kind"):
        regions_from_geojson(_collection(_feature()), "county")


# --- index ---------------------------------------------------------------------------------


def test_locate_many_matches_locate_and_handles_outside(schematic: list[Region]) -> None:
    index = RegionIndex(schematic)
    rng = np.random.default_rng(7)
    lons = rng.uniform(111.7, 113.7, 2000)
    lats = rng.uniform(30.2, 31.8, 2000)
    districts, parks = index.locate_many(lons, lats)
    assert len(districts) == len(parks) == 2000
    assert None in districts  # the box is bigger than the city
    assert set(districts) - {None} == set(DISTRICT_CODES)
    for i in range(0, 2000, 101):
        assert index.locate(float(lons[i]), float(lats[i])) == (districts[i], parks[i])
    geoms = {r.code: r.geometry for r in schematic}
    for i in range(0, 2000, 37):
        code = districts[i]
        inside = shapely.contains_xy(geoms[code], lons[i], lats[i]) if code else False
        assert bool(inside) == (code is not None)
    assert index.locate(0.0, 0.0) == (None, None)


def test_locate_park_point(schematic: list[Region]) -> None:
    index = RegionIndex(schematic)
    lon, lat = gcj02_to_wgs84(112.306, 31.420)
    assert index.locate(lon, lat) == ("420881", "P-ZXHUJI")


def test_border_point_goes_to_first_listed_region() -> None:
    left = Region("A", "甲", "A", "district", Polygon(_square(0.0, 0.0, 1.0)[0]), False)
    right = Region("B", "乙", "B", "district", Polygon(_square(1.0, 0.0, 1.0)[0]), False)
    assert RegionIndex([left, right]).locate(1.0, 0.5) == ("A", None)
    assert RegionIndex([right, left]).locate(1.0, 0.5) == ("B", None)
    multi = Region("M", "丙", "M", "district", MultiPolygon([right.geometry]), False)
    assert RegionIndex([multi]).locate_many([1.5, 5.0], [0.5, 0.5]) == (["M", None], [None, None])
