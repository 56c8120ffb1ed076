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
from numpy.typing import NDArray

from matching.candidates import MaterialGroup, index_by_code, index_by_material
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


def _concat(a: Scored, b: Scored, offset: int) -> Scored:
    """Both parts as one, ``b``'s rows shifted by ``offset`` (rows of the delta)."""
    return Scored(
        np.concatenate([a.rows, b.rows + offset]).astype(np.intp),
        np.concatenate([a.road_km, b.road_km]),
        np.concatenate([a.delivered, b.delivered]),
        np.concatenate([a.volume_fit, b.volume_fit]),
        np.concatenate([a.margin, b.margin]),
        np.concatenate([a.score, b.score]),
    )


class _Changes:
    """What a book has learnt since it was built: rows of the static columns that are gone
    (withdrawn, or replaced by a newer version) and the newer or new rows themselves.

    The static part keeps its k-d trees; the changed rows are few and are scanned whole on
    every query beside it (a brute-force pass over a few hundred rows costs microseconds),
    and a row's number past the static rows means the changed row ``row − len(static)``.
    The cache rebuilds a book once :attr:`pending` grows past a fraction of its size.
    """

    def __init__(self, ids: NDArray[np.int64]) -> None:
        self._static_ids = ids
        self._order: NDArray[np.intp] | None = None
        self.dead: NDArray[np.bool_] | None = None
        self.pending = 0

    def kill(self, ids: Sequence[int]) -> None:
        """Mark the static rows of ``ids`` gone (ids not among them are ignored)."""
        n = self._static_ids.size
        if not ids or n == 0:
            return
        if self._order is None:
            self._order = np.argsort(self._static_ids, kind="stable")
        sorted_ids = self._static_ids[self._order]
        want = np.asarray(ids, dtype=np.int64)
        pos = np.minimum(np.searchsorted(sorted_ids, want), n - 1)
        rows = self._order[pos[sorted_ids[pos] == want]]
        if rows.size:
            if self.dead is None:
                self.dead = np.zeros(n, dtype=bool)
            self.pending += int(np.count_nonzero(~self.dead[rows]))
            self.dead[rows] = True

    def alive(self, rows: Rows) -> Rows:
        return rows if self.dead is None else rows[~self.dead[rows]]

    @property
    def dead_count(self) -> int:
        return 0 if self.dead is None else int(np.count_nonzero(self.dead))


