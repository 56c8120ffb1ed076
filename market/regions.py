"""The regions the service attributes sites to.

Jingmen's five county-level units (adcodes, DOMAIN.md §5). Boundaries and parks come from
``geodata``; this module is the service's single place that knows which are in force.
"""

from __future__ import annotations

from collections.abc import Sequence

from geodata.regions import Region, RegionIndex, schematic_regions

DISTRICT_NAMES: dict[str, str] = {
    "420802": "东宝区",
    "420804": "掇刀区",
    "420822": "沙洋县",
    "420881": "钟祥市",
    "420882": "京山市",
}
DISTRICT_CODES = frozenset(DISTRICT_NAMES)


class RegionLocator:
    """Attributes WGS84 points to (district code, park code) with a spatial index.

    Starts from geodata's schematic regions; imported official boundaries replace them.
    """

    def __init__(self, regions: Sequence[Region]) -> None:
        self.regions = list(regions)
        self._index = RegionIndex(self.regions)

    @classmethod
    def default(cls) -> RegionLocator:
        return cls(schematic_regions())

    def locate(self, lon: float, lat: float) -> tuple[str | None, str | None]:
        return self._index.locate(lon, lat)
