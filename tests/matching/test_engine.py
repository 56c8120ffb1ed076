"""Delivered-cost matching: a hand-worked scenario, every hard filter, and the oracle."""

from __future__ import annotations

import functools
from decimal import Decimal as D

import numpy as np
import pytest

from geodata.distance import geodesic_km
from matching.engine import (
    DemandBook,
    SupplyBook,
    brute_force_matches,
    brute_force_matches_for_demand,
)
from matching.model import Demand, Supply
from matching.scoring import MatchSettings
from matching.specs import Limit
from tests.matching.standards import (
    FLY_ASH_I,
    FLY_ASH_II,
    FLY_ASH_III,
    PARAMETERS,
    SO3_UNCONFIRMED,
)

# Administrative centres from DOMAIN.md §5 (used here as plain test coordinates).
DONGBAO = (112.2048, 31.0335)
DUODAO = (112.1984, 30.9808)
CHEM_PARK = (112.266, 31.023)
SHAYANG = (112.5952, 30.7036)
SHAYANG_PARK = (112.545, 30.672)
ZHONGXIANG = (112.5873, 31.1656)
JINGSHAN = (113.1146, 31.0225)
CENTRE = (112.204, 31.035)

FLY_ASH_VALUES = {"residue_45um": D("18.2"), "water_demand_ratio": D(100), "loi": D("4.0")}
SUPPLY = Supply(
    id=1, org_id=100, material="fly_ash", lon=DONGBAO[0], lat=DONGBAO[1],
    quantity_t=D(800), price_cny_t=D("28.00"), values=FLY_ASH_VALUES,
)  # fmt: skip


def demand(id: int, at: tuple[float, float], qty: int, **kw: object) -> Demand:
    kw.setdefault("org_id", 200 + id)
    kw.setdefault("material", "fly_ash")
    return Demand(id=id, lon=at[0], lat=at[1], quantity_t=D(qty), **kw)  # type: ignore[arg-type]


SCENARIO = [
    demand(1, DUODAO, 5000, max_price_cny_t=D(40), limits=FLY_ASH_II.limits),
    demand(2, CHEM_PARK, 800, limits=FLY_ASH_I.limits),  # residue 18.2 > 12: fails
    demand(3, SHAYANG, 800, max_haul_km=D(50)),  # ~68 km by road: too far
    demand(4, ZHONGXIANG, 500, limits=FLY_ASH_III.limits),
    demand(5, JINGSHAN, 800, max_haul_km=D(150)),
    demand(6, CENTRE, 800, max_price_cny_t=D(20)),  # 28 > 20: too dear
    demand(7, CENTRE, 800, org_id=100),  # the producer itself
    demand(8, SHAYANG_PARK, 400, limits={"so3": SO3_UNCONFIRMED}),  # no SO3 result: incomplete
    demand(9, CHEM_PARK, 800),
]


def test_hand_worked_scenario_ranks_by_delivered_cost_and_bonuses() -> None:
    """Expected order worked out by hand (freight 0.45 CNY/t·km, circuity 1.3, weights 5/3).

    road km = geodesic × 1.3; delivered = 28 + 0.45 × road; score = delivered − 5·fit − 3·margin
      D9 chem park   ≈ 7.7 km  delivered ≈ 31.49  fit 1     margin 1 (no limits)    score ≈ 23.49
      D1 掇刀        ≈ 7.6 km  delivered ≈ 31.44  fit 0.16  margin 5/105 (water)    score ≈ 30.50
      D4 钟祥        ≈ 51.1 km delivered ≈ 51.00  fit 0.625 margin 15/115 (water)   score ≈ 47.48
      D8 沙洋化工区  ≈ 67.1 km delivered ≈ 58.20  fit 0.5   margin 0 (SO3 missing)  score ≈ 55.70
      D5 京山        ≈ 112.9 km delivered ≈ 78.82 fit 1     margin 1                score ≈ 70.82
    Excluded: D2 fails F-I, D3 beyond its 50 km haul, D6 price 28 > 20, D7 same organisation.
    D9 beats the slightly nearer D1 because it takes the whole lot and sets no limits.
    """
    book = DemandBook(SCENARIO, PARAMETERS)
    matches = book.matches_for_supply(SUPPLY, MatchSettings())
    assert [m.demand_id for m in matches] == [9, 1, 4, 8, 5]

    expected = {
        9: (CHEM_PARK, D(1), D(1)),
        1: (DUODAO, D("0.16"), D(5) / D(105)),
        4: (ZHONGXIANG, D("0.625"), D(15) / D(115)),
        8: (SHAYANG_PARK, D("0.5"), D(0)),
        5: (JINGSHAN, D(1), D(1)),
    }
    for m in matches:
        at, fit, margin = expected[m.demand_id]
        road = D(geodesic_km(*DONGBAO, *at) * 1.3)
        # The engine measures on the sphere (haversine), the test on the ellipsoid: ≤ 0.3 %.
        assert abs(m.road_km - road) <= road * D("0.003") + D("0.05")
        assert m.freight_cny_t == (m.road_km * D("0.45")).quantize(D("0.01"))
        assert m.delivered_cny_t == D("28.00") + m.freight_cny_t
        assert m.volume_fit == fit.quantize(D("0.001"))
        score = m.delivered_cny_t - 5 * fit - 3 * margin
        assert abs(m.score - score) < D("0.03")
    assert matches[0].spec_margin is None  # D9 sets no limits
    assert matches[1].compliance.verdict == "meets"
    assert matches[3].compliance.verdict == "incomplete"


