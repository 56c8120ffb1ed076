"""Response bodies of geo: regions as RFC 7946 GeoJSON, boundary import reports, places.

The GeoJSON models are small and hand-written rather than geojson-pydantic's: that library
validates every position as a named tuple, 19 ms for the schematic regions layer against
0.4 ms here, and the layer is read on every map view.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from market.core.schemas import Out

RegionKind = Literal["district", "park"]
#: A WGS84 point as [lon, lat], 6 decimals.
Position = tuple[float, float]


class PolygonGeometry(Out):
    """A polygon: an outer ring, then holes; each ring closed, [lon, lat] pairs."""

    type: Literal["Polygon"]
    coordinates: list[list[Position]]


class MultiPolygonGeometry(Out):
    """Several polygons, e.g. a district with an exclave."""

    type: Literal["MultiPolygon"]
    coordinates: list[list[list[Position]]]


AreaGeometry = Annotated[PolygonGeometry | MultiPolygonGeometry, Field(discriminator="type")]


class RegionProperties(Out):
    """What a region is: its code (adcode for districts), names and kind."""

    code: str
    name_zh: str
    name_en: str
    kind: RegionKind
    approximate: Annotated[
        bool, Field(description="true for the built-in schematic outline, false once imported")
    ]
    parent_code: Annotated[str | None, Field(description="a park's district")] = None


class RegionFeature(Out):
    """One district or park as a GeoJSON Feature; ``id`` is its code."""

    type: Literal["Feature"]
    id: str
    properties: RegionProperties
    geometry: AreaGeometry


class RegionCollection(Out):
    """Districts and parks as a GeoJSON FeatureCollection, for a map layer."""

    type: Literal["FeatureCollection"]
    features: list[RegionFeature]


class ImportReportOut(Out):
    """What a boundary import replaced: the kind, how many regions, how many sites moved."""

    kind: RegionKind
    regions: int
    sites_updated: int
    codes: list[str]


class PlaceOut(Out):
    """A place found by name, in WGS84, with the district and park it lies in."""

    query: str
    name: str
    lon: float
    lat: float
    crs: Literal["wgs84"]
    source: str
    district_code: str | None
    park_code: str | None
