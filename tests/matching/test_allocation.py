"""City-wide allocation: tonnes first, then least delivered cost."""

from __future__ import annotations

from decimal import Decimal as D

import numpy as np
import pytest

from geodata.distance import geodesic_km_many
from matching.allocation import allocate, solve_transport
from matching.model import Demand, Supply

DONGBAO = (112.2048, 31.0335)
DUODAO = (112.1984, 30.9808)
CHEM_PARK = (112.266, 31.023)
ZHONGXIANG = (112.5873, 31.1656)


def test_2x2_by_hand() -> None:
    """S = [100, 50], D = [80, 80], cost [[10, 20], [15, 40]].

    All 150 t of supply can move. With x21 = a, x11 = b the cost is 4000 − 10b − 25a,
    subject to a ≤ 50 and a + b ≤ 80, so a = 50, b = 30: x11 = 30, x12 = 70, x21 = 50,
    x22 = 0, cost 2450 (the cheap-looking 15 lane is used fully to keep S2 off the 40 one).
    """
    x = solve_transport([100, 50], [80, 80], [(0, 0), (0, 1), (1, 0), (1, 1)], [10, 20, 15, 40])
    assert np.allclose(x, [30, 70, 50, 0], atol=1e-6)
    assert float(np.dot(x, [10, 20, 15, 40])) == pytest.approx(2450)


def test_3x3_with_infeasible_pairs_by_hand() -> None:
    """S = [50, 30, 20], D = [40, 40, 40]; feasible pairs and costs:
    (0,0) 10, (0,1) 12, (1,0) 8, (1,2) 20, (2,1) 5.

    S2 can only go to D1 (20 t at 5). Then D1 has 20 left, so S0 sends a ≥ 30 to D0;
    cost = 1300 − 2a − 12c with c = S1→D0 ≤ 40 − a. Best: a = 30, c = 10, so
    x00 = 30, x01 = 20, x10 = 10, x12 = 20, x21 = 20; 100 t moved at 1120.
    """
    pairs = [(0, 0), (0, 1), (1, 0), (1, 2), (2, 1)]
    x = solve_transport([50, 30, 20], [40, 40, 40], pairs, [10, 12, 8, 20, 5])
    assert np.allclose(x, [30, 20, 10, 20, 20], atol=1e-6)
    assert float(np.dot(x, [10, 12, 8, 20, 5])) == pytest.approx(1120)


def test_tonnes_come_before_cost() -> None:
    """Moving 10 t to D1 at 100 CNY/t beats leaving it: utilisation is the first goal."""
    x = solve_transport([10, 10], [10, 10], [(0, 0), (1, 0), (0, 1)], [1, 1, 100])
    assert np.allclose(x, [0, 10, 10], atol=1e-6)


def test_no_feasible_pairs() -> None:
    assert solve_transport([10], [10], [], []).size == 0


def _s(id: int, at: tuple[float, float], qty: int, price: str) -> Supply:
    return Supply(id, 10 + id, "fly_ash", at[0], at[1], D(qty), D(price))


def test_allocate_respects_filters_and_reports_what_is_left() -> None:
    supplies = [_s(1, DONGBAO, 100, "20"), _s(2, DUODAO, 100, "10")]
    demands = [
        Demand(1, 50, "fly_ash", *CHEM_PARK, quantity_t=D(120), max_haul_km=D(20)),
        Demand(2, 51, "fly_ash", *ZHONGXIANG, quantity_t=D(50), max_price_cny_t=D(15)),
    ]
    plan = allocate(supplies, demands)
    # Only supply 2 (price 10) may serve demand 2 (max price 15); both reach the park.
    assert {(f.supply_id, f.demand_id) for f in plan.flows} <= {(1, 1), (2, 1), (2, 2)}
    assert plan.tonnes_allocated == D(170)
    assert plan.unallocated_supply_t == D(30)
    assert plan.unmet_demand_t == D(0)
    assert sum(plan.unallocated_by_supply.values()) == D(30)
    assert plan.total_cost_cny == sum(f.tonnes * f.delivered_cny_t for f in plan.flows)

    # Oracle: enumerate integer plans moving 170 t and check none is cheaper.
    road = {
        (s.id, d.id): geodesic_km_many(s.lon, s.lat, [d.lon], [d.lat])[0] * 1.3
        for s in supplies
        for d in demands
    }
    cost = {
        k: next(s.price_cny_t for s in supplies if s.id == k[0])
        + (D(v).quantize(D("0.1")) * D("0.45")).quantize(D("0.01"))
        for k, v in road.items()
    }
    best = min(
        a * cost[1, 1] + (120 - a) * cost[2, 1] + 50 * cost[2, 2]
        for a in range(0, 101)
        if (120 - a) + 50 <= 100
    )
    assert plan.total_cost_cny == best
    # Supply 2 must send 50 t to demand 2, so 50 t of it can go to the park and supply 1
    # sends 70 t there, leaving 30 t of supply 1 unused.
    assert plan.unallocated_by_supply == {1: D(30), 2: D(0)}


def test_allocate_rejects_mixed_materials() -> None:
    slag = Demand(1, 50, "slag", *CHEM_PARK, quantity_t=D(10))
    with pytest.raises(ValueError, match="one material"):
        allocate([_s(1, DONGBAO, 10, "1")], [slag])
