"""City-wide allocation: how much of one material could be used, and at what cost.

Pairwise top-N lists answer "who should I call?"; the city's question is "how many tonnes
could be utilised if every feasible pairing were used, and what would the rest cost to
move?". That is a transportation problem on the feasible pairs only (the same hard filters as
the matcher), solved exactly in integers: quantities in kg (how they are stored), costs in
fen per tonne, the most tonnes first and the least cost among those.

Solvers (``solver=``), all exact and checked against each other by the tests and the bench:

- ``"auto"`` (default): the network simplex for components of at least
  :data:`SIMPLEX_FROM_PAIRS` pairs, OR-Tools for smaller ones.
- ``"simplex"``: :mod:`matching.network_simplex`, a primal network simplex. What
  cannot move goes to one slack node at a penalty ``P`` per kg on either side (unserved
  supply, unmet demand), with ``P`` above the cost of any path, so every kg that can move
  lowers the cost by 2P minus what it costs: one min-cost flow gives "tonnes, then cost".
  ≈ 6× faster than OR-Tools on the city-sized bench (0.3 s vs 2 s at 2,000 per side).
- ``"ortools"``: OR-Tools' cost-scaling ``SimpleMinCostFlow.solve_max_flow_with_min_cost``
  (maximum flow, then the least cost among maximum flows), supply nodes +kg, demand −kg.
- ``"lp"``: :func:`solve_transport_lp`, the same problem as two HiGHS linear programmes.

Hazardous-waste demands of one organisation share its permit capacity left this year: such
demands (``shared_caps`` by organisation) have no −kg of their own but an arc (capacity:
the demand's kg) to one node per organisation holding −(capacity left), so their sum is
capped, not each of them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
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
from matching.scoring import MatchSettings, feasible_pairs, score_demands

_CENT = Decimal("0.01")
_KG = Decimal(1000)

I64 = NDArray[np.int64]
Solver = Literal["auto", "simplex", "ortools", "lp"]
Method = Literal["auto", "simplex", "ortools"]
#: "auto" solves components of at least this many pairs with the network simplex, smaller
#: ones with OR-Tools: on a few hundred pairs both take well under a millisecond, and a
#: server process that only ever allocates small instances never compiles the simplex.
SIMPLEX_FROM_PAIRS = 5_000


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
    #: per demand row: the index of its shared permit cap in ``group_kg``, or −1 (none)
    demand_group: I64 = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    #: kg left under each shared permit cap (an organisation's capacity left this year)
    group_kg: I64 = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

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
    shared_caps: Mapping[int, Decimal] | None = None,
) -> Pairs:
    """Every feasible (supply, demand) pair with its integer cost, via the demand index.

    ``shared_caps`` (organisation id → tonnes) puts the demands of each listed organisation
    under one common cap (``demand_group``/``group_kg``).

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
        plain: list[tuple[int, NDArray[np.intp]]] = []
        for i, local in zip(members, hits, strict=True):
            s = supplies[i]
            if not (s.hazardous or s.battery_recycling or s.battery_cascade):
                plain.append((i, group.rows[local]))
                continue
            scored = score_demands(s, book.columns, group.rows[local], settings)
            if len(scored):
                rows.append(scored.rows)
                kms.append(scored.road_km)
                owners.append(np.full(len(scored), i, dtype=np.int64))
        if plain:
            # All plain lots' candidates at once (the matcher's filters, vectorised over pairs).
            lots = [supplies[i] for i, _ in plain]
            local_owner = np.repeat(np.arange(len(plain)), [len(r) for _, r in plain])
            pair_rows = np.concatenate([r for _, r in plain]).astype(np.intp)
            ok, road = feasible_pairs(lots, local_owner, book.columns, pair_rows, settings)
            index = np.asarray([i for i, _ in plain], dtype=np.int64)
            rows.append(pair_rows[ok])
            kms.append(road[ok])
            owners.append(index[local_owner[ok]])
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
    demand_group, group_kg = _groups(demands, shared_caps or {})
    return Pairs(
        supply_kg=np.asarray([_kg(s.quantity_t) for s in supplies], dtype=np.int64),
        demand_kg=np.asarray([_kg(d.quantity_t) for d in demands], dtype=np.int64),
        si=si,
        di=di,
        cost_fen_t=np.asarray(cost, dtype=np.int64),
        road_dkm=road_dkm,
        demand_group=demand_group,
        group_kg=group_kg,
    )


