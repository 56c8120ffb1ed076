from __future__ import annotations

from typing import Any

import geopy.exc
import pytest
from geopy.geocoders import Nominatim
from geopy.location import Location

from geodata.datums import bd09_to_wgs84, gcj02_to_wgs84
from geodata.distance import geodesic_km
from geodata.gazetteer import (
    USER_AGENT,
    Gazetteer,
    GeocoderUnavailable,
    geocode_place,
    get_geocoder,
)
from geodata.places import PLACES, PLACES_BY_CODE


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer()


def _name(location: Location | list[Location] | None) -> str:
    assert isinstance(location, Location)
    return str(location.raw["name_zh"])


@pytest.mark.parametrize(
    "query",
    [
        "钟祥市胡集镇",
        "胡集镇",
        "胡集",
        "荆门市钟祥市胡集镇xx路",
        "湖北省 荆门市 钟祥市 胡集镇 ３号",
        "Huji",
    ],
)
def test_huji_spellings(gazetteer: Gazetteer, query: str) -> None:
    assert _name(gazetteer.geocode(query)) == "胡集镇"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("钟祥市", "钟祥市"),
        ("钟祥", "钟祥市"),
        ("Zhongxiang", "钟祥市"),
        ("Huji Town, Zhongxiang", "胡集镇"),  # the town, not the longer district name
        ("京山市长寿路12号", "京山市"),  # a street named after a town elsewhere
        ("沙洋", "沙洋县"),  # a bare name means the county, not its seat town
        ("沙洋县沙洋镇", "沙洋镇"),
        ("屈家岭", "屈家岭管理区"),
        ("荆门高新区", "荆门高新区"),
        ("东宝区石桥驿镇", "石桥驿镇"),
        ("石桥驿东宝化工循环产业园", "东宝化工循环产业园"),
        ("荆门", "荆门市"),
        ("jingshan", "京山市"),
    ],
)
def test_most_specific_consistent_match_wins(
    gazetteer: Gazetteer, query: str, expected: str
) -> None:
    assert _name(gazetteer.geocode(query)) == expected


def test_answers_are_wgs84(gazetteer: Gazetteer) -> None:
    location = gazetteer.geocode("钟祥胡集化工园区")
    assert isinstance(location, Location)
    expected_lon, expected_lat = gcj02_to_wgs84(112.306, 31.420)
    assert location.longitude == pytest.approx(expected_lon, abs=1e-9)
    assert location.latitude == pytest.approx(expected_lat, abs=1e-9)
    assert location.raw["crs"] == "wgs84"
    assert location.raw["approximate"] is True
    assert location.address == "湖北省荆门市钟祥市钟祥胡集化工园区"
    # The stored GCJ-02 point is a few hundred metres away from the answer.
    assert 0.2 < geodesic_km(112.306, 31.420, location.longitude, location.latitude) < 0.8


def test_exactly_one_false_returns_ranked_list(gazetteer: Gazetteer) -> None:
    locations = gazetteer.geocode("荆门市钟祥市胡集镇", exactly_one=False)
    assert isinstance(locations, list)
    assert [loc.raw["name_zh"] for loc in locations[:3]] == ["胡集镇", "钟祥市", "荆门市"]


def test_no_match_and_extra_kwargs(gazetteer: Gazetteer) -> None:
    assert gazetteer.geocode("北京市海淀区") is None
    assert gazetteer.geocode("   ") is None
    assert _name(gazetteer.geocode("掇刀", timeout=3, language="zh")) == "掇刀区"


def test_every_place_is_found_by_its_own_name(gazetteer: Gazetteer) -> None:
    for place in PLACES:
        assert gazetteer.place(place.name_zh) == place, place.name_zh


def test_table_points_lie_in_jingmen() -> None:
    centre = PLACES_BY_CODE["420800"]
    for place in PLACES:
        assert geodesic_km(centre.lon, centre.lat, place.lon, place.lat) < 110, place.name_zh


def test_get_geocoder_offline_and_online() -> None:
    assert isinstance(get_geocoder(None), Gazetteer)
    assert isinstance(get_geocoder(""), Gazetteer)
    assert isinstance(get_geocoder("Offline"), Gazetteer)
    online = get_geocoder("nominatim", timeout=3)
    assert isinstance(online, Nominatim)
    assert online.headers["User-Agent"] == USER_AGENT
    assert online.timeout == 3


def test_get_geocoder_unknown_name() -> None:
    with pytest.raises(ValueError, match="unknown geocoder 'no-such-service'"):
        get_geocoder("no-such-service")


def test_geocode_place_offline(gazetteer: Gazetteer) -> None:
    lon, lat = geocode_place(gazetteer, "胡集镇") or (0.0, 0.0)
    assert (lon, lat) == pytest.approx(PLACES_BY_CODE["T-HUJI"].wgs84(), abs=1e-9)
    assert geocode_place(gazetteer, "上海") is None


class _Failing:
    """Stands in for an online geocoder that cannot be reached."""

    def __init__(self, exc: Exception) -> None:
        self.exc = exc

    def geocode(self, query: str, exactly_one: bool = True, **kwargs: Any) -> Location:
        raise self.exc


@pytest.mark.parametrize(
    "exc",
    [
        geopy.exc.GeocoderTimedOut("timed out"),
        geopy.exc.GeocoderServiceError("HTTP 503"),
        geopy.exc.GeocoderUnavailable("connection refused"),
    ],
)
def test_geocode_place_wraps_service_errors(exc: Exception) -> None:
    with pytest.raises(GeocoderUnavailable, match=r"geocoder _Failing unreachable: ") as info:
        geocode_place(_Failing(exc), "胡集镇")
    assert info.value.__cause__ is exc


class Baidu:
    """Named like geopy's class: answers are taken to be BD-09."""

    def geocode(self, query: str, exactly_one: bool = True, **kwargs: Any) -> Location:
        return Location("x", (31.0, 112.2, 0.0), {})


def test_geocode_place_converts_baidu_bd09() -> None:
    assert geocode_place(Baidu(), "x") == pytest.approx(bd09_to_wgs84(112.2, 31.0), abs=1e-12)
    assert geocode_place(Baidu(), "x", crs="wgs84") == pytest.approx((112.2, 31.0))
