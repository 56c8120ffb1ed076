"""Coordinates, datums, distances, regions, place look-up and map drawing for Jingmen.

Pure Python: no database and no web imports, so ``matching`` and ``market`` can depend on it
and it can be tested and benchmarked on its own.

Everything stored and exchanged between modules is WGS84 (lon, lat). Modules:

* :mod:`geodata.datums` — WGS84 ↔ GCJ-02 ↔ BD-09, input validation.
* :mod:`geodata.distance` — geodesic distances.
* :mod:`geodata.routing` — road-distance estimates (offline estimate or OSRM).
* :mod:`geodata.places` — the offline table of Jingmen places (GCJ-02, approximate).
* :mod:`geodata.regions` — district and park polygons, GeoJSON import, point attribution.
* :mod:`geodata.gazetteer` — geopy-compatible offline geocoder and online geocoder factory.
* :mod:`geodata.projection` — local metric projection for buffers and maps.
* :mod:`geodata.svgmap` — static SVG maps.
"""

from geodata.datums import (
    SUPPORTED_CRS,
    CoordinateError,
    CoordinateRangeError,
    UnknownCRSError,
    from_wgs84,
    normalise_crs,
    to_wgs84,
    validate_lonlat,
)
from geodata.distance import geodesic_km, geodesic_km_many
from geodata.gazetteer import Gazetteer, GeocoderUnavailable, geocode_place, get_geocoder
from geodata.regions import (
    GeoJSONError,
    Region,
    RegionIndex,
    regions_from_geojson,
    schematic_regions,
)
from geodata.routing import EstimateRouter, OsrmRouter, Router

__all__ = [
    "SUPPORTED_CRS",
    "CoordinateError",
    "CoordinateRangeError",
    "EstimateRouter",
    "Gazetteer",
    "GeoJSONError",
    "GeocoderUnavailable",
    "OsrmRouter",
    "Region",
    "RegionIndex",
    "Router",
    "UnknownCRSError",
    "from_wgs84",
    "geocode_place",
    "geodesic_km",
    "geodesic_km_many",
    "get_geocoder",
    "normalise_crs",
    "regions_from_geojson",
    "schematic_regions",
    "to_wgs84",
    "validate_lonlat",
]
