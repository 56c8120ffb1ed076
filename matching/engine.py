"""Top-N matching for one listing against a book of open listings on the other side.

A book is built once per snapshot of open listings: columns for vectorised filtering and
scoring (:mod:`matching.scoring`) plus one spatial index per material. A query never scans
the book. It searches outward from the listing's site, nearest first, and stops as soon as
the lower bound on the score of anything farther away (price + freight × distance − the
largest possible bonuses) exceeds the N-th best score found, capped at the largest haul
radius (largest ``max_haul_km`` / circuity). The result is exactly the brute-force ranking
(:func:`brute_force_matches` is the oracle the tests compare against), in a fraction of the
time, because delivered cost grows with distance and the best offers are usually close.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

from matching.candidates import MaterialGroup, index_by_material
from matching.explain import build_match
from matching.model import Demand, Match, Supply
from matching.scoring import (
    DemandColumns,
    MatchSettings,
    Rows,
    Scored,
    SupplyColumns,
    demand_haul_km,
    score_demands,
    score_supplies,
    top_order,
)
from matching.specs import Parameter

#: First neighbourhood size; grows fourfold while too few feasible candidates are found.
_FIRST_K = 64
#: Absolute slack (km) on the stopping radius against float rounding between the k-d tree's
#: chord-derived distances and the haversine distances used for scoring.
_EPS_KM = 1e-6


def _best_first(
    group: MaterialGroup,
    lon: float,
    lat: float,
    cap_km: float,
    base_cny_t: float,
    settings: MatchSettings,
    scorer: Callable[[Rows], Scored],
    ids: np.ndarray,
    limit: int,
) -> Scored:
    """Exact top ``limit`` of ``scorer`` over ``group`` within ``cap_km`` (great-circle).

    Every candidate at great-circle distance d scores at least
    ``base_cny_t + slope × d − bonus_cap``, so once ``limit`` feasible rows are known, with
    the worst of them scoring S, nothing beyond ``(S − base_cny_t + bonus_cap) / slope``
    can enter the top list and the search can stop there.
    """
    index = group.index
    n = len(index)
    slope = settings.slope
    k = min(n, max(_FIRST_K, 4 * limit))
    while True:
        local, dist = index.nearest(lon, lat, k)
        inside = dist <= cap_km
        exhausted = k >= n or not bool(inside[-1])
        scored = scorer(group.rows[local[inside]])
        if exhausted:
            break
        if len(scored) >= limit and slope > 0:
            worst = float(np.partition(scored.score, limit - 1)[limit - 1])
            reach = (worst - base_cny_t + settings.bonus_cap) / slope + _EPS_KM
            if reach < dist[-1]:
                break
            scored = scorer(group.rows[index.within(lon, lat, min(reach, cap_km))])
            break
        k = min(n, 4 * k)
    order = top_order(scored.score, ids[scored.rows], limit)
    return scored.take(order)


def _as_demand_columns(demands: DemandColumns | Sequence[Demand]) -> DemandColumns:
    return demands if isinstance(demands, DemandColumns) else DemandColumns.from_demands(demands)


def _as_supply_columns(supplies: SupplyColumns | Sequence[Supply]) -> SupplyColumns:
    return (
        supplies if isinstance(supplies, SupplyColumns) else SupplyColumns.from_supplies(supplies)
    )


class DemandBook:
    """Open demand requests, indexed for "best buyers for this lot" queries."""

    def __init__(
        self,
        demands: Sequence[Demand] | DemandColumns,
        parameters: Mapping[str, Parameter] | None = None,
    ) -> None:
        self.columns = _as_demand_columns(demands)
        self.parameters: Mapping[str, Parameter] = parameters or {}
        cols = self.columns
        materials = [d.material for d in cols.demands]
        self.groups = index_by_material(materials, cols.lons, cols.lats)
        self._max_haul: dict[str, float] = {}
        for material, group in self.groups.items():
            h = cols.max_haul[group.rows]
            self._max_haul[material] = float(np.nanmax(h)) if not np.all(np.isnan(h)) else 0.0
        self._haul_unset = {
            m: bool(np.any(np.isnan(cols.max_haul[g.rows]))) for m, g in self.groups.items()
        }

    def __len__(self) -> int:
        return len(self.columns)

    def search_radius_km(self, material: str, settings: MatchSettings) -> float:
        """Great-circle radius beyond which no demand of ``material`` accepts a lot."""
        road = self._max_haul.get(material, 0.0)
        if self._haul_unset.get(material, False):
            road = max(road, float(settings.default_max_haul_km))
        return road / settings.circuity

    def ranked_for_supply(self, supply: Supply, settings: MatchSettings, limit: int) -> Scored:
        """Top ``limit`` feasible rows (indices into :attr:`columns`) with their figures."""
        group = self.groups.get(supply.material)
        if group is None or limit <= 0:
            return score_demands(supply, self.columns, np.empty(0, dtype=np.intp), settings)
        return _best_first(
            group,
            supply.lon,
            supply.lat,
            self.search_radius_km(supply.material, settings),
            float(supply.price_cny_t),
            settings,
            lambda rows: score_demands(supply, self.columns, rows, settings),
            self.columns.ids,
            limit,
        )

    def matches_for_supply(
        self, supply: Supply, settings: MatchSettings | None = None, limit: int = 20
    ) -> list[Match]:
        """The ``limit`` best demands for ``supply``, best first, each with explanations."""
        settings = settings or MatchSettings()
        top = self.ranked_for_supply(supply, settings, limit)
        return _build_for_supply(supply, self.columns, top, settings, self.parameters)

    def feasible_for_supply(self, supply: Supply, settings: MatchSettings) -> Scored:
        """Every feasible demand for ``supply`` (for allocation), found via the index."""
        group = self.groups.get(supply.material)
        if group is None:
            return score_demands(supply, self.columns, np.empty(0, dtype=np.intp), settings)
        radius = self.search_radius_km(supply.material, settings)
        rows = group.rows[group.index.within(supply.lon, supply.lat, radius)]
        return score_demands(supply, self.columns, rows, settings)


class SupplyBook:
    """Open supply listings, indexed for "best lots for this request" queries."""

    def __init__(
        self,
        supplies: Sequence[Supply] | SupplyColumns,
        parameters: Mapping[str, Parameter] | None = None,
    ) -> None:
        self.columns = _as_supply_columns(supplies)
        self.parameters: Mapping[str, Parameter] = parameters or {}
        cols = self.columns
        self.groups = index_by_material([s.material for s in cols.supplies], cols.lons, cols.lats)

    def __len__(self) -> int:
        return len(self.columns)

    def ranked_for_demand(self, demand: Demand, settings: MatchSettings, limit: int) -> Scored:
        """Top ``limit`` feasible rows (indices into :attr:`columns`) with their figures."""
        group = self.groups.get(demand.material)
        if group is None or limit <= 0:
            return score_supplies(demand, self.columns, np.empty(0, dtype=np.intp), settings)
        return _best_first(
            group,
            demand.lon,
            demand.lat,
            demand_haul_km(demand, settings) / settings.circuity,
            self.columns.min_price_by_material[demand.material],
            settings,
            lambda rows: score_supplies(demand, self.columns, rows, settings),
            self.columns.ids,
            limit,
        )

    def matches_for_demand(
        self, demand: Demand, settings: MatchSettings | None = None, limit: int = 20
    ) -> list[Match]:
        """The ``limit`` best supplies for ``demand``, best first, each with explanations."""
        settings = settings or MatchSettings()
        top = self.ranked_for_demand(demand, settings, limit)
        return _build_for_demand(demand, self.columns, top, settings, self.parameters)


def _build_for_supply(
    supply: Supply,
    cols: DemandColumns,
    top: Scored,
    settings: MatchSettings,
    parameters: Mapping[str, Parameter],
) -> list[Match]:
    return [
        build_match(supply, cols.demands[row], float(km), float(score), settings, parameters)
        for row, km, score in zip(top.rows.tolist(), top.road_km, top.score, strict=True)
    ]


def _build_for_demand(
    demand: Demand,
    cols: SupplyColumns,
    top: Scored,
    settings: MatchSettings,
    parameters: Mapping[str, Parameter],
) -> list[Match]:
    return [
        build_match(cols.supplies[row], demand, float(km), float(score), settings, parameters)
        for row, km, score in zip(top.rows.tolist(), top.road_km, top.score, strict=True)
    ]


def brute_force_matches(
    supply: Supply,
    demands: DemandColumns | Sequence[Demand],
    settings: MatchSettings | None = None,
    limit: int = 20,
    parameters: Mapping[str, Parameter] | None = None,
) -> list[Match]:
    """The same ranking as :meth:`DemandBook.matches_for_supply` by scanning every row.

    No spatial index and no early stop: every demand goes through the filters and, if it
    survives the cheap ones, gets its distance measured. The benchmark baseline and the
    test oracle. Pass prebuilt :class:`DemandColumns` to time the scan alone.
    """
    settings = settings or MatchSettings()
    cols = _as_demand_columns(demands)
    scored = score_demands(supply, cols, None, settings)
    top = scored.take(top_order(scored.score, cols.ids[scored.rows], limit))
    return _build_for_supply(supply, cols, top, settings, parameters or {})


def brute_force_matches_for_demand(
    demand: Demand,
    supplies: SupplyColumns | Sequence[Supply],
    settings: MatchSettings | None = None,
    limit: int = 20,
    parameters: Mapping[str, Parameter] | None = None,
) -> list[Match]:
    """Full-scan oracle for :meth:`SupplyBook.matches_for_demand`."""
    settings = settings or MatchSettings()
    cols = _as_supply_columns(supplies)
    scored = score_supplies(demand, cols, None, settings)
    top = scored.take(top_order(scored.score, cols.ids[scored.rows], limit))
    return _build_for_demand(demand, cols, top, settings, parameters or {})