def _groups(demands: Sequence[Demand], caps: Mapping[int, Decimal]) -> tuple[I64, I64]:
    """Each demand's shared cap index (−1: none) and the caps in kg, in first-seen order."""
    index: dict[int, int] = {}
    group = np.full(len(demands), -1, dtype=np.int64)
    for j, d in enumerate(demands):
        if d.org_id in caps:
            group[j] = index.setdefault(d.org_id, len(index))
    group_kg = np.asarray([_kg(caps[org]) for org in index], dtype=np.int64)
    return group, group_kg


def solve_transport(
    supply_kg: Sequence[int] | I64,
    demand_kg: Sequence[int] | I64,
    si: Sequence[int] | I64,
    di: Sequence[int] | I64,
    cost: Sequence[int] | I64,
    demand_group: Sequence[int] | I64 | None = None,
    group_kg: Sequence[int] | I64 | None = None,
    method: Method = "auto",
) -> I64:
    """Integer amount per pair: the most that can move, then the least Σ cost × amount.

    Amounts and costs are integers (kg and fen per tonne in :func:`allocate`); pairs are
    (``si[k]``, ``di[k]``) row indices of the feasible pairings only. The pairs fall apart
    into connected components (clusters no haul limit joins); each is one ``method`` solve,
    and a component of one pair needs none (it moves the smaller end). The optimum of the
    whole is the union of the components' optima, since they share no supply and no demand.
    ``demand_group[j]`` ≥ 0 puts demand ``j`` under the shared cap ``group_kg[g]`` (the
    demands of one cap are one component).
    """
    s_kg = np.asarray(supply_kg, dtype=np.int64)
    d_kg = np.asarray(demand_kg, dtype=np.int64)
    tails = np.asarray(si, dtype=np.int64)
    heads = np.asarray(di, dtype=np.int64)
    costs = np.asarray(cost, dtype=np.int64)
    m = int(tails.size)
    if m == 0:
        return np.zeros(0, dtype=np.int64)
    group = (
        np.full(d_kg.size, -1, dtype=np.int64)
        if demand_group is None
        else np.asarray(demand_group, dtype=np.int64)
    )
    g_kg = np.zeros(0, dtype=np.int64) if group_kg is None else np.asarray(group_kg, np.int64)
    if np.any(s_kg < 0) or np.any(d_kg < 0) or np.any(g_kg < 0):
        raise ValueError("quantities must not be negative")
    if g_kg.size == 0:
        group = np.full(d_kg.size, -1, dtype=np.int64)
    arc_label = component_of_pairs(int(s_kg.size), int(d_kg.size), tails, heads, group)
    sizes = np.bincount(arc_label)
    if sizes.size == 1:
        return _solve_component(s_kg, d_kg, tails, heads, costs, group, g_kg, method)
    out = np.zeros(m, dtype=np.int64)
    single = sizes[arc_label] == 1
    end = np.minimum(s_kg[tails[single]], d_kg[heads[single]])
    g_single = group[heads[single]]
    capped = g_single >= 0
    end[capped] = np.minimum(end[capped], g_kg[g_single[capped]])
    out[single] = end
    rest = np.flatnonzero(~single)
    if rest.size == 0:
        return out
    order = rest[np.argsort(arc_label[rest], kind="stable")]
    bounds = np.flatnonzero(np.diff(arc_label[order])) + 1
    for arcs in np.split(order, bounds):
        local_s, t = np.unique(tails[arcs], return_inverse=True)
        local_d, h = np.unique(heads[arcs], return_inverse=True)
        g = group[local_d]
        local_g, g_local = np.unique(g[g >= 0], return_inverse=True)
        g_new = np.full(g.size, -1, dtype=np.int64)
        g_new[g >= 0] = g_local
        out[arcs] = _solve_component(
            s_kg[local_s],
            d_kg[local_d],
            t.astype(np.int64),
            h.astype(np.int64),
            costs[arcs],
            g_new,
            g_kg[local_g],
            method,
        )
    return out


