"""Jingmen's five county-level units (DOMAIN.md §5), read from ``geodata/data/districts.csv``.

One table for the whole code base: the gazetteer (:mod:`geodata.places`), the service, the
pages and the demo data read it here, so a district is named, coded and placed once.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources.abc import Traversable
from typing import Final

from geodata.datafiles import DATA_DIR, DataFileError, read_csv

_COLUMNS: Final = ("code", "name_zh", "name_en", "lon", "lat", "precision_km", "aliases")


@dataclass(frozen=True)
class District:
    """A county-level unit: adcode, names, and its seat as a GCJ-02 point."""

    code: str
    name_zh: str
    name_en: str
    lon: float
    lat: float
    precision_km: float
    aliases: tuple[str, ...] = ()


def load_districts(path: Traversable = DATA_DIR / "districts.csv") -> tuple[District, ...]:
    """Read and check the district table (six-digit adcodes, names, seats in China)."""
    districts = []
    for row in read_csv(path, _COLUMNS):
        code = row.text("code")
        if not (len(code) == 6 and code.isdigit()):
            raise row.error("code must be a six-digit adcode")
        lon, lat = row.point()
        districts.append(
            District(
                code,
                row.text("name_zh"),
                row.text("name_en"),
                lon,
                lat,
                row.number("precision_km", positive=True),
                row.aliases(),
            )
        )
    if not districts:
        raise DataFileError(f"{path}: no districts")
    return tuple(districts)


#: The districts in table order (adcode order).
DISTRICTS: Final[tuple[District, ...]] = load_districts()

DISTRICT_NAMES: Final[dict[str, str]] = {d.code: d.name_zh for d in DISTRICTS}
DISTRICT_CODES: Final = frozenset(DISTRICT_NAMES)
