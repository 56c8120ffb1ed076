"""The table of Jingmen places the project knows offline, from ``geodata/data/*.csv``.

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

The districts come from the one district table (``districts.csv``, :mod:`geodata.districts`);
every other place is a row of ``places.csv``. Both are checked when this module is imported.
This module holds data only (no geopy import) so that :mod:`geodata.regions` can use the
seats and park points without pulling in the geocoder machinery.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources.abc import Traversable
from typing import Final, Literal, cast, get_args

from geodata.datafiles import DATA_DIR, DataFileError, read_csv
from geodata.datums import gcj02_to_wgs84
from geodata.districts import DISTRICTS, District

PlaceKind = Literal["city", "district", "zone", "park", "town"]

#: How specific each kind is; a higher rank wins ties when a query names several places.
KIND_RANK: Final[dict[str, int]] = {"city": 0, "district": 1, "zone": 2, "town": 3, "park": 4}

CITY_CODE: Final = "420800"

#: County-level adcodes in table order (:data:`geodata.districts.DISTRICT_CODES` is the set).
DISTRICT_CODES: Final = tuple(d.code for d in DISTRICTS)


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


_COLUMNS: Final = (
    "code",
    "kind",
    "name_zh",
    "name_en",
    "lon",
    "lat",
    "parent",
    "district_code",
    "precision_km",
    "aliases",
)


def _district_place(d: District) -> Place:
    """A district as a gazetteer place: child of the city, lying in itself."""
    return Place(
        code=d.code,
        name_zh=d.name_zh,
        name_en=d.name_en,
        kind="district",
        lon=d.lon,
        lat=d.lat,
        parent=CITY_CODE,
        district_code=d.code,
        precision_km=d.precision_km,
        aliases=d.aliases,
    )


def load_places(
    path: Traversable = DATA_DIR / "places.csv", districts: tuple[District, ...] = DISTRICTS
) -> tuple[Place, ...]:
    """The city row of ``path``, then the districts, then the rest of ``path``, checked.

    Districts come from the one district table; ``path`` holds every other place and may not
    repeat a district. Parents must be known places and district codes known districts.
    """
    district_codes = {d.code for d in districts}
    kinds = set(get_args(PlaceKind)) - {"district"}
    rows = list(read_csv(path, _COLUMNS))
    others: list[Place] = []
    for row in rows:
        code, kind = row.text("code"), row.text("kind")
        if kind not in kinds:
            raise row.error(f"kind must be one of {', '.join(sorted(kinds))}, got {kind!r}")
        if code in district_codes:
            raise row.error("districts belong in districts.csv")
        district = row.text("district_code", required=kind != "city") or None
        if district is not None and district not in district_codes:
            raise row.error(f"unknown district_code {district!r}")
        lon, lat = row.point()
        others.append(
            Place(
                code=code,
                name_zh=row.text("name_zh"),
                name_en=row.text("name_en"),
                kind=cast(PlaceKind, kind),
                lon=lon,
                lat=lat,
                parent=row.text("parent", required=kind != "city") or None,
                district_code=district,
                precision_km=row.number("precision_km", positive=True),
                aliases=row.aliases(),
            )
        )
    if not others or others[0].kind != "city" or others[0].code != CITY_CODE:
        raise DataFileError(f"{path}: the first place must be the city {CITY_CODE}")
    if any(p.kind == "city" for p in others[1:]):
        raise DataFileError(f"{path}: only one city")
    places = (others[0], *(_district_place(d) for d in districts), *others[1:])
    known = {p.code for p in places}
    for place, row in zip(others, rows, strict=True):
        if place.parent is not None and place.parent not in known:
            raise row.error(f"unknown parent {place.parent!r}")
    return places


#: GCJ-02 points; see the module docstring for sources and accuracy.
PLACES: Final[tuple[Place, ...]] = load_places()

PLACES_BY_CODE: Final[dict[str, Place]] = {p.code: p for p in PLACES}

#: Park codes, in the order :func:`geodata.regions.schematic_regions` returns them.
PARK_CODES: Final = tuple(p.code for p in PLACES if p.kind == "park")

#: English names of county-level units by adcode, for imports whose features lack them.
DISTRICT_NAMES_EN: Final[dict[str, str]] = {
    code: PLACES_BY_CODE[code].name_en for code in (CITY_CODE, *DISTRICT_CODES)
}