def component_of_pairs(
    n_s: int, n_d: int, tails: I64, heads: I64, demand_group: I64 | None = None
) -> I64:
    """The connected component (0, 1, …) of every pair in the supply–demand graph (the
    demands of one shared cap, ``demand_group[j]`` ≥ 0, joined through a node of their own)."""
    rows, cols = tails, heads + n_s
    n_g = 0
    if demand_group is not None and demand_group.size and int(demand_group.max()) >= 0:
        capped = np.flatnonzero(demand_group >= 0)
        n_g = int(demand_group.max()) + 1
        rows = np.concatenate([rows, capped + n_s])
        cols = np.concatenate([cols, demand_group[capped] + n_s + n_d])
    n = n_s + n_d + n_g
    graph = coo_matrix((np.ones(rows.size, dtype=np.int8), (rows, cols)), shape=(n, n)).tocsr()
    count, node_label = connected_components(graph, directed=False)
    label = node_label[tails]
    # Renumber the components that have pairs 0, 1, … (isolated nodes have none), in O(m).
    used = np.zeros(count, dtype=bool)
    used[label] = True
    renumber = np.cumsum(used) - 1
    return np.asarray(renumber[label], dtype=np.int64)


def _solve_component(
    s_kg: I64,
    d_kg: I64,
    tails: I64,
    heads: I64,
    costs: I64,
    demand_group: I64 | None = None,
    group_kg: I64 | None = None,
    method: Method = "auto",
) -> I64:
    """One solve of one connected component: the most kg first, then the least cost.

    Nodes: supplies, then demands, then one per shared cap; a capped demand passes its kg on
    an arc (cost 0) to its cap's node, which alone holds −kg.
    """
    g_kg = np.zeros(0, dtype=np.int64) if group_kg is None else group_kg
    group = np.full(d_kg.size, -1, dtype=np.int64) if demand_group is None else demand_group
    if method == "simplex" or (method == "auto" and tails.size >= SIMPLEX_FROM_PAIRS):
        from matching.network_simplex import OutOfRange

        try:
            return _simplex_component(s_kg, d_kg, tails, heads, costs, group, g_kg)
        except OutOfRange:
            # The slack's penalty grows with cost × nodes and the big-M start with that ×
            # nodes again: for very dear costs on many nodes that leaves exact int64, where
            # OR-Tools (cost × nodes only) still fits.
            pass
    return _ortools_component(s_kg, d_kg, tails, heads, costs, group, g_kg)


def _simplex_component(
    s_kg: I64, d_kg: I64, tails: I64, heads: I64, costs: I64, group: I64, g_kg: I64
) -> I64:
    """The component as one balanced min-cost flow for the network simplex.

    A slack node Z takes each supply's unserved kg (arc supply → Z) and gives each demand
    (or shared cap) its unmet kg (arc Z → demand), both at ``P`` fen/t above the cost of any
    path; Z holds the difference of the two sides, so the flow is balanced and moving one
    more kg always pays: the optimum moves the most kg, then at the least cost.
    """
    n_s, n_d, n_g = int(s_kg.size), int(d_kg.size), int(g_kg.size)
    slack = n_s + n_d + n_g
    n = slack + 1
    capped = np.flatnonzero(group >= 0)
    free = np.flatnonzero(group < 0)
    supply_nodes = np.arange(n_s, dtype=np.int64)
    penalty = (int(np.abs(costs).max(initial=0)) + 1) * (n + 1)
    arcs_tail = np.concatenate(
        [tails, supply_nodes, np.full(free.size + n_g, slack), capped + n_s]
    ).astype(np.int64)
    arcs_head = np.concatenate(
        [
            heads + n_s,
            np.full(n_s, slack),
            free + n_s,
            np.arange(n_g) + n_s + n_d,
            group[capped] + n_s + n_d,
        ]
    ).astype(np.int64)
    capacity = np.concatenate(
        [np.minimum(s_kg[tails], d_kg[heads]), s_kg, d_kg[free], g_kg, d_kg[capped]]
    ).astype(np.int64)
    cost = np.concatenate(
        [costs, np.full(n_s + free.size + n_g, penalty), np.zeros(capped.size)]
    ).astype(np.int64)
    demand_side = np.zeros(n_d, dtype=np.int64)
    demand_side[free] = d_kg[free]
    supplies = np.concatenate([s_kg, -demand_side, -g_kg, [0]]).astype(np.int64)
    supplies[slack] = -int(supplies.sum())
    # Imported here: Numba (and the compiled solver) load only where a large one is solved.
    from matching.network_simplex import min_cost_flow as simplex

    flow, _potential = simplex(n, arcs_tail, arcs_head, capacity, cost, supplies)
    return np.asarray(flow[: tails.size], dtype=np.int64)


