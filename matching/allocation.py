"""City-wide allocation: how much of one material could be used, and at what cost.

Pairwise top-N lists answer "who should I call?"; the city's question is "how many tonnes
could be utilised if every feasible pairing were used, and what would the rest cost to
move?". That is a transportation problem on the feasible pairs only (the same hard filters as
the matcher), solved as two linear programmes with HiGHS: first the most tonnes that can
move, then the least total delivered cost for exactly that tonnage. Lexicographic solving
avoids a big-M weight that would either distort costs or lose precision.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import coo_matrix, csr_matrix, vstack

from matching.engine import DemandBook
from matching.model import Demand, Supply
from matching.scoring import MatchSettings

_TONNE_Q = Decimal("0.01")
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class Flow:
    """Tonnes sent from one supply to one demand at a delivered price per tonne."""

    supply_id: int
    demand_id: int
    tonnes: Decimal
    delivered_cny_t: Decimal

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


def solve_transport(
    supply_t: Sequence[float],
    demand_t: Sequence[float],
    pairs: Sequence[tuple[int, int]],
    cost: Sequence[float],
) -> np.ndarray:
    """Tonnes per pair: maximise the total moved, then minimise Σ cost × tonnes.

    ``pairs`` are (supply index, demand index) of the feasible pairings only, so the LP
    has one variable per feasible pair rather than per supply × demand.
    """
    m = len(pairs)
    if m == 0:
        return np.zeros(0)
    si = np.fromiter((p[0] for p in pairs), dtype=np.intp, count=m)
    di = np.fromiter((p[1] for p in pairs), dtype=np.intp, count=m)
    cols = np.arange(m)
    a_s = coo_matrix((np.ones(m), (si, cols)), shape=(len(supply_t), m))
    a_d = coo_matrix((np.ones(m), (di, cols)), shape=(len(demand_t), m))
    a_ub = csr_matrix(vstack([a_s, a_d]))
    b_ub = np.concatenate([np.asarray(supply_t, float), np.asarray(demand_t, float)])

    first = linprog(-np.ones(m), A_ub=a_ub, b_ub=b_ub, bounds=(0, None), method="highs")
    if first.status != 0:
        raise RuntimeError(f"allocation LP failed: {first.message}")
    most = -float(first.fun)
    # Hold the tonnage at the maximum while minimising cost. HiGHS works to a feasibility
    # tolerance of about 1e-7, so the bound is met to that precision, far below the
    # 0.01 t that flows are reported in.
    a2 = csr_matrix(vstack([a_ub, csr_matrix(-np.ones((1, m)))]))
    b2 = np.concatenate([b_ub, [-most]])
    second = linprog(np.asarray(cost, float), A_ub=a2, b_ub=b2, bounds=(0, None), method="highs")
    if second.status != 0:
        raise RuntimeError(f"allocation LP failed: {second.message}")
    return np.asarray(second.x)


def allocate(
    supplies: Sequence[Supply],
    demands: Sequence[Demand],
    settings: MatchSettings | None = None,
) -> Allocation:
    """Allocate supplies to demands of one material at least delivered cost.

    Feasible pairs come from :class:`~matching.engine.DemandBook` (index, hard filters);
    the cost of a pair is price + freight for the rounded road distance, as in a Match.
    Flows are rounded to 0.01 t, never above a listing's quantity.
    """
    settings = settings or MatchSettings()
    materials = {s.material for s in supplies} | {d.material for d in demands}
    if len(materials) > 1:
        raise ValueError(f"allocate one material at a time, got {sorted(materials)}")
    book = DemandBook(demands)
    pairs: list[tuple[int, int]] = []
    costs: list[Decimal] = []
    for i, s in enumerate(supplies):
        scored = book.feasible_for_supply(s, settings)
        for row, km in zip(scored.rows.tolist(), scored.road_km.tolist(), strict=True):
            road = Decimal(km).quantize(Decimal("0.1"))
            freight = (road * settings.freight_cny_per_t_km).quantize(_CENT)
            pairs.append((i, row))
            costs.append(s.price_cny_t.quantize(_CENT) + freight)
    x = solve_transport(
        [float(s.quantity_t) for s in supplies],
        [float(d.quantity_t) for d in demands],
        pairs,
        [float(c) for c in costs],
    )
    flows: list[Flow] = []
    sent = [Decimal(0)] * len(supplies)
    received = [Decimal(0)] * len(demands)
    for (i, j), c, t in zip(pairs, costs, x.tolist(), strict=True):
        tonnes = Decimal(t).quantize(_TONNE_Q)
        tonnes = min(tonnes, supplies[i].quantity_t - sent[i], demands[j].quantity_t - received[j])
        if tonnes <= 0:
            continue
        sent[i] += tonnes
        received[j] += tonnes
        flows.append(Flow(supplies[i].id, demands[j].id, tonnes, c))
    flows.sort(key=lambda f: (f.supply_id, f.demand_id))
    left = {s.id: s.quantity_t - sent[i] for i, s in enumerate(supplies)}
    return Allocation(
        flows=tuple(flows),
        tonnes_allocated=sum((f.tonnes for f in flows), Decimal(0)),
        total_cost_cny=sum((f.cost_cny for f in flows), Decimal(0)),
        unallocated_supply_t=sum(left.values(), Decimal(0)),
        unmet_demand_t=sum((d.quantity_t - received[j] for j, d in enumerate(demands)), Decimal(0)),
        unallocated_by_supply=left,
    )
