"""The network simplex behind the allocation: exact, certified, and equal to OR-Tools."""

from __future__ import annotations

import numpy as np
import pytest
from ortools.graph.python import min_cost_flow as ortools_mcf

from matching.allocation import _simplex_component, solve_transport, solve_transport_lp
from matching.network_simplex import Infeasible, OutOfRange, min_cost_flow


def _ortools(
    n: int, t: np.ndarray, h: np.ndarray, cap: np.ndarray, cost: np.ndarray, supply: np.ndarray
) -> int | None:
    """OR-Tools' optimal cost of the same problem, or None when it is infeasible."""
    f = ortools_mcf.SimpleMinCostFlow()
    if t.size:
        f.add_arcs_with_capacity_and_unit_cost(t, h, cap, cost)
    f.set_nodes_supplies(np.arange(n), supply)
    return int(f.optimal_cost()) if f.solve() == f.OPTIMAL else None


def test_3_nodes_by_hand() -> None:
    """Node 0 sends 10 to node 2: direct at 5 (capacity 4) or through node 1 at 1 + 2.
    The cheap path takes its capacity 7, the direct arc the last 3: cost 7·3 + 3·5 = 36."""
    t, h = np.array([0, 0, 1]), np.array([2, 1, 2])
    x, pi = min_cost_flow(3, t, h, np.array([4, 7, 9]), np.array([5, 1, 2]), np.array([10, 0, -10]))
    assert x.tolist() == [3, 7, 7]
    assert int(x @ np.array([5, 1, 2])) == 36
    # The potentials certify it: the direct arc has flow, so its reduced cost is 0 (free).
    assert 5 + pi[0] - pi[2] == 0


def test_random_instances_equal_ortools_and_carry_a_certificate() -> None:
    """1,500 random graphs (parallel arcs, loops of negative cost, zero capacities, nodes
    with no arc): the same optimum as OR-Tools, or both infeasible; the flow meets the
    supplies within the capacities, and the potentials prove optimality (no arc with room
    prices out below 0, no arc with flow above 0)."""
    rng = np.random.default_rng(1)
    infeasible = 0
    for _ in range(1_500):
        n = int(rng.integers(2, 12))
        m = int(rng.integers(0, 40))
        t, h = rng.integers(0, n, m), rng.integers(0, n, m)
        cap, cost = rng.integers(0, 20, m), rng.integers(-10, 30, m)
        supply = np.zeros(n, np.int64)
        for _ in range(int(rng.integers(0, 4))):
            a, b = rng.integers(0, n, 2)
            q = int(rng.integers(1, 15))
            supply[a] += q
            supply[b] -= q
        best = _ortools(n, t, h, cap, cost, supply)
        if best is None:
            infeasible += 1
            with pytest.raises(Infeasible):
                min_cost_flow(n, t, h, cap, cost, supply)
            continue
        x, pi = min_cost_flow(n, t, h, cap, cost, supply)
        assert np.all(x >= 0) and np.all(x <= cap)
        balance = np.bincount(t, x, n) - np.bincount(h, x, n)
        assert balance.astype(np.int64).tolist() == supply.tolist()
        assert int(x @ cost) == best
        reduced = cost + pi[t] - pi[h]
        assert not np.any((reduced < 0) & (x < cap))
        assert not np.any((reduced > 0) & (x > 0))
    assert 100 < infeasible < 1_400  # both kinds were exercised


def test_bad_input_is_refused() -> None:
    one = np.array([0])
    with pytest.raises(ValueError, match="sum to zero"):
        min_cost_flow(2, one, one + 1, np.array([5]), np.array([1]), np.array([3, -2]))
    with pytest.raises(ValueError, match="negative"):
        min_cost_flow(2, one, one + 1, np.array([-1]), np.array([1]), np.array([0, 0]))
    with pytest.raises(ValueError, match="nodes"):
        min_cost_flow(2, one, one + 2, np.array([1]), np.array([1]), np.array([0, 0]))
    with pytest.raises(OutOfRange):
        min_cost_flow(2, one, one + 1, np.array([1]), np.array([2**60]), np.array([0, 0]))
    x, pi = min_cost_flow(3, np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(3))
    assert x.size == 0 and pi.tolist() == [0, 0, 0]


@pytest.mark.parametrize("seed", range(40))
def test_transport_with_shared_caps_agrees_across_the_three_solvers(seed: int) -> None:
    """Random transport problems with negative costs, unbalanced sides and shared caps: the
    simplex moves the same kg at the same cost as OR-Tools, and as HiGHS's two LPs."""
    rng = np.random.default_rng(seed)
    n_s, n_d = int(rng.integers(1, 15)), int(rng.integers(1, 15))
    pairs = {
        (int(i), int(j))
        for i, j in zip(rng.integers(0, n_s, 60), rng.integers(0, n_d, 60), strict=True)
    }
    si = np.array([i for i, _ in sorted(pairs)])
    di = np.array([j for _, j in sorted(pairs)])
    cost = rng.integers(-3_000, 9_000, si.size)
    s_kg, d_kg = rng.integers(0, 5_000, n_s), rng.integers(0, 5_000, n_d)
    groups = rng.integers(-1, 3, n_d)
    g_kg = rng.integers(0, 6_000, 3)
    simplex = solve_transport(s_kg, d_kg, si, di, cost, groups, g_kg, method="simplex")
    ortools = solve_transport(s_kg, d_kg, si, di, cost, groups, g_kg, method="ortools")
    assert int(simplex.sum()) == int(ortools.sum())
    assert int(simplex @ cost) == int(ortools @ cost)
    lp = np.rint(solve_transport_lp(s_kg, d_kg, np.stack([si, di], 1), cost, groups, g_kg))
    assert int(lp.sum()) == int(simplex.sum())
    assert int(lp @ cost) == int(simplex @ cost)
    # Within every limit: supply, demand and each shared cap.
    assert np.all(np.bincount(si, simplex, n_s) <= s_kg)
    received = np.bincount(di, simplex, n_d)
    assert np.all(received <= d_kg)
    for g in range(3):
        assert received[groups == g].sum() <= g_kg[g]


def test_costs_too_dear_for_the_simplex_are_solved_by_ortools() -> None:
    """100 × 100 pairs at costs near 10^14 fen/t: the slack's penalty × the big-M start
    leave exact int64 for the simplex (OutOfRange), so the component goes to OR-Tools —
    the same plan as asking for OR-Tools, all of the smaller side moved."""
    rng = np.random.default_rng(5)
    si, di = np.repeat(np.arange(100), 100), np.tile(np.arange(100), 100)
    cost = rng.integers(10**13, 10**14, si.size)
    s_kg, d_kg = rng.integers(1, 1_000, 100), rng.integers(1, 1_000, 100)
    no_caps = np.full(100, -1, np.int64)
    with pytest.raises(OutOfRange):
        _simplex_component(s_kg, d_kg, si, di, cost, no_caps, np.zeros(0, np.int64))
    x = solve_transport(s_kg, d_kg, si, di, cost, method="simplex")
    y = solve_transport(s_kg, d_kg, si, di, cost, method="ortools")
    assert int(x @ cost) == int(y @ cost)
    assert int(x.sum()) == min(int(s_kg.sum()), int(d_kg.sum()))
