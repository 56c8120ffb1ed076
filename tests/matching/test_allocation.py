"""City-wide allocation: tonnes first, then least delivered cost."""

from __future__ import annotations

from decimal import Decimal as D

import numpy as np
import pytest

from geodata.distance import geodesic_km_many
from matching.allocation import (
    Solver,
    _solve_component,
    allocate,
    allocation_pairs,
    component_of_pairs,
    solve_pairs,
    solve_transport,
    solve_transport_lp,
)
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
    x = solve_transport([100, 50], [80, 80], [0, 0, 1, 1], [0, 1, 0, 1], [10, 20, 15, 40])
    assert x.tolist() == [30, 70, 50, 0]
    assert int(np.dot(x, [10, 20, 15, 40])) == 2450
    lp = solve_transport_lp([100, 50], [80, 80], [(0, 0), (0, 1), (1, 0), (1, 1)], [10, 20, 15, 40])
    assert np.allclose(lp, [30, 70, 50, 0], atol=1e-6)


def test_3x3_with_infeasible_pairs_by_hand() -> None:
    """S = [50, 30, 20], D = [40, 40, 40]; feasible pairs and costs:
    (0,0) 10, (0,1) 12, (1,0) 8, (1,2) 20, (2,1) 5.

    S2 can only go to D1 (20 t at 5). Then D1 has 20 left, so S0 sends a ≥ 30 to D0;
    cost = 1300 − 2a − 12c with c = S1→D0 ≤ 40 − a. Best: a = 30, c = 10, so
    x00 = 30, x01 = 20, x10 = 10, x12 = 20, x21 = 20; 100 t moved at 1120.
    """
    x = solve_transport(
        [50, 30, 20], [40, 40, 40], [0, 0, 1, 1, 2], [0, 1, 0, 2, 1], [10, 12, 8, 20, 5]
    )
    assert x.tolist() == [30, 20, 10, 20, 20]
    assert int(np.dot(x, [10, 12, 8, 20, 5])) == 1120


def test_tonnes_come_before_cost() -> None:
    """Moving 10 t to D1 at 100 CNY/t beats leaving it: utilisation is the first goal."""
    x = solve_transport([10, 10], [10, 10], [0, 1, 0], [0, 0, 1], [1, 1, 100])
    assert x.tolist() == [0, 10, 10]


def test_negative_prices_still_move_the_most_tonnes() -> None:
    """S = [10, 10], D = [10, 10]; pairs (0,0) −50, (0,1) 1, (1,0) 1.

    Sending S0→D0 at −50 alone moves 10 t (cost −500); S0→D1 + S1→D0 moves 20 t at 20.
    Tonnes come first, so 20 t at cost 20 even though −500 is cheaper.
    """
    x = solve_transport([10, 10], [10, 10], [0, 0, 1], [0, 1, 0], [-50, 1, 1])
    assert x.tolist() == [0, 10, 10]


def test_unbalanced_supply_and_demand_by_hand() -> None:
    """S = [100], D = [30, 30]; costs 7 and 3: both demands are filled, 40 left, cost 300."""
    x = solve_transport([100], [30, 30], [0, 0], [0, 1], [7, 3])
    assert x.tolist() == [30, 30]


def test_no_feasible_pairs() -> None:
    assert solve_transport([10], [10], [], [], []).size == 0
    assert solve_transport_lp([10], [10], [], []).size == 0


def test_zero_quantities_move_nothing() -> None:
    assert solve_transport([0, 5], [5, 0], [0, 1], [0, 1], [1, 1]).tolist() == [0, 0]


def test_negative_quantity_is_rejected() -> None:
    with pytest.raises(ValueError, match="negative"):
        solve_transport([-1], [5], [0], [0], [1])


def test_allocate_empty_inputs() -> None:
    plan = allocate([], [])
    assert plan.flows == () and plan.tonnes_allocated == 0 and plan.unmet_demand_t == 0
    only_supply = allocate([_s(1, DONGBAO, 10, "1")], [])
    assert only_supply.unallocated_supply_t == D(10) and only_supply.unallocated_by_supply == {
        1: D(10)
    }