def _ortools_component(
    s_kg: I64, d_kg: I64, tails: I64, heads: I64, costs: I64, group: I64, g_kg: I64
) -> I64:
    """The component with OR-Tools: the maximum flow first, then the least cost among them."""
    n_s, n_d = int(s_kg.size), int(d_kg.size)
    flow = min_cost_flow.SimpleMinCostFlow()
    # A pair can never carry more than the smaller of its two ends.
    caps = np.minimum(s_kg[tails], d_kg[heads])
    flow.add_arcs_with_capacity_and_unit_cost(tails, heads + n_s, caps, costs)
    sinks = -d_kg
    if g_kg.size:
        capped = np.flatnonzero(group >= 0)
        flow.add_arcs_with_capacity_and_unit_cost(
            capped + n_s,
            group[capped] + n_s + n_d,
            d_kg[capped],
            np.zeros(capped.size, dtype=np.int64),
        )
        sinks = sinks.copy()
        sinks[capped] = 0
    nodes = np.arange(n_s + n_d + int(g_kg.size), dtype=np.int64)
    flow.set_nodes_supplies(nodes, np.concatenate([s_kg, sinks, -g_kg]))
    status = flow.solve_max_flow_with_min_cost()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"allocation min-cost flow failed: {status!r}")
    return np.asarray(flow.flows(np.arange(int(tails.size), dtype=np.int64)), dtype=np.int64)


def solve_transport_lp(
    supply_t: Sequence[float] | NDArray[np.float64],
    demand_t: Sequence[float] | NDArray[np.float64],
    pairs: Sequence[tuple[int, int]] | NDArray[np.int64],
    cost: Sequence[float] | NDArray[np.float64],
    demand_group: Sequence[int] | NDArray[np.int64] | None = None,
    group_t: Sequence[float] | NDArray[np.float64] | None = None,
) -> NDArray[np.float64]:
    """Cross-check: the same problem as two HiGHS LPs (maximise the total moved, then
    minimise Σ cost × amount with the total held at that maximum). Floats, not integers.
    A shared cap is one more row: Σ over the pairs into its demands ≤ ``group_t[g]``.
    """
    p = np.asarray(pairs, dtype=np.intp).reshape(-1, 2)
    m = int(p.shape[0])
    if m == 0:
        return np.zeros(0)
    si, di = p[:, 0], p[:, 1]
    cols = np.arange(m)
    a_s = coo_matrix((np.ones(m), (si, cols)), shape=(len(supply_t), m))
    a_d = coo_matrix((np.ones(m), (di, cols)), shape=(len(demand_t), m))
    blocks = [a_s, a_d]
    b_ub = np.concatenate([np.asarray(supply_t, float), np.asarray(demand_t, float)])
    if demand_group is not None and group_t is not None and len(group_t):
        g = np.asarray(demand_group, dtype=np.intp)[di]
        inside = np.flatnonzero(g >= 0)
        blocks.append(
            coo_matrix((np.ones(inside.size), (g[inside], inside)), shape=(len(group_t), m))
        )
        b_ub = np.concatenate([b_ub, np.asarray(group_t, float)])
    a_ub = csr_matrix(vstack(blocks))

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


