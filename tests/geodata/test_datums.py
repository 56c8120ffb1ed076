from __future__ import annotations

import math

import numpy as np
import pytest

from geodata.datums import (
    SUPPORTED_CRS,
    CoordinateError,
    CoordinateRangeError,
    UnknownCRSError,
    bd09_to_gcj02,
    bd09_to_gcj02_array,
    bd09_to_wgs84,
    from_wgs84,
    gcj02_to_bd09,
    gcj02_to_bd09_array,
    gcj02_to_wgs84,
    gcj02_to_wgs84_array,
    normalise_crs,
    to_wgs84,
    to_wgs84_array,
    validate_lonlat,
    wgs84_to_bd09,
    wgs84_to_gcj02,
    wgs84_to_gcj02_array,
)
from geodata.distance import geodesic_km

# Published test vectors of the public GCJ-02 reconstruction (eviltransform's test suite):
# (wgs_lon, wgs_lat, gcj_lon, gcj_lat).
EVILTRANSFORM_VECTORS = [
    (121.5272106, 31.1774276, 121.531541859215, 31.17530398364597),  # Shanghai
    (113.912316, 22.543847, 113.9171764808363, 22.540796131694766),  # Shenzhen
    (116.377817, 39.911954, 116.38404722455657, 39.91334545536069),  # Beijing
]

JINGMEN_SEATS_GCJ = [
    (112.2048, 31.0335),
    (112.1984, 30.9808),
    (112.5952, 30.7036),
    (112.5873, 31.1656),
    (113.1146, 31.0225),
]


def _grid_over_china() -> tuple[np.ndarray, np.ndarray]:
    lons, lats = np.meshgrid(np.linspace(73.5, 134.5, 61), np.linspace(18.5, 53.0, 36))
    return lons.ravel(), lats.ravel()


@pytest.mark.parametrize(("w_lon", "w_lat", "g_lon", "g_lat"), EVILTRANSFORM_VECTORS)
def test_wgs84_to_gcj02_matches_published_vectors(
    w_lon: float, w_lat: float, g_lon: float, g_lat: float
) -> None:
    lon, lat = wgs84_to_gcj02(w_lon, w_lat)
    assert lon == pytest.approx(g_lon, abs=1e-9)
    assert lat == pytest.approx(g_lat, abs=1e-9)


@pytest.mark.parametrize(("w_lon", "w_lat", "g_lon", "g_lat"), EVILTRANSFORM_VECTORS)
def test_gcj02_to_wgs84_recovers_published_vectors_within_1cm(
    w_lon: float, w_lat: float, g_lon: float, g_lat: float
) -> None:
    lon, lat = gcj02_to_wgs84(g_lon, g_lat)
    assert geodesic_km(lon, lat, w_lon, w_lat) * 1000 < 0.01


def test_bd09_matches_coordtransform_reference_pair() -> None:
    # The widely published coordtransform example around Tiananmen: GCJ (116.404, 39.915)
    # → BD-09 (116.41036949371029, 39.92133699351021).
    lon, lat = gcj02_to_bd09(116.404, 39.915)
    assert (lon, lat) == pytest.approx((116.41036949371029, 39.92133699351021), abs=1e-9)
    # Its published approximate inverse gives (116.39762729119315, 39.90865673957631);
    # ours is refined, so it agrees to well under a metre and round-trips exactly.
    back = bd09_to_gcj02(116.404, 39.915)
    assert back == pytest.approx((116.39762729119315, 39.90865673957631), abs=1e-6)
    assert gcj02_to_bd09(*back) == pytest.approx((116.404, 39.915), abs=1e-12)


def test_gcj02_round_trip_below_1cm_over_china_grid() -> None:
    worst_m = 0.0
    for lon, lat in zip(*_grid_over_china(), strict=True):
        back = gcj02_to_wgs84(*wgs84_to_gcj02(float(lon), float(lat)))
        worst_m = max(worst_m, geodesic_km(back[0], back[1], float(lon), float(lat)) * 1000)
    assert worst_m < 0.01


def test_vectorised_inverse_matches_scalar_and_round_trips() -> None:
    lons, lats = _grid_over_china()
    g_lons, g_lats = wgs84_to_gcj02_array(lons, lats)
    w_lons, w_lats = gcj02_to_wgs84_array(g_lons, g_lats)
    # 1e-8 degrees is about 1 mm.
    assert np.abs(w_lons - lons).max() < 1e-8
    assert np.abs(w_lats - lats).max() < 1e-8
    for i in range(0, lons.size, 97):
        assert (g_lons[i], g_lats[i]) == pytest.approx(
            wgs84_to_gcj02(float(lons[i]), float(lats[i])), abs=1e-12
        )
        assert (w_lons[i], w_lats[i]) == pytest.approx(
            gcj02_to_wgs84(float(g_lons[i]), float(g_lats[i])), abs=1e-8
        )