def test_allocate_all_pairs_excluded() -> None:
    """Every demand is out of reach (haul 1 km) or too cheap: nothing moves, all is left."""
    supplies = [_s(1, DONGBAO, 100, "20"), _s(2, DUODAO, 40, "10")]
    demands = [
        Demand(1, 50, "fly_ash", *ZHONGXIANG, quantity_t=D(120), max_haul_km=D(1)),
        Demand(2, 51, "fly_ash", *CHEM_PARK, quantity_t=D(50), max_price_cny_t=D(5)),
    ]
    plan = allocate(supplies, demands)
    assert plan.flows == ()
    assert plan.tonnes_allocated == 0 and plan.total_cost_cny == 0
    assert plan.unallocated_supply_t == D(140) and plan.unmet_demand_t == D(170)


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


def _random_city(rng: np.random.Generator, n: int) -> tuple[list[Supply], list[Demand]]:
    lon = rng.uniform(111.9, 113.5, 2 * n)
    lat = rng.uniform(30.4, 31.6, 2 * n)
    supplies = [
        Supply(
            i,
            i,
            "fly_ash",
            lon[i],
            lat[i],
            D(int(rng.integers(1, 500_000))) / 1000,
            D(int(rng.integers(-3000, 8000))) / 100,
        )
        for i in range(n)
    ]
    demands = [
        Demand(
            i,
            10_000 + i,
            "fly_ash",
            lon[n + i],
            lat[n + i],
            quantity_t=D(int(rng.integers(1, 500_000))) / 1000,
            max_haul_km=D(int(rng.integers(10, 40))),
            max_price_cny_t=D(int(rng.integers(0, 90))) if i % 3 == 0 else None,
        )
        for i in range(n)
    ]
    return supplies, demands


@pytest.mark.parametrize("solver", ["auto", "simplex", "ortools"])
def test_random_mid_size_equals_the_lp_cross_check(solver: Solver) -> None:
    supplies, demands = _random_city(np.random.default_rng(13), 150)
    pairs = allocation_pairs(supplies, demands)
    assert len(pairs) > 500
    flow = solve_pairs(pairs, solver)
    lp = solve_pairs(pairs, "lp")
    assert int(flow.sum()) == int(lp.sum())
    assert int(flow @ pairs.cost_fen_t) == int(lp @ pairs.cost_fen_t)
    # The flow plan is feasible: no listing sends or receives more than it has.
    assert np.all(np.bincount(pairs.si, flow, len(supplies)) <= pairs.supply_kg)
    assert np.all(np.bincount(pairs.di, flow, len(demands)) <= pairs.demand_kg)
    a = allocate(supplies, demands)
    b = allocate(supplies, demands, solver="lp")
    assert a.tonnes_allocated == b.tonnes_allocated > 0
    assert a.unallocated_supply_t == b.unallocated_supply_t


def test_allocate_rejects_mixed_materials() -> None:
    slag = Demand(1, 50, "slag", *CHEM_PARK, quantity_t=D(10))
    with pytest.raises(ValueError, match="one material"):
        allocate([_s(1, DONGBAO, 10, "1")], [slag])


def test_components_are_solved_apart_by_hand() -> None:
    """Three clusters sharing no supply or demand: the 2×2 and 3×3 above (renumbered), and
    one lone pair (S5 = 7, D5 = 9: 7 t). The plan is the union of the three optima."""
    si = [*(0, 0, 1, 1), *(2, 2, 3, 3, 4), 5]
    di = [*(0, 1, 0, 1), *(2, 3, 2, 4, 3), 5]
    cost = [*(10, 20, 15, 40), *(10, 12, 8, 20, 5), 99]
    x = solve_transport([100, 50, 50, 30, 20, 7], [80, 80, 40, 40, 40, 9], si, di, cost)
    assert x.tolist() == [*(30, 70, 50, 0), *(30, 20, 10, 20, 20), 7]
    labels = component_of_pairs(6, 6, np.asarray(si), np.asarray(di))
    assert labels.tolist() == [0, 0, 0, 0, 1, 1, 1, 1, 1, 2]