def test_explanations_carry_the_figures() -> None:
    matches = DemandBook(SCENARIO, PARAMETERS).matches_for_supply(SUPPLY)
    d1 = next(m for m in matches if m.demand_id == 1)
    fr, dl, km = d1.freight_cny_t, d1.delivered_cny_t, d1.road_km
    assert d1.explanation_en == (
        f"{km} km by road (estimate), delivered ¥{dl}/t = price ¥28.00 + freight ¥{fr}; "
        "meets all limits; covers 16% of the demand"
    )
    assert d1.explanation_zh == (
        f"距离 {km} km（道路估算），到厂价 ¥{dl}/t = 报价 ¥28.00 + 运费 ¥{fr}；"
        "满足全部指标；供量覆盖需求 16%"
    )
    d8 = next(m for m in matches if m.demand_id == 8)
    assert "missing data for SO3 (some limits unconfirmed)" in d8.explanation_en
    assert "缺少数据：三氧化硫（含未确认限值）" in d8.explanation_zh
    d9 = next(m for m in matches if m.demand_id == 9)
    assert d9.explanation_en.endswith("no specification limits; takes 100% of the supply")


def test_negative_price_is_explained_as_producer_pays() -> None:
    supply = Supply(
        id=2, org_id=100, material="phosphogypsum", lon=DONGBAO[0], lat=DONGBAO[1],
        quantity_t=D(1000), price_cny_t=D(-12), hazardous=False,
    )  # fmt: skip
    d = demand(1, CHEM_PARK, 4000, material="phosphogypsum", max_price_cny_t=D(-5))
    (m,) = DemandBook([d]).matches_for_supply(supply)
    assert m.delivered_cny_t == D("-12.00") + m.freight_cny_t
    assert "price -¥12.00 (producer pays) + freight" in m.explanation_en
    assert "covers 25% of the demand" in m.explanation_en
    assert "报价 -¥12.00（产废方付费）" in m.explanation_zh


def test_price_filter_with_negative_prices() -> None:
    base = dict(material="phosphogypsum", lon=DONGBAO[0], lat=DONGBAO[1], quantity_t=D(100))
    # The buyer wants to be paid at least 5 CNY/t (max price −5).
    demands = [demand(1, CHEM_PARK, 100, material="phosphogypsum", max_price_cny_t=D(-5))]
    book = DemandBook(demands)
    paid = Supply(id=1, org_id=1, price_cny_t=D(-10), **base)  # type: ignore[arg-type]
    on_limit = Supply(id=2, org_id=1, price_cny_t=D(-5), **base)  # type: ignore[arg-type]
    free = Supply(id=3, org_id=1, price_cny_t=D(0), **base)  # type: ignore[arg-type]
    assert [m.demand_id for m in book.matches_for_supply(paid)] == [1]
    assert [m.demand_id for m in book.matches_for_supply(on_limit)] == [1]
    assert book.matches_for_supply(free) == []


LEAD_ACID = Supply(
    id=10, org_id=1, material="battery_lead_acid", lon=DONGBAO[0], lat=DONGBAO[1],
    quantity_t=D(50), price_cny_t=D(3000), hazardous=True, hazard_code="HW31 900-052-31",
)  # fmt: skip


