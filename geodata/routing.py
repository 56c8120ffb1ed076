"""Road-distance estimates behind one small interface.

Matching ranks offers by haulage cost, which follows road kilometres, not straight lines.
An OSRM server gives real road distances when one is deployed; without one (tests, a laptop,
an OSRM outage) a geodesic distance times a circuity factor is a serviceable estimate — about
1.2–1.4 for a plain like the Jianghan plain. Both implement :class:`Router`, so callers never
branch on which one they have, and :class:`OsrmRouter` degrades to the estimate instead of
failing a user's request.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import httpx
import numpy as np
from numpy.typing import ArrayLike, NDArray

from geodata.distance import geodesic_km, geodesic_km_many

logger = logging.getLogger(__name__)

LonLat = tuple[float, float]

#: Road distance / straight-line distance assumed when no router is available.
DEFAULT_CIRCUITY = 1.3


@runtime_checkable
class Router(Protocol):
    """Anything that can fill an origins × destinations matrix of road km (WGS84 lon, lat)."""

    def table_km(
        self, origins: Sequence[LonLat], destinations: Sequence[LonLat]
    ) -> list[list[float]]: ...


class EstimateRouter:
    """Geodesic distance × a circuity factor: instant, offline, and never fails."""

    def __init__(self, circuity: float = DEFAULT_CIRCUITY) -> None:
        if not (math.isfinite(circuity) and circuity >= 1.0):
            raise ValueError(f"circuity must be a finite number >= 1, got {circuity!r}")
        self.circuity = float(circuity)

    def road_km(self, lon1: float, lat1: float, lon2: float, lat2: float) -> float:
        """Estimated road km between two WGS84 points."""
        return geodesic_km(lon1, lat1, lon2, lat2) * self.circuity

    def road_km_many(
        self, lon0: float, lat0: float, lons: ArrayLike, lats: ArrayLike
    ) -> NDArray[np.float64]:
        """Estimated road km from one point to many, vectorised."""
        return geodesic_km_many(lon0, lat0, lons, lats) * self.circuity

    def table_km(
        self, origins: Sequence[LonLat], destinations: Sequence[LonLat]
    ) -> list[list[float]]:
        """Estimated road km matrix, one row per origin."""
        if not destinations:
            return [[] for _ in origins]
        lons = np.array([d[0] for d in destinations], dtype=np.float64)
        lats = np.array([d[1] for d in destinations], dtype=np.float64)
        return [self.road_km_many(o[0], o[1], lons, lats).tolist() for o in origins]


class OsrmError(RuntimeError):
    """An OSRM answer we cannot use; caught inside :class:`OsrmRouter` to trigger fallback."""


class OsrmRouter:
    """Road km from an OSRM server's ``/table`` service, falling back to an estimate.

    Any transport error, timeout, non-200 status, malformed JSON or non-"Ok" code makes the
    whole call fall back to ``fallback`` with a logged warning; a null cell (no route between
    two points, e.g. a snapped point on an island of the road graph) falls back for that cell
    only. The default 2 s timeout keeps a slow server from stalling a web request.

    OSRM caps the table size (``--max-table-size``, 100 by default), so larger requests are
    split into blocks of at most ``max_locations`` coordinates.
    """

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 2.0,
        fallback: EstimateRouter | None = None,
        profile: str = "driving",
        max_locations: int = 100,
        client: httpx.Client | None = None,
    ) -> None:
        if max_locations < 2:
            raise ValueError("max_locations must be at least 2")
        self.base_url = base_url.rstrip("/")
        self.profile = profile
        self.timeout = timeout
        self.fallback = fallback if fallback is not None else EstimateRouter()
        self.max_locations = max_locations
        self._own_client = client is None
        self._client = client if client is not None else httpx.Client(timeout=timeout)

    def close(self) -> None:
        """Close the HTTP client if this router created it."""
        if self._own_client:
            self._client.close()

    def __enter__(self) -> OsrmRouter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def table_km(
        self, origins: Sequence[LonLat], destinations: Sequence[LonLat]
    ) -> list[list[float]]:
        """Road km matrix, one row per origin; see the class docstring for fallbacks."""
        if not origins or not destinations:
            return [[] for _ in origins]
        block = self.max_locations // 2
        result: list[list[float]] = [[] for _ in origins]
        for i0 in range(0, len(origins), block):
            src = origins[i0 : i0 + block]
            for j0 in range(0, len(destinations), block):
                dst = destinations[j0 : j0 + block]
                part = self._table_block(src, dst)
                for di, row in enumerate(part):
                    result[i0 + di].extend(row)
        return result

    def _table_block(
        self, origins: Sequence[LonLat], destinations: Sequence[LonLat]
    ) -> list[list[float]]:
        try:
            metres = self._request(origins, destinations)
        except (httpx.HTTPError, OsrmError, ValueError) as exc:
            logger.warning(
                "OSRM table request to %s failed (%s); using straight-line estimate "
                "for %d x %d pairs",
                self.base_url,
                exc,
                len(origins),
                len(destinations),
            )
            return self.fallback.table_km(origins, destinations)
        rows: list[list[float]] = []
        nulls = 0
        for o, row in zip(origins, metres, strict=True):
            out: list[float] = []
            for d, cell in zip(destinations, row, strict=True):
                if cell is None:
                    nulls += 1
                    out.append(self.fallback.road_km(o[0], o[1], d[0], d[1]))
                else:
                    out.append(cell / 1000.0)
            rows.append(out)
        if nulls:
            logger.warning(
                "OSRM returned no route for %d of %d pairs; using straight-line estimate for those",
                nulls,
                len(origins) * len(destinations),
            )
        return rows

    def _request(
        self, origins: Sequence[LonLat], destinations: Sequence[LonLat]
    ) -> list[list[float | None]]:
        points = [*origins, *destinations]
        coords = ";".join(f"{lon:.6f},{lat:.6f}" for lon, lat in points)
        n = len(origins)
        params = {
            "annotations": "distance",
            "sources": ";".join(str(i) for i in range(n)),
            "destinations": ";".join(str(i) for i in range(n, len(points))),
        }
        url = f"{self.base_url}/table/v1/{self.profile}/{coords}"
        response = self._client.get(url, params=params, timeout=self.timeout)
        response.raise_for_status()
        payload = response.json()  # ValueError (JSONDecodeError) on bad JSON
        return _parse_table(payload, len(origins), len(destinations))


def _parse_table(payload: Any, n_src: int, n_dst: int) -> list[list[float | None]]:
    """Check the shape and types of an OSRM ``/table`` answer; metres, None for no route."""
    if not isinstance(payload, dict):
        raise OsrmError("answer is not a JSON object")
    if payload.get("code") != "Ok":
        raise OsrmError(f"code {payload.get('code')!r}: {payload.get('message', '')}")
    distances = payload.get("distances")
    if not isinstance(distances, list) or len(distances) != n_src:
        raise OsrmError("missing or mis-sized 'distances' (was annotations=distance honoured?)")
    table: list[list[float | None]] = []
    for row in distances:
        if not isinstance(row, list) or len(row) != n_dst:
            raise OsrmError("mis-sized row in 'distances'")
        out: list[float | None] = []
        for cell in row:
            if cell is None:
                out.append(None)
            elif isinstance(cell, int | float) and not isinstance(cell, bool):
                value = float(cell)
                if not math.isfinite(value) or value < 0:
                    raise OsrmError(f"bad distance {cell!r}")
                out.append(value)
            else:
                raise OsrmError(f"bad distance {cell!r}")
        table.append(out)
    return table