@pytest.mark.parametrize(("lon", "lat"), JINGMEN_SEATS_GCJ)
def test_forward_offset_in_jingmen_is_a_few_hundred_metres(lon: float, lat: float) -> None:
    w_lon, w_lat = gcj02_to_wgs84(lon, lat)
    offset_m = geodesic_km(lon, lat, w_lon, w_lat) * 1000
    assert 200 < offset_m < 800
    # In central China GCJ-02 lies east of WGS84.
    assert lon > w_lon


@pytest.mark.parametrize(("lon", "lat"), JINGMEN_SEATS_GCJ)
def test_bd09_is_roughly_0065_006_degrees_from_gcj02(lon: float, lat: float) -> None:
    b_lon, b_lat = gcj02_to_bd09(lon, lat)
    assert b_lon - lon == pytest.approx(0.0065, abs=0.001)
    assert b_lat - lat == pytest.approx(0.006, abs=0.001)
    assert bd09_to_gcj02(b_lon, b_lat) == pytest.approx((lon, lat), abs=1e-10)


def test_bd09_wgs84_round_trip_and_vectorised_agree() -> None:
    lons, lats = _grid_over_china()
    b_lons, b_lats = gcj02_to_bd09_array(lons, lats)
    g_lons, g_lats = bd09_to_gcj02_array(b_lons, b_lats)
    assert np.abs(g_lons - lons).max() < 1e-10
    assert np.abs(g_lats - lats).max() < 1e-10
    w = wgs84_to_bd09(112.2, 31.0)
    assert bd09_to_wgs84(*w) == pytest.approx((112.2, 31.0), abs=1e-9)


@pytest.mark.parametrize(("lon", "lat"), [(2.3522, 48.8566), (-74.006, 40.7128), (151.2, -33.9)])
def test_outside_china_gcj02_is_identity(lon: float, lat: float) -> None:
    assert wgs84_to_gcj02(lon, lat) == (lon, lat)
    assert gcj02_to_wgs84(lon, lat) == (lon, lat)
    a_lon, a_lat = gcj02_to_wgs84_array([lon], [lat])
    assert (a_lon[0], a_lat[0]) == (lon, lat)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("WGS84", "wgs84"),
        (" gcj02 ", "gcj02"),
        ("GCJ-02", "gcj02"),
        ("bd09", "bd09"),
        ("CGCS2000", "wgs84"),
        ("cgcs2000", "wgs84"),
    ],
)
def test_normalise_crs(name: str, expected: str) -> None:
    assert normalise_crs(name) == expected


def test_unknown_crs_names_the_field_and_lists_accepted_values() -> None:
    with pytest.raises(UnknownCRSError) as info:
        normalise_crs("mercator")
    assert info.value.field == "crs"
    assert isinstance(info.value, CoordinateError)
    assert isinstance(info.value, ValueError)
    for name in SUPPORTED_CRS:
        assert name in info.value.reason


@pytest.mark.parametrize(
    ("lon", "lat", "field", "fragment"),
    [
        (112.0, 91.0, "lat", "lat must be between -90 and 90, got 91"),
        (181.0, 31.0, "lon", "lon must be between -180 and 180, got 181"),
        (112.0, -90.5, "lat", "lat must be between -90 and 90, got -90.5"),
        (112.0, math.nan, "lat", "finite"),
        (math.inf, 31.0, "lon", "finite"),
    ],
)
def test_validate_lonlat_names_the_field(lon: float, lat: float, field: str, fragment: str) -> None:
    with pytest.raises(CoordinateRangeError) as info:
        validate_lonlat(lon, lat)
    assert info.value.field == field
    assert fragment in info.value.reason
    if "between" in fragment:
        assert info.value.reason == fragment


def test_validate_lonlat_accepts_edges() -> None:
    validate_lonlat(-180.0, -90.0)
    validate_lonlat(180.0, 90.0)


def test_to_and_from_wgs84_dispatch_on_crs() -> None:
    g = (112.5873, 31.1656)
    w = to_wgs84(*g, "gcj02")
    assert w == pytest.approx(gcj02_to_wgs84(*g), abs=1e-12)
    assert from_wgs84(*w, "GCJ02") == pytest.approx(g, abs=1e-9)
    assert to_wgs84(*g, "cgcs2000") == g
    b = from_wgs84(*w, "bd09")
    assert to_wgs84(*b, "bd09") == pytest.approx(w, abs=1e-9)
    with pytest.raises(CoordinateRangeError):
        to_wgs84(112.0, 95.0, "gcj02")
    with pytest.raises(UnknownCRSError):
        from_wgs84(112.0, 31.0, "utm")


def test_to_wgs84_array_rejects_bad_element_with_position() -> None:
    with pytest.raises(CoordinateRangeError) as info:
        to_wgs84_array([112.0, 112.1, 112.2], [31.0, np.nan, 31.0], "gcj02")
    assert info.value.field == "lat"
    assert "position 1" in info.value.reason