def test_hazardous_lot_only_to_matching_permit_holders() -> None:
    demands = [
        demand(1, CHEM_PARK, 50, material="battery_lead_acid", permits=frozenset({"HW31"})),
        demand(2, CHEM_PARK, 50, material="battery_lead_acid", permits=frozenset({"900-052-31"})),
        demand(3, CHEM_PARK, 50, material="battery_lead_acid", permits=frozenset({"HW08"})),
        demand(4, CHEM_PARK, 50, material="battery_lead_acid"),
        demand(5, CHEM_PARK, 50, material="battery_lead_acid", permits=frozenset({"hw31"})),
    ]
    book = DemandBook(demands)
    assert sorted(m.demand_id for m in book.matches_for_supply(LEAD_ACID)) == [1, 2, 5]
    uncoded = Supply(**{**LEAD_ACID.__dict__, "hazard_code": None})
    assert book.matches_for_supply(uncoded) == []
    # The same rule seen from the demand side.
    supplies = SupplyBook([LEAD_ACID])
    assert [m.supply_id for m in supplies.matches_for_demand(demands[0])] == [10]
    assert supplies.matches_for_demand(demands[2]) == []
    assert supplies.matches_for_demand(demands[3]) == []


def test_battery_recycling_lot_only_to_miit_listed_recyclers() -> None:
    lot = Supply(
        id=11, org_id=1, material="battery_lfp", lon=DONGBAO[0], lat=DONGBAO[1],
        quantity_t=D(20), price_cny_t=D(8000), battery_recycling=True,
    )  # fmt: skip
    demands = [
        demand(1, CHEM_PARK, 20, material="battery_lfp", miit_listed=True),
        demand(2, DUODAO, 20, material="battery_lfp"),
    ]
    assert [m.demand_id for m in DemandBook(demands).matches_for_supply(lot)] == [1]
    cascade = Supply(**{**lot.__dict__, "id": 12, "battery_recycling": False})
    assert sorted(m.demand_id for m in DemandBook(demands).matches_for_supply(cascade)) == [1, 2]
    assert SupplyBook([lot]).matches_for_demand(demands[1]) == []
    assert [m.supply_id for m in SupplyBook([lot]).matches_for_demand(demands[0])] == [11]


def test_haul_limit_is_road_km_and_inclusive() -> None:
    road = geodesic_km(*DONGBAO, *ZHONGXIANG) * 1.3  # ≈ 51 km by road
    near = demand(1, ZHONGXIANG, 100, max_haul_km=D(int(road) - 1))
    far = demand(2, ZHONGXIANG, 100, max_haul_km=D(int(road) + 1))
    ids = [m.demand_id for m in DemandBook([near, far]).matches_for_supply(SUPPLY)]
    assert ids == [2]
    # With circuity 1.0 the same 50 km limit admits the 39 km great-circle trip.
    straight = MatchSettings(circuity=1.0)
    ids = [m.demand_id for m in DemandBook([near, far]).matches_for_supply(SUPPLY, straight)]
    assert sorted(ids) == [1, 2]
    # A demand without a limit falls back to the default (300 km by road).
    tight = MatchSettings(default_max_haul_km=D(40))
    assert DemandBook([demand(3, ZHONGXIANG, 100)]).matches_for_supply(SUPPLY, tight) == []


def test_never_matches_an_organisation_with_itself() -> None:
    own = demand(1, DONGBAO, 800, org_id=SUPPLY.org_id)
    other = demand(2, ZHONGXIANG, 800)
    assert [m.demand_id for m in DemandBook([own, other]).matches_for_supply(SUPPLY)] == [2]
    assert SupplyBook([SUPPLY]).matches_for_demand(own) == []


def test_other_materials_are_never_proposed() -> None:
    slag = demand(1, DONGBAO, 800, material="slag")
    assert DemandBook([slag]).matches_for_supply(SUPPLY) == []
    assert SupplyBook([SUPPLY]).matches_for_demand(slag) == []


def test_limit_truncates_best_first() -> None:
    book = DemandBook(SCENARIO, PARAMETERS)
    assert [m.demand_id for m in book.matches_for_supply(SUPPLY, limit=2)] == [9, 1]
    assert book.matches_for_supply(SUPPLY, limit=0) == []


# --- Oracle: the indexed search must equal the full scan on random data ---------------------

MATERIALS = ("fly_ash", "slag", "phosphogypsum")
KEYS = ("residue_45um", "water_demand_ratio", "loi")


