"""City-wide allocation: how much of one material could be used, and at what cost.

Pairwise top-N lists answer "who should I call?"; the city's question is "how many tonnes
could be utilised if every feasible pairing were used, and what would the rest cost to
move?". That is a transportation problem on the feasible pairs only (the same hard filters as
the matcher). It is solved exactly in integers as ONE min-cost flow with OR-Tools
(``SimpleMinCostFlow.solve_max_flow_with_min_cost``): quantities in kg (how they are stored),
costs in fen per tonne, the maximum flow first and the least cost among maximum flows —
the lexicographic order "tonnes, then cost" without a big-M weight that could overflow int64
or distort costs. Supply nodes carry +kg, demand nodes −kg; what cannot move stays put.

:func:`solve_transport_lp` is the same problem as two HiGHS linear programmes (the previous
solver), kept as an independent cross-check for the tests and the benchmark.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from ortools.graph.python import min_cost_flow
from scipy.optimize import linprog
from scipy.sparse import coo_matrix, csr_matrix, vstack
from scipy.sparse.csgraph import connected_components

from matching.engine import DemandBook
from matching.model import Demand, Supply
from matching.scoring import MatchSettings, score_demands

_CENT = Decimal("0.01")
_KG = Decimal(1000)

I64 = NDArray[np.int64]


@dataclass(frozen=True)
class Flow:
    """Tonnes sent from one supply to one demand at a delivered price per tonne."""

    supply_id: int
    demand_id: int
    tonnes: Decimal
    delivered_cny_t: Decimal
    road_km: Decimal = Decimal(0)

    @property
    def cost_cny(self) -> Decimal:
        return (self.tonnes * self.delivered_cny_t).quantize(_CENT)


@dataclass(frozen=True)
class Allocation:
    """The plan and its totals; ``unallocated_supply_t`` is "what more could be used"."""

    flows: tuple[Flow, ...]
    tonnes_allocated: Decimal
    total_cost_cny: Decimal
    unallocated_supply_t: Decimal
    unmet_demand_t: Decimal
    unallocated_by_supply: dict[int, Decimal]


@dataclass(frozen=True)
class Pairs:
    """The feasible pairs of one allocation problem as integer columns.

    ``supply_kg``/``demand_kg`` per listing; per pair: supply row ``si``, demand row ``di``,
    delivered cost ``cost_fen_t`` (fen per tonne) and rounded road distance ``road_dkm``
    (tenths of a km).
    """

    supply_kg: I64
    demand_kg: I64
    si: I64
    di: I64
    cost_fen_t: I64
    road_dkm: I64

    def __len__(self) -> int:
        return int(self.si.size)


def _kg(quantity_t: Decimal) -> int:
    """Whole kg of a tonnage (quantities are stored as integer kg, so this is exact)."""
    return int((quantity_t * _KG).to_integral_value(rounding="ROUND_FLOOR"))


def _round_half_even_div(num: I64, den: int) -> I64:
    """``num / den`` rounded half to even, in integers (``den`` > 0), like Decimal.quantize."""
    q, r = np.divmod(num, den)
    up = (2 * r > den) | ((2 * r == den) & (q % 2 == 1))
    return np.asarray(q + up, dtype=np.int64)


def freight_fen_t(road_dkm: I64, rate_cny_t_km: Decimal) -> I64:
    """Freight in fen per tonne for road distances in 0.1 km, rounded as the matcher does:
    ``(road_km × rate).quantize(0.01)``, computed exactly in integers."""
    sign, digits, exponent = rate_cny_t_km.normalize().as_tuple()
    if sign:
        raise ValueError("freight rate must not be negative")
    numerator = int("".join(map(str, digits)) or "0")
    # road_km × rate × 100 fen = road_dkm × numerator × 10^exponent × 10
    power = int(exponent) + 1
    num = road_dkm.astype(np.int64) * numerator
    if power >= 0:
        return np.asarray(num * 10**power, dtype=np.int64)
    return _round_half_even_div(num, 10**-power)


def allocation_pairs(
    supplies: Sequence[Supply],
    demands: Sequence[Demand],
    settings: MatchSettings | None = None,
) -> Pairs:
    """Every feasible (supply, demand) pair with its integer cost, via the demand index.

    Each supply's candidates are what :meth:`DemandBook.feasible_for_supply` finds (the
    spatial index, one query for all lots of a material, then the matcher's hard filters,
    vectorised over the demands); the cost of a pair is price + freight for the road
    distance rounded to 0.1 km, as in a Match.
    """
    settings = settings or MatchSettings()
    book = DemandBook(demands)
    rows: list[NDArray[np.intp]] = []
    kms: list[NDArray[np.float64]] = []
    owners: list[NDArray[np.int64]] = []
    by_material: dict[str, list[int]] = {}
    for i, s in enumerate(supplies):
        by_material.setdefault(s.material, []).append(i)
    for material, members in by_material.items():
        group = book.groups.get(material)
        if group is None:
            continue
        # One tree query for every lot of the material (the radius depends on it alone),
        # then the matcher's own filters and figures per lot, as feasible_for_supply does.
        hits = group.index.within_many(
            [supplies[i].lon for i in members],
            [supplies[i].lat for i in members],
            book.search_radius_km(material, settings),
        )
        for i, local in zip(members, hits, strict=True):
            scored = score_demands(supplies[i], book.columns, group.rows[local], settings)
            if len(scored):
                rows.append(scored.rows)
                kms.append(scored.road_km)
                owners.append(np.full(len(scored), i, dtype=np.int64))
    if rows:
        si = np.concatenate(owners)
        di = np.concatenate(rows).astype(np.int64)
        road_dkm = np.rint(np.concatenate(kms) * 10.0).astype(np.int64)
    else:
        si = di = road_dkm = np.zeros(0, dtype=np.int64)
    price_fen = np.asarray(
        [int(s.price_cny_t.quantize(_CENT) * 100) for s in supplies], dtype=np.int64
    )
    cost = price_fen[si] + freight_fen_t(road_dkm, settings.freight_cny_per_t_km)
    return Pairs(
        supply_kg=np.asarray([_kg(s.quantity_t) for s in supplies], dtype=np.int64),
        demand_kg=np.asarray([_kg(d.quantity_t) for d in demands], dtype=np.int64),
        si=si,
        di=di,
        cost_fen_t=np.asarray(cost, dtype=np.int64),
        road_dkm=road_dkm,
    )


def solve_transport(
    supply_kg: Sequence[int] | I64,
    demand_kg: Sequence[int] | I64,
    si: Sequence[int] | I64,
    di: Sequence[int] | I64,
    cost: Sequence[int] | I64,
) -> I64:
    """Integer amount per pair: the most that can move, then the least Σ cost × amount.

    Amounts and costs are integers (kg and fen per tonne in :func:`allocate`); pairs are
    (``si[k]``, ``di[k]``) row indices of the feasible pairings only. The pairs fall apart
    into connected components (clusters no haul limit joins); each is one OR-Tools solve,
    and a component of one pair needs none (it moves the smaller end). The optimum of the
    whole is the union of the components' optima, since they share no supply and no demand.
    """
    s_kg = np.asarray(supply_kg, dtype=np.int64)
    d_kg = np.asarray(demand_kg, dtype=np.int64)
    tails = np.asarray(si, dtype=np.int64)
    heads = np.asarray(di, dtype=np.int64)
    costs = np.asarray(cost, dtype=np.int64)
    m = int(tails.size)
    if m == 0:
        return np.zeros(0, dtype=np.int64)
    if np.any(s_kg < 0) or np.any(d_kg < 0):
        raise ValueError("quantities must not be negative")
    arc_label = component_of_pairs(int(s_kg.size), int(d_kg.size), tails, heads)
    sizes = np.bincount(arc_label)
    if sizes.size == 1:
        return _solve_component(s_kg, d_kg, tails, heads, costs)
    out = np.zeros(m, dtype=np.int64)
    single = sizes[arc_label] == 1
    out[single] = np.minimum(s_kg[tails[single]], d_kg[heads[single]])
    rest = np.flatnonzero(~single)
    if rest.size == 0:
        return out
    order = rest[np.argsort(arc_label[rest], kind="stable")]
    bounds = np.flatnonzero(np.diff(arc_label[order])) + 1
    for arcs in np.split(order, bounds):
        local_s, t = np.unique(tails[arcs], return_inverse=True)
        local_d, h = np.unique(heads[arcs], return_inverse=True)
        out[arcs] = _solve_component(
            s_kg[local_s], d_kg[local_d], t.astype(np.int64), h.astype(np.int64), costs[arcs]
        )
    return out


def component_of_pairs(n_s: int, n_d: int, tails: I64, heads: I64) -> I64:
    """The connected component (0, 1, …) of every pair in the supply–demand graph."""
    n = n_s + n_d
    graph = coo_matrix(
        (np.ones(tails.size, dtype=np.int8), (tails, heads + n_s)), shape=(n, n)
    ).tocsr()
    count, node_label = connected_components(graph, directed=False)
    label = node_label[tails]
    # Renumber the components that have pairs 0, 1, … (isolated nodes have none), in O(m).
    used = np.zeros(count, dtype=bool)
    used[label] = True
    renumber = np.cumsum(used) - 1
    return np.asarray(renumber[label], dtype=np.int64)


def _solve_component(s_kg: I64, d_kg: I64, tails: I64, heads: I64, costs: I64) -> I64:
    """One OR-Tools solve: the maximum flow first, then the least cost among maximum flows."""
    n_s = int(s_kg.size)
    flow = min_cost_flow.SimpleMinCostFlow()
    # A pair can never carry more than the smaller of its two ends.
    caps = np.minimum(s_kg[tails], d_kg[heads])
    flow.add_arcs_with_capacity_and_unit_cost(tails, heads + n_s, caps, costs)
    nodes = np.arange(n_s + int(d_kg.size), dtype=np.int64)
    flow.set_nodes_supplies(nodes, np.concatenate([s_kg, -d_kg]))
    status = flow.solve_max_flow_with_min_cost()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"allocation min-cost flow failed: {status!r}")
    return np.asarray(flow.flows(np.arange(int(tails.size), dtype=np.int64)), dtype=np.int64)


def solve_transport_lp(
    supply_t: Sequence[float] | NDArray[np.float64],
    demand_t: Sequence[float] | NDArray[np.float64],
    pairs: Sequence[tuple[int, int]] | NDArray[np.int64],
    cost: Sequence[float] | NDArray[np.float64],
) -> NDArray[np.float64]:
    """Cross-check: the same problem as two HiGHS LPs (maximise the total moved, then
    minimise Σ cost × amount with the total held at that maximum). Floats, not integers.
    """
    p = np.asarray(pairs, dtype=np.intp).reshape(-1, 2)
    m = int(p.shape[0])
    if m == 0:
        return np.zeros(0)
    si, di = p[:, 0], p[:, 1]
    cols = np.arange(m)
    a_s = coo_matrix((np.ones(m), (si, cols)), shape=(len(supply_t), m))
    a_d = coo_matrix((np.ones(m), (di, cols)), shape=(len(demand_t), m))
    a_ub = csr_matrix(vstack([a_s, a_d]))
    b_ub = np.concatenate([np.asarray(supply_t, float), np.asarray(demand_t, float)])

    first = linprog(-np.ones(m), A_ub=a_ub, b_ub=b_ub, bounds=(0, None), method="highs")
    if first.status != 0:
        raise RuntimeError(f"allocation LP failed: {first.message}")
    most = -float(first.fun)
    # Hold the tonnage at the maximum (HiGHS feasibility tolerance ≈ 1e-7, relative).
    a2 = csr_matrix(vstack([a_ub, csr_matrix(-np.ones((1, m)))]))
    b2 = np.concatenate([b_ub, [-most * (1 - 1e-12)]])
    second = linprog(np.asarray(cost, float), A_ub=a2, b_ub=b2, bounds=(0, None), method="highs")
    if second.status != 0:
        raise RuntimeError(f"allocation LP failed: {second.message}")
    return np.asarray(second.x)


def solve_pairs(pairs: Pairs, solver: Literal["flow", "lp"] = "flow") -> I64:
    """kg per pair with the chosen solver (``"lp"`` rounds HiGHS's vertex to whole kg)."""
    if solver == "flow":
        return solve_transport(
            pairs.supply_kg, pairs.demand_kg, pairs.si, pairs.di, pairs.cost_fen_t
        )
    x = solve_transport_lp(
        pairs.supply_kg.astype(float),
        pairs.demand_kg.astype(float),
        np.stack([pairs.si, pairs.di], axis=1),
        pairs.cost_fen_t.astype(float),
    )
    return np.rint(x).astype(np.int64)


def allocate(
    supplies: Sequence[Supply],
    demands: Sequence[Demand],
    settings: MatchSettings | None = None,
    *,
    solver: Literal["flow", "lp"] = "flow",
) -> Allocation:
    """Allocate supplies to demands of one material at least delivered cost.

    Feasible pairs come from :func:`allocation_pairs`; flows are whole kg, never above a
    listing's quantity. ``solver="lp"`` uses the HiGHS cross-check instead.
    """
    materials = {s.material for s in supplies} | {d.material for d in demands}
    if len(materials) > 1:
        raise ValueError(f"allocate one material at a time, got {sorted(materials)}")
    pairs = allocation_pairs(supplies, demands, settings)
    x = solve_pairs(pairs, solver)
    used = np.flatnonzero(x > 0)
    sent = np.bincount(pairs.si[used], weights=x[used], minlength=len(supplies))
    received = np.bincount(pairs.di[used], weights=x[used], minlength=len(demands))
    flows = [
        Flow(
            supplies[i].id,
            demands[j].id,
            Decimal(kg) / _KG,
            Decimal(c) / 100,
            Decimal(km) / 10,
        )
        for i, j, kg, c, km in zip(
            pairs.si[used].tolist(),
            pairs.di[used].tolist(),
            x[used].tolist(),
            pairs.cost_fen_t[used].tolist(),
            pairs.road_dkm[used].tolist(),
            strict=True,
        )
    ]
    flows.sort(key=lambda f: (f.supply_id, f.demand_id))
    left = {
        s.id: Decimal(int(pairs.supply_kg[i]) - int(sent[i])) / _KG for i, s in enumerate(supplies)
    }
    unmet = int(pairs.demand_kg.sum()) - int(received.sum())
    return Allocation(
        flows=tuple(flows),
        tonnes_allocated=Decimal(int(x[used].sum())) / _KG,
        total_cost_cny=sum((f.cost_cny for f in flows), Decimal(0)),
        unallocated_supply_t=sum(left.values(), Decimal(0)),
        unmet_demand_t=Decimal(unmet) / _KG,
        unallocated_by_supply=left,
    )