class DemandBook:
    """Open demand requests, indexed for "best buyers for this lot" queries.

    Built once from columns (:meth:`DemandColumns.from_arrays`) or Demand objects; then
    :meth:`apply` takes new, changed and withdrawn demands without rebuilding the index.
    """

    def __init__(
        self,
        demands: Sequence[Demand] | DemandColumns,
        parameters: Mapping[str, Parameter] | None = None,
    ) -> None:
        self.columns = _as_demand_columns(demands)
        self.parameters: Mapping[str, Parameter] = parameters or {}
        cols = self.columns
        self.groups = index_by_code(cols.material_names, cols.material_codes, cols.lons, cols.lats)
        self._max_haul: dict[str, float] = {}
        self._haul_unset: dict[str, bool] = {}
        for material, group in self.groups.items():
            h = cols.max_haul[group.rows]
            unset = np.isnan(h)
            self._max_haul[material] = float(np.max(h[~unset])) if not unset.all() else 0.0
            self._haul_unset[material] = bool(unset.any())
        self._changes = _Changes(cols.ids)
        self._delta: dict[int, Demand] = {}
        self.delta = DemandColumns.from_demands(())

    def __len__(self) -> int:
        return len(self.columns) - self._changes.dead_count + len(self._delta)

    @property
    def pending(self) -> int:
        """Changes applied since the build (rows replaced or removed, plus rows added)."""
        return self._changes.pending + len(self._delta)

    def apply(self, upserts: Sequence[Demand] = (), removed: Sequence[int] = ()) -> None:
        """Add or replace ``upserts`` (by id) and drop the demands of ``removed`` ids."""
        self._changes.kill([d.id for d in upserts] + list(removed))
        for i in removed:
            self._delta.pop(i, None)
        for d in upserts:
            self._delta[d.id] = d
        self.delta = DemandColumns.from_demands(list(self._delta.values()))

    def compacted(self) -> DemandBook:
        """A book of the same demands with the changes merged into its columns and trees
        (no row made into a Demand): what a cache swaps in once :attr:`pending` is large."""
        alive = np.flatnonzero(~self._changes.dead) if self._changes.dead is not None else None
        rows = np.arange(len(self.columns), dtype=np.intp) if alive is None else alive
        delta = np.arange(len(self.delta), dtype=np.intp)
        return DemandBook(
            DemandColumns.join([(self.columns, rows), (self.delta, delta)]), self.parameters
        )

    def demand(self, row: int) -> Demand:
        """The Demand of a row of a :class:`Scored` this book returned."""
        n = len(self.columns)
        return self.columns.demand(row) if row < n else self.delta.demand(row - n)

    def search_radius_km(self, material: str, settings: MatchSettings) -> float:
        """Great-circle radius beyond which no demand of ``material`` accepts a lot."""
        road = self._max_haul.get(material, 0.0)
        if self._haul_unset.get(material, False):
            road = max(road, float(settings.default_max_haul_km))
        return road / settings.circuity

    def ranked_for_supply(self, supply: Supply, settings: MatchSettings, limit: int) -> Scored:
        """Top ``limit`` feasible rows (see :meth:`demand`) with their figures."""
        group = self.groups.get(supply.material)
        alive = self._changes.alive
        if group is None or limit <= 0:
            top = score_demands(supply, self.columns, np.empty(0, dtype=np.intp), settings)
        else:
            top = _best_first(
                group,
                supply.lon,
                supply.lat,
                self.search_radius_km(supply.material, settings),
                float(supply.price_cny_t),
                settings,
                lambda rows: score_demands(supply, self.columns, alive(rows), settings),
                self.columns.ids,
                limit,
            )
        if not self._delta or limit <= 0:
            return top
        extra = score_demands(supply, self.delta, None, settings)
        ids = np.concatenate([self.columns.ids[top.rows], self.delta.ids[extra.rows]])
        both = _concat(top, extra, len(self.columns))
        return both.take(top_order(both.score, ids, limit))

    def matches_for_supply(
        self, supply: Supply, settings: MatchSettings | None = None, limit: int = 20
    ) -> list[Match]:
        """The ``limit`` best demands for ``supply``, best first, each with explanations."""
        settings = settings or MatchSettings()
        top = self.ranked_for_supply(supply, settings, limit)
        return _build_for_supply(supply, self.demand, top, settings, self.parameters)

    def feasible_for_supply(self, supply: Supply, settings: MatchSettings) -> Scored:
        """Every feasible demand for ``supply`` (for allocation), found via the index."""
        group = self.groups.get(supply.material)
        if group is None:
            found = score_demands(supply, self.columns, np.empty(0, dtype=np.intp), settings)
        else:
            radius = self.search_radius_km(supply.material, settings)
            rows = group.rows[group.index.within(supply.lon, supply.lat, radius)]
            found = score_demands(supply, self.columns, self._changes.alive(rows), settings)
        if not self._delta:
            return found
        return _concat(found, score_demands(supply, self.delta, None, settings), len(self.columns))