def test_clustered_random_instance_equals_one_solve_and_the_lp() -> None:
    """Clusters far apart (haul limits keep them apart): solving each component alone
    moves the same kg at the same cost as one solve of everything, and as HiGHS."""
    rng = np.random.default_rng(7)
    supplies: list[Supply] = []
    demands: list[Demand] = []
    for c, (lon, lat) in enumerate([DONGBAO, ZHONGXIANG, (113.1146, 31.0225), (112.5952, 30.7036)]):
        sub_s, sub_d = _random_city(rng, 30)
        for s in sub_s:
            supplies.append(
                Supply(
                    len(supplies) + 1,
                    s.org_id + 1000 * c,
                    s.material,
                    lon + (s.lon - 112.7) * 0.1,
                    lat + (s.lat - 31.0) * 0.1,
                    s.quantity_t,
                    s.price_cny_t,
                )
            )
        for d in sub_d:
            demands.append(
                Demand(
                    len(demands) + 1,
                    d.org_id + 1000 * c,
                    d.material,
                    lon + (d.lon - 112.7) * 0.1,
                    lat + (d.lat - 31.0) * 0.1,
                    quantity_t=d.quantity_t,
                    max_haul_km=D(25),
                    max_price_cny_t=d.max_price_cny_t,
                )
            )
    pairs = allocation_pairs(supplies, demands)
    labels = component_of_pairs(len(supplies), len(demands), pairs.si, pairs.di)
    assert labels.max() >= 3
    split = solve_pairs(pairs, "simplex")
    whole = _solve_component(
        pairs.supply_kg, pairs.demand_kg, pairs.si, pairs.di, pairs.cost_fen_t, method="ortools"
    )
    lp = solve_pairs(pairs, "lp")
    assert int(split.sum()) == int(whole.sum()) == int(lp.sum()) > 0
    assert (
        int(split @ pairs.cost_fen_t) == int(whole @ pairs.cost_fen_t) == int(lp @ pairs.cost_fen_t)
    )


def test_pairs_are_what_the_matcher_finds_for_each_lot() -> None:
    """The batched tree query finds exactly :meth:`DemandBook.feasible_for_supply`'s pairs."""
    from matching.engine import DemandBook
    from matching.scoring import MatchSettings

    supplies, demands = _random_city(np.random.default_rng(5), 120)
    pairs = allocation_pairs(supplies, demands)
    book, settings = DemandBook(demands), MatchSettings()
    expected = []
    for i, s in enumerate(supplies):
        found = book.feasible_for_supply(s, settings)
        expected += [
            (i, int(r), float(km)) for r, km in zip(found.rows, found.road_km, strict=True)
        ]
    got = [
        (int(i), int(j), km / 10)
        for i, j, km in zip(pairs.si, pairs.di, pairs.road_dkm.tolist(), strict=True)
    ]
    assert len(got) == len(expected) > 300
    assert [(i, j) for i, j, _ in got] == [(i, j) for i, j, _ in expected]
    assert all(abs(a[2] - b[2]) <= 0.05 + 1e-9 for a, b in zip(got, expected, strict=True))


def test_demands_of_one_organisation_share_its_permit_capacity_by_hand() -> None:
    """Org 7's two demands (each 100 t, i.e. each already capped at its permit's 100 t)
    share the 100 t its permit has left; 150 t are offered within reach of both.

    Each capped alone, 150 t would move (100 + 50). Shared, 100 t move: to the cheaper
    demand first (supply 1 → demand 1 at 10, supply 2 → demand 1 at 12 is the next). So
    S1 (80 t) → D1 80 t at 10, then 20 t more at the least cost: S2 → D1 (12) beats
    S2 → D2 (30) and S1 → D2 (25) has no supply left; D1 takes 100 t, D2 nothing.
    """
    s_kg, d_kg = [80, 70], [100, 100]
    si, di, cost = [0, 0, 1, 1], [0, 1, 0, 1], [10, 25, 12, 30]
    alone = solve_transport(s_kg, d_kg, si, di, cost)
    assert int(alone.sum()) == 150
    x = solve_transport(s_kg, d_kg, si, di, cost, [0, 0], [100])
    assert x.tolist() == [80, 0, 20, 0]
    lp = solve_transport_lp(s_kg, d_kg, list(zip(si, di, strict=True)), cost, [0, 0], [100])
    assert np.allclose(lp, [80, 0, 20, 0], atol=1e-6)
    # A third demand of another organisation is not under the cap: it takes the rest.
    x3 = solve_transport(
        [80, 70],
        [100, 100, 40],
        [0, 0, 1, 1, 1],
        [0, 1, 0, 1, 2],
        [10, 25, 12, 30, 50],
        [0, 0, -1],
        [100],
    )
    assert x3.tolist() == [80, 0, 20, 0, 40]