@functools.cache
def _random_market(seed: int, n_demands: int, n_supplies: int) -> tuple[list[Demand], list[Supply]]:
    rng = np.random.default_rng(seed)
    sites = np.column_stack([rng.uniform(111.9, 113.5, 200), rng.uniform(30.4, 31.6, 200)])
    demands = []
    for i in range(n_demands):
        lon, lat = sites[rng.integers(200)]
        limits = {k: Limit(max=D(int(rng.integers(10, 60)))) for k in KEYS if rng.random() < 0.5}
        demands.append(
            Demand(
                id=int(i + 1),
                org_id=int(rng.integers(1, 60)),
                material=MATERIALS[int(rng.integers(3))],
                lon=float(lon),
                lat=float(lat),
                quantity_t=D(int(rng.choice([100, 500, 1000, 3000]))),
                max_price_cny_t=None if rng.random() < 0.3 else D(int(rng.integers(-20, 80))),
                max_haul_km=None if rng.random() < 0.2 else D(int(rng.integers(20, 150))),
                limits=limits,
                permits=frozenset({"HW31"}) if rng.random() < 0.2 else frozenset(),
                miit_listed=bool(rng.random() < 0.3),
            )
        )
    supplies = []
    for i in range(n_supplies):
        lon, lat = sites[rng.integers(200)]
        supplies.append(
            Supply(
                id=int(i + 1),
                org_id=int(rng.integers(1, 60)),
                material=MATERIALS[int(rng.integers(3))],
                lon=float(lon),
                lat=float(lat),
                quantity_t=D(int(rng.choice([100, 500, 1000, 3000]))),
                price_cny_t=D(int(rng.integers(-30, 60))),
                values={k: D(int(rng.integers(5, 50))) for k in KEYS if rng.random() < 0.8},
                hazardous=bool(rng.random() < 0.1),
                hazard_code="HW31",
                battery_recycling=bool(rng.random() < 0.1),
            )
        )
    return demands, supplies


@pytest.mark.parametrize(
    "settings",
    [
        MatchSettings(),
        MatchSettings(freight_cny_per_t_km=D("0.3"), circuity=1.0, weight_volume=D(20)),
        MatchSettings(freight_cny_per_t_km=D(0)),  # no distance pruning possible
    ],
)
@pytest.mark.parametrize("limit", [1, 20, 10_000])
def test_index_equals_brute_force_for_supplies(settings: MatchSettings, limit: int) -> None:
    demands, supplies = _random_market(1, 3000, 60)
    book = DemandBook(demands)
    total = 0
    for s in supplies:
        fast = book.matches_for_supply(s, settings, limit)
        slow = brute_force_matches(s, book.columns, settings, limit)
        assert [m.demand_id for m in fast] == [m.demand_id for m in slow]
        assert fast == slow
        total += len(fast)
    assert total > 0  # the comparison was not vacuous


@pytest.mark.parametrize("limit", [1, 20, 10_000])
def test_index_equals_brute_force_for_demands(limit: int) -> None:
    demands, supplies = _random_market(2, 200, 3000)
    book = SupplyBook(supplies)
    total = 0
    for d in demands:
        fast = book.matches_for_demand(d, MatchSettings(), limit)
        slow = brute_force_matches_for_demand(d, book.columns, MatchSettings(), limit)
        assert [m.supply_id for m in fast] == [m.supply_id for m in slow]
        total += len(fast)
    assert total > 0


def test_both_directions_agree_on_feasibility_and_figures() -> None:
    demands, supplies = _random_market(3, 300, 300)
    dbook, sbook = DemandBook(demands), SupplyBook(supplies)
    by_supply = {
        (m.supply_id, m.demand_id): m
        for s in supplies
        for m in dbook.matches_for_supply(s, limit=10_000)
    }
    by_demand = {
        (m.supply_id, m.demand_id): m
        for d in demands
        for m in sbook.matches_for_demand(d, limit=10_000)
    }
    assert by_supply.keys() == by_demand.keys()
    assert len(by_supply) > 100
    for key, m in by_supply.items():
        other = by_demand[key]
        assert (m.road_km, m.delivered_cny_t, m.score) == (
            other.road_km,
            other.delivered_cny_t,
            other.score,
        )
        assert m.explanation_en == other.explanation_en


def test_settings_reject_nonsense() -> None:
    with pytest.raises(ValueError):
        MatchSettings(circuity=0.9)
    with pytest.raises(ValueError):
        MatchSettings(freight_cny_per_t_km=D(-1))