class SupplyBook:
    """Open supply listings, indexed for "best lots for this request" queries; :meth:`apply`
    takes new, changed and withdrawn listings without rebuilding the index."""

    def __init__(
        self,
        supplies: Sequence[Supply] | SupplyColumns,
        parameters: Mapping[str, Parameter] | None = None,
    ) -> None:
        self.columns = _as_supply_columns(supplies)
        self.parameters: Mapping[str, Parameter] = parameters or {}
        cols = self.columns
        self.groups = index_by_material([s.material for s in cols.supplies], cols.lons, cols.lats)
        self._changes = _Changes(cols.ids)
        self._delta: dict[int, Supply] = {}
        self.delta = SupplyColumns.from_supplies(())

    def __len__(self) -> int:
        return len(self.columns) - self._changes.dead_count + len(self._delta)

    @property
    def pending(self) -> int:
        """Changes applied since the build (rows replaced or removed, plus rows added)."""
        return self._changes.pending + len(self._delta)

    def apply(self, upserts: Sequence[Supply] = (), removed: Sequence[int] = ()) -> None:
        """Add or replace ``upserts`` (by id) and drop the listings of ``removed`` ids."""
        self._changes.kill([s.id for s in upserts] + list(removed))
        for i in removed:
            self._delta.pop(i, None)
        for s in upserts:
            self._delta[s.id] = s
        self.delta = SupplyColumns.from_supplies(list(self._delta.values()))

    def compacted(self) -> SupplyBook:
        """A book of the same listings with the changes merged into its columns and trees."""
        dead = self._changes.dead
        kept = [s for i, s in enumerate(self.columns.supplies) if dead is None or not dead[i]]
        return SupplyBook([*kept, *self._delta.values()], self.parameters)

    def supply(self, row: int) -> Supply:
        """The Supply of a row of a :class:`Scored` this book returned."""
        n = len(self.columns)
        return self.columns.supplies[row] if row < n else self.delta.supplies[row - n]

    def ranked_for_demand(self, demand: Demand, settings: MatchSettings, limit: int) -> Scored:
        """Top ``limit`` feasible rows (see :meth:`supply`) with their figures."""
        group = self.groups.get(demand.material)
        alive = self._changes.alive
        if group is None or limit <= 0:
            top = score_supplies(demand, self.columns, np.empty(0, dtype=np.intp), settings)
        else:
            top = _best_first(
                group,
                demand.lon,
                demand.lat,
                demand_haul_km(demand, settings) / settings.circuity,
                self.columns.min_price_by_material[demand.material],
                settings,
                lambda rows: score_supplies(demand, self.columns, alive(rows), settings),
                self.columns.ids,
                limit,
            )
        if not self._delta or limit <= 0:
            return top
        extra = score_supplies(demand, self.delta, None, settings)
        ids = np.concatenate([self.columns.ids[top.rows], self.delta.ids[extra.rows]])
        both = _concat(top, extra, len(self.columns))
        return both.take(top_order(both.score, ids, limit))

    def matches_for_demand(
        self, demand: Demand, settings: MatchSettings | None = None, limit: int = 20
    ) -> list[Match]:
        """The ``limit`` best supplies for ``demand``, best first, each with explanations."""
        settings = settings or MatchSettings()
        top = self.ranked_for_demand(demand, settings, limit)
        return _build_for_demand(demand, self.supply, top, settings, self.parameters)


def _build_for_supply(
    supply: Supply,
    demand_of: Callable[[int], Demand],
    top: Scored,
    settings: MatchSettings,
    parameters: Mapping[str, Parameter],
) -> list[Match]:
    return [
        build_match(supply, demand_of(row), float(km), float(score), settings, parameters)
        for row, km, score in zip(top.rows.tolist(), top.road_km, top.score, strict=True)
    ]


def _build_for_demand(
    demand: Demand,
    supply_of: Callable[[int], Supply],
    top: Scored,
    settings: MatchSettings,
    parameters: Mapping[str, Parameter],
) -> list[Match]:
    return [
        build_match(supply_of(row), demand, float(km), float(score), settings, parameters)
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
    return _build_for_supply(supply, cols.demand, top, settings, parameters or {})


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
    return _build_for_demand(demand, cols.supplies.__getitem__, top, settings, parameters or {})