def solve_pairs(pairs: Pairs, solver: Solver = "auto") -> I64:
    """kg per pair with the chosen solver (``"lp"`` rounds HiGHS's vertex to whole kg)."""
    if solver != "lp":
        return solve_transport(
            pairs.supply_kg,
            pairs.demand_kg,
            pairs.si,
            pairs.di,
            pairs.cost_fen_t,
            pairs.demand_group,
            pairs.group_kg,
            solver,
        )
    x = solve_transport_lp(
        pairs.supply_kg.astype(float),
        pairs.demand_kg.astype(float),
        np.stack([pairs.si, pairs.di], axis=1),
        pairs.cost_fen_t.astype(float),
        pairs.demand_group,
        pairs.group_kg.astype(float),
    )
    return np.rint(x).astype(np.int64)


@dataclass(frozen=True)
class Solved:
    """A solved instance as plain integer arrays (cheap to pickle across a process): the
    pairs that carry something (supply row, demand row, kg, fen/t, 0.1 km) and each
    listing's and demand's kg."""

    si: I64
    di: I64
    kg: I64
    cost_fen_t: I64
    road_dkm: I64
    supply_kg: I64
    demand_kg: I64


def solve_instance(
    supplies: Sequence[Supply],
    demands: Sequence[Demand],
    settings: MatchSettings | None = None,
    *,
    solver: Solver = "auto",
    shared_caps: Mapping[int, Decimal] | None = None,
) -> Solved:
    """Pairs and solve of :func:`allocate`, without building the plan's objects."""
    materials = {s.material for s in supplies} | {d.material for d in demands}
    if len(materials) > 1:
        raise ValueError(f"allocate one material at a time, got {sorted(materials)}")
    pairs = allocation_pairs(supplies, demands, settings, shared_caps)
    x = solve_pairs(pairs, solver)
    used = np.flatnonzero(x > 0)
    return Solved(
        si=pairs.si[used],
        di=pairs.di[used],
        kg=x[used],
        cost_fen_t=pairs.cost_fen_t[used],
        road_dkm=pairs.road_dkm[used],
        supply_kg=pairs.supply_kg,
        demand_kg=pairs.demand_kg,
    )


def plan_of(supplies: Sequence[Supply], demands: Sequence[Demand], solved: Solved) -> Allocation:
    """The :class:`Allocation` of a solved instance of these supplies and demands."""
    sent = np.bincount(solved.si, weights=solved.kg, minlength=len(supplies))
    received = np.bincount(solved.di, weights=solved.kg, minlength=len(demands))
    flows = [
        Flow(
            supplies[i].id,
            demands[j].id,
            Decimal(kg) / _KG,
            Decimal(c) / 100,
            Decimal(km) / 10,
        )
        for i, j, kg, c, km in zip(
            solved.si.tolist(),
            solved.di.tolist(),
            solved.kg.tolist(),
            solved.cost_fen_t.tolist(),
            solved.road_dkm.tolist(),
            strict=True,
        )
    ]
    flows.sort(key=lambda f: (f.supply_id, f.demand_id))
    left = {
        s.id: Decimal(int(solved.supply_kg[i]) - int(sent[i])) / _KG for i, s in enumerate(supplies)
    }
    unmet = int(solved.demand_kg.sum()) - int(received.sum())
    return Allocation(
        flows=tuple(flows),
        tonnes_allocated=Decimal(int(solved.kg.sum())) / _KG,
        total_cost_cny=sum((f.cost_cny for f in flows), Decimal(0)),
        unallocated_supply_t=sum(left.values(), Decimal(0)),
        unmet_demand_t=Decimal(unmet) / _KG,
        unallocated_by_supply=left,
    )


def allocate(
    supplies: Sequence[Supply],
    demands: Sequence[Demand],
    settings: MatchSettings | None = None,
    *,
    solver: Solver = "auto",
    shared_caps: Mapping[int, Decimal] | None = None,
) -> Allocation:
    """Allocate supplies to demands of one material at least delivered cost.

    Feasible pairs come from :func:`allocation_pairs`; flows are whole kg, never above a
    listing's quantity. ``solver="ortools"`` or ``"lp"`` use a cross-check instead.
    ``shared_caps``: organisation id → tonnes its demands may take together.
    """
    solved = solve_instance(supplies, demands, settings, solver=solver, shared_caps=shared_caps)
    return plan_of(supplies, demands, solved)