def test_allocate_shares_a_permit_cap_between_an_organisations_demands() -> None:
    """allocate(shared_caps={7: 100 t}): two demands of org 7 at the park, 150 t offered
    nearby by two lots → 100 t allocated, 50 t left; without the cap all 150 t move."""
    supplies = [_s(1, DONGBAO, 100, "20"), _s(2, DUODAO, 50, "10")]
    demands = [
        Demand(1, 7, "fly_ash", *CHEM_PARK, quantity_t=D(100)),
        Demand(2, 7, "fly_ash", *CHEM_PARK, quantity_t=D(100)),
    ]
    assert allocate(supplies, demands).tonnes_allocated == D(150)
    plan = allocate(supplies, demands, shared_caps={7: D(100)})
    assert plan.tonnes_allocated == D(100)
    assert plan.unallocated_supply_t == D(50)
    # The cheaper lot (10 CNY/t at the nearer Duodao) goes first: all its 50 t move.
    assert plan.unallocated_by_supply[2] == D(0)
    lp = allocate(supplies, demands, shared_caps={7: D(100)}, solver="lp")
    assert lp.tonnes_allocated == D(100) and lp.total_cost_cny == plan.total_cost_cny


def test_a_shared_cap_joins_the_components_of_its_demands() -> None:
    """Two pairs with nothing in common are two components, unless their demands share a cap."""
    t, h = np.array([0, 1]), np.array([0, 1])
    assert component_of_pairs(2, 2, t, h).tolist() == [0, 1]
    assert component_of_pairs(2, 2, t, h, np.array([0, 0])).tolist() == [0, 0]
    # Lone pairs each under its own cap: the smaller of supply, demand and cap moves.
    x = solve_transport(
        [50, 60, 9], [40, 70, 9], [0, 1, 2], [0, 1, 2], [1, 1, 1], [0, 1, -1], [30, 100]
    )
    assert x.tolist() == [30, 60, 9]


def test_the_vectorised_pair_filter_equals_the_matchers_per_lot() -> None:
    """:func:`matching.scoring.feasible_pairs` keeps exactly the pairs :func:`score_demands`
    keeps, with the same road km, on lots with and without test results against demands
    with and without limits, shared organisations, price caps and haul limits."""
    from matching.engine import DemandBook
    from matching.scoring import MatchSettings, feasible_pairs, score_demands
    from matching.specs import Limit

    rng = np.random.default_rng(17)
    n = 150
    supplies = [
        Supply(
            i,
            int(rng.integers(0, 40)),
            "fly_ash",
            float(rng.uniform(112.0, 112.6)),
            float(rng.uniform(30.8, 31.2)),
            D(100),
            D(int(rng.integers(-3000, 8000))) / 100,
            values={
                k: D(int(rng.integers(0, 200))) / 10
                for k in ("loi_pct", "residue_45um_pct", "so3_pct")
                if rng.random() < 0.7
            },
        )
        for i in range(n)
    ]
    demands = [
        Demand(
            j,
            int(rng.integers(0, 40)),
            "fly_ash",
            float(rng.uniform(112.0, 112.6)),
            float(rng.uniform(30.8, 31.2)),
            quantity_t=D(50),
            max_haul_km=D(int(rng.integers(5, 60))) if rng.random() < 0.8 else None,
            max_price_cny_t=D(int(rng.integers(-20, 90))) if j % 3 == 0 else None,
            limits={
                k: Limit(
                    min=D(int(rng.integers(0, 5))) if rng.random() < 0.3 else None,
                    max=D(int(rng.integers(5, 20))),
                )
                for k in ("loi_pct", "residue_45um_pct")
                if rng.random() < 0.6
            },
        )
        for j in range(n)
    ]
    book, settings = DemandBook(demands), MatchSettings()
    every = np.arange(len(demands), dtype=np.intp)
    owners = np.repeat(np.arange(n), n)
    rows = np.tile(every, n)
    ok, road = feasible_pairs(supplies, owners, book.columns, rows, settings)
    for i, s in enumerate(supplies):
        scored = score_demands(s, book.columns, every, settings)
        mine = ok[owners == i]
        assert list(rows[owners == i][mine]) == list(scored.rows)
        assert np.allclose(road[owners == i][mine], scored.road_km, rtol=0, atol=1e-9)
    assert 0 < ok.sum() < ok.size
