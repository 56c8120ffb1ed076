"""The table of Jingmen places the project knows offline.

**Source and accuracy.** The city centre, the five county-level seats and the three located
parks are the points given in DOMAIN.md §5. Every other point (towns, subdistricts, functional
zones, the 石桥驿 and high-tech-zone parks) is an *approximate* location compiled for this
project from general knowledge, cross-read with an unverified township table found in a public
app repository; none was checked against an authoritative source. The only check made is that
each falls inside the right county-level unit of the public DataV boundary file (a test).
Where the two disagreed, the DataV file decided: 漳河镇 sits in 东宝区 and the 漳河新区 point
in 掇刀区; the DOMAIN.md point of 荆门化工循环产业园 lies in 掇刀区, 0.1 km from the 东宝
border. Treat all of them as good to a few kilometres (``precision_km``): enough to place a
listing in the right district and to estimate haulage, not to navigate a lorry to a gate; an
administrator should correct them from an official source.

**Coordinate system.** All points here are **GCJ-02**, like the DOMAIN.md figures and the Amap
and Tencent maps that users copy from, so that the table can be checked and extended by
pasting from those maps. Consumers convert with :func:`geodata.datums.gcj02_to_wgs84`;
:meth:`Place.wgs84` does it for them.

This module holds data only (no geopy import) so that :mod:`geodata.regions` can use the
seats and park points without pulling in the geocoder machinery.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from geodata.datums import gcj02_to_wgs84

PlaceKind = Literal["city", "district", "zone", "park", "town"]

#: How specific each kind is; a higher rank wins ties when a query names several places.
KIND_RANK: Final[dict[str, int]] = {"city": 0, "district": 1, "zone": 2, "town": 3, "park": 4}

CITY_CODE: Final = "420800"

DISTRICT_CODES: Final = ("420802", "420804", "420822", "420881", "420882")


@dataclass(frozen=True)
class Place:
    """One named point of the offline gazetteer.

    ``parent`` is the code of the enclosing place (city for districts, district for towns,
    zones and parks) and drives both the address string and query scoring: "钟祥市胡集镇"
    matches 胡集镇 *and* its parent, which is what makes the town beat the district.
    ``district_code`` is the county-level unit the point lies in, used to check the table.
    """

    code: str
    name_zh: str
    name_en: str
    kind: PlaceKind
    lon: float
    lat: float
    parent: str | None
    district_code: str | None
    precision_km: float
    aliases: tuple[str, ...] = ()

    def wgs84(self) -> tuple[float, float]:
        """The point as WGS84 (lon, lat)."""
        return gcj02_to_wgs84(self.lon, self.lat)


def _town(
    code: str,
    name_zh: str,
    name_en: str,
    lon: float,
    lat: float,
    district: str,
    *aliases: str,
) -> Place:
    return Place(code, name_zh, name_en, "town", lon, lat, district, district, 3.0, aliases)


#: GCJ-02 points; see the module docstring for sources and accuracy.
PLACES: Final[tuple[Place, ...]] = (
    Place("420800", "荆门市", "Jingmen", "city", 112.204, 31.035, None, None, 1.0),
    Place(
        "420802",
        "东宝区",
        "Dongbao District",
        "district",
        112.2048,
        31.0335,
        CITY_CODE,
        "420802",
        1.0,
        ("Dongbao",),
    ),
    Place(
        "420804",
        "掇刀区",
        "Duodao District",
        "district",
        112.1984,
        30.9808,
        CITY_CODE,
        "420804",
        1.0,
        ("Duodao",),
    ),
    Place(
        "420822",
        "沙洋县",
        "Shayang County",
        "district",
        112.5952,
        30.7036,
        CITY_CODE,
        "420822",
        1.0,
        ("Shayang",),
    ),
    Place(
        "420881",
        "钟祥市",
        "Zhongxiang",
        "district",
        112.5873,
        31.1656,
        CITY_CODE,
        "420881",
        1.0,
        ("Zhongxiang City",),
    ),
    Place(
        "420882",
        "京山市",
        "Jingshan",
        "district",
        113.1146,
        31.0225,
        CITY_CODE,
        "420882",
        1.0,
        ("Jingshan City",),
    ),
    # Functional zones: administered separately, located inside a county-level unit.
    Place(
        "Z-ZHANGHE",
        "漳河新区",
        "Zhanghe New District",
        "zone",
        112.140,
        31.000,
        "420804",
        "420804",
        5.0,
    ),
    Place(
        "Z-QUJIALING",
        "屈家岭管理区",
        "Qujialing Management Area",
        "zone",
        112.895,
        30.842,
        "420882",
        "420882",
        3.0,
        ("屈家岭", "Qujialing"),
    ),
    Place(
        "Z-HIGHTECH",
        "荆门高新区",
        "Jingmen Hi-tech Zone",
        "zone",
        112.220,
        30.960,
        "420804",
        "420804",
        3.0,
        ("荆门高新技术产业开发区", "高新区", "Jingmen High-tech Zone", "Hi-tech Zone"),
    ),
    # Chemical and recycling parks (codes shared with geodata.regions).
    Place(
        "P-JMCIRC",
        "荆门化工循环产业园",
        "Jingmen Chemical Circular Industrial Park",
        "park",
        112.266,
        31.023,
        "420804",
        "420804",
        2.0,
        ("化工循环产业园",),
    ),
    Place(
        "P-ZXHUJI",
        "钟祥胡集化工园区",
        "Zhongxiang Huji Chemical Park",
        "park",
        112.306,
        31.420,
        "420881",
        "420881",
        2.0,
        ("胡集化工园区", "胡集化工园"),
    ),
    Place(
        "P-SYCHEM",
        "沙洋县化工集中区",
        "Shayang Chemical Zone",
        "park",
        112.545,
        30.672,
        "420822",
        "420822",
        2.0,
        ("沙洋化工集中区", "沙洋化工园"),
    ),
    Place(
        "P-DBCIRC",
        "东宝化工循环产业园",
        "Dongbao Chemical Circular Industrial Park",
        "park",
        112.160,
        31.245,
        "420802",
        "420802",
        5.0,
        ("石桥驿化工园", "东宝化工园"),
    ),
    Place(
        "P-JMBATT",
        "动力储能电池产业园",
        "Power and Energy-storage Battery Industrial Park",
        "park",
        112.240,
        30.950,
        "420804",
        "420804",
        5.0,
        ("电池产业园", "储能电池产业园"),
    ),
    # Towns and subdistricts.
    _town("T-HUJI", "胡集镇", "Huji Town", 112.318, 31.425, "420881", "Huji"),
    _town("T-LINKUANG", "磷矿镇", "Linkuang Town", 112.430, 31.285, "420881", "Linkuang"),
    _town("T-SHUANGHE", "双河镇", "Shuanghe Town", 112.450, 31.150, "420881", "Shuanghe"),
    _town("T-YANGZI", "洋梓镇", "Yangzi Town", 112.630, 31.255, "420881", "Yangzi"),
    _town("T-CHANGSHOU", "长寿镇", "Changshou Town", 112.740, 31.360, "420881", "Changshou"),
    _town("T-JIUKOU", "旧口镇", "Jiukou Town", 112.650, 30.925, "420881", "Jiukou"),
    _town(
        "T-YINGZHONG", "郢中街道", "Yingzhong Subdistrict", 112.587, 31.166, "420881", "Yingzhong"
    ),
    _town("T-SHIQIAOYI", "石桥驿镇", "Shiqiaoyi Town", 112.160, 31.245, "420802", "Shiqiaoyi"),
    _town("T-ZILINGPU", "子陵铺镇", "Zilingpu Town", 112.180, 31.150, "420802", "Zilingpu"),
    _town("T-ZHANGHE", "漳河镇", "Zhanghe Town", 112.100, 31.030, "420802"),
    _town("T-TUANLINPU", "团林铺镇", "Tuanlinpu Town", 112.225, 30.905, "420804", "Tuanlinpu"),
    _town("T-MACHENG", "麻城镇", "Macheng Town", 112.320, 30.930, "420804"),
    _town("T-HOUGANG", "后港镇", "Hougang Town", 112.385, 30.600, "420822", "Hougang"),
    _town("T-SHAYANG", "沙洋镇", "Shayang Town", 112.590, 30.705, "420822"),
    _town("T-XINSHI", "新市街道", "Xinshi Subdistrict", 113.110, 31.020, "420882", "Xinshi"),
    _town("T-SONGHE", "宋河镇", "Songhe Town", 113.070, 31.260, "420882", "Songhe"),
    _town("T-YANMENKOU", "雁门口镇", "Yanmenkou Town", 112.880, 31.050, "420882", "Yanmenkou"),
)

PLACES_BY_CODE: Final[dict[str, Place]] = {p.code: p for p in PLACES}

#: Park codes, in the order :func:`geodata.regions.schematic_regions` returns them.
PARK_CODES: Final = tuple(p.code for p in PLACES if p.kind == "park")

#: English names of county-level units by adcode, for imports whose features lack them.
DISTRICT_NAMES_EN: Final[dict[str, str]] = {
    code: PLACES_BY_CODE[code].name_en for code in (CITY_CODE, *DISTRICT_CODES)
}
