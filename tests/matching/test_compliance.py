"""Compliance at the confirmed GB/T 1596-2017 and GB/T 18046-2017 limits."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from matching.compliance import check, combine, conflicts, describe, grades_met, spec_margin
from matching.specs import Grade, Limit, check_valid_range
from tests.matching.standards import (
    FLY_ASH_GRADES,
    FLY_ASH_I,
    FLY_ASH_II,
    PARAMETERS,
    SLAG_GRADES,
    SO3_UNCONFIRMED,
)

STEP = D("0.1")


def _upper_cases() -> list[tuple[Grade, str, D]]:
    return [(g, k, lim.max) for g in FLY_ASH_GRADES for k, lim in g.limits.items() if lim.max]


def _lower_cases() -> list[tuple[Grade, str, D]]:
    return [(g, k, lim.min) for g in SLAG_GRADES for k, lim in g.limits.items() if lim.min]


def _passing(grade: Grade) -> dict[str, D]:
    """Values comfortably inside every limit of ``grade``."""
    out: dict[str, D] = {}
    for k, lim in grade.limits.items():
        bound = lim.max if lim.max is not None else lim.min
        assert bound is not None
        out[k] = bound - 1 if lim.max is not None else bound + 1
    return out


def test_grade_tables_match_domain_sheet() -> None:
    # Guard against a typo in the test data itself: I/II/III and S105/S95/S75 columns.
    assert [g.limits["residue_45um"].max for g in FLY_ASH_GRADES] == [D(12), D(30), D(45)]
    assert [g.limits["water_demand_ratio"].max for g in FLY_ASH_GRADES] == [D(95), D(105), D(115)]
    assert [g.limits["loi"].max for g in FLY_ASH_GRADES] == [D(5), D(8), D(10)]
    assert [g.limits["specific_surface"].min for g in SLAG_GRADES] == [D(500), D(400), D(300)]
    assert [g.limits["activity_28d"].min for g in SLAG_GRADES] == [D(105), D(95), D(75)]


@pytest.mark.parametrize(("grade", "key", "bound"), _upper_cases() + _lower_cases())
def test_value_on_the_limit_passes(grade: Grade, key: str, bound: D) -> None:
    values = _passing(grade) | {key: bound}
    result = check(values, grade.limits)
    assert result.verdict == "meets"
    (p,) = [p for p in result.params if p.key == key]
    assert p.status == "pass"
    assert p.margin == 0


@pytest.mark.parametrize(("grade", "key", "bound"), _upper_cases())
def test_one_step_above_a_maximum_fails(grade: Grade, key: str, bound: D) -> None:
    result = check(_passing(grade) | {key: bound + STEP}, grade.limits)
    assert result.verdict == "fails"
    assert [p.key for p in result.failed] == [key]
    assert result.failed[0].margin == -STEP


@pytest.mark.parametrize(("grade", "key", "bound"), _lower_cases())
def test_one_step_below_a_minimum_fails(grade: Grade, key: str, bound: D) -> None:
    result = check(_passing(grade) | {key: bound - STEP}, grade.limits)
    assert result.verdict == "fails"
    assert [p.key for p in result.failed] == [key]
    assert result.failed[0].margin == -STEP


@pytest.mark.parametrize("grade", FLY_ASH_GRADES + SLAG_GRADES)
def test_missing_value_is_incomplete_not_fail(grade: Grade) -> None:
    values = _passing(grade)
    missing = sorted(values)[0]
    del values[missing]
    result = check(values, grade.limits)
    assert result.verdict == "incomplete"
    assert [p.key for p in result.unknown] == [missing]
    assert result.unknown[0].margin is None


def test_fail_beats_unknown() -> None:
    result = check({"residue_45um": D("12.1")}, FLY_ASH_I.limits)
    assert result.verdict == "fails"


def test_margin_is_distance_to_nearest_bound() -> None:
    result = check({"ph": D("6.5")}, {"ph": Limit(min=D(6), max=D(9))})
    assert result.params[0].margin == D("0.5")
    outside = check({"ph": D("9.4")}, {"ph": Limit(min=D(6), max=D(9))})
    assert outside.params[0].margin == D("-0.4")


def test_values_without_limits_are_ignored() -> None:
    result = check({"loi": D(3), "moisture": D(50)}, {"loi": Limit(max=D(5))})
    assert [p.key for p in result.params] == ["loi"]
    assert result.verdict == "meets"


def test_unconfirmed_limit_is_flagged() -> None:
    result = check({"so3": D("2.0")}, {"so3": SO3_UNCONFIRMED})
    assert result.verdict == "meets"
    assert not result.all_confirmed
    assert result.params[0].source == "GB/T 1596-2017 (unchecked)"


def test_combine_tighter_bound_wins_and_keeps_its_source() -> None:
    buyer = {"loi": Limit(max=D(6), source="buyer"), "residue_45um": Limit(max=D(40))}
    merged = combine(FLY_ASH_II.limits, buyer)
    assert merged["loi"].max == D(6)  # buyer's 6 is tighter than F-II's 8
    assert merged["loi"].source == "buyer"
    assert merged["residue_45um"].max == D(30)  # F-II's 30 is tighter than 40
    assert merged["water_demand_ratio"] == FLY_ASH_II.limits["water_demand_ratio"]


def test_combine_merges_min_and_max_from_different_sets() -> None:
    merged = combine(
        {"ph": Limit(min=D(5), source="a", confirmed=False)},
        {"ph": Limit(max=D(9), source="b")},
        {"ph": Limit(min=D(6), source="c")},
    )
    assert (merged["ph"].min, merged["ph"].max) == (D(6), D(9))
    assert merged["ph"].source == "c; b"
    assert merged["ph"].confirmed  # the unconfirmed min 5 was overridden
    assert conflicts(merged) == []
    assert conflicts(combine({"x": Limit(min=D(5))}, {"x": Limit(max=D(4))})) == ["x"]


def test_spec_margin_normalises_and_takes_the_worst() -> None:
    result = check(
        {"residue_45um": D(15), "loi": D(4), "water_demand_ratio": D(84)}, FLY_ASH_II.limits
    )
    # residue (30-15)/30 = 0.5, LOI (8-4)/8 = 0.5, water (105-84)/105 = 0.2 → worst 0.2
    assert spec_margin(result) == D("0.2")
    assert spec_margin(check({}, {})) is None


def test_grades_met_and_describe_in_both_languages() -> None:
    values = {"residue_45um": D("18.2"), "water_demand_ratio": D(95), "loi": D("4.0")}
    verdicts = grades_met(values, FLY_ASH_GRADES)
    assert [v.verdict for v in verdicts] == ["fails", "meets", "meets"]
    text = describe(verdicts, PARAMETERS)
    assert text.en == "meets GB/T 1596 F-II concrete; fails F-I on 45 µm residue (18.2 > 12)"
    assert text.zh == "符合 GB/T 1596 F-II 混凝土用；不符合 F-I：45µm方孔筛筛余 18.2 > 12"


def test_describe_minimum_violation_and_incomplete() -> None:
    values = {"specific_surface": D(450), "activity_28d": D("96.5")}
    text = describe(grades_met(values, SLAG_GRADES), PARAMETERS)
    assert text.en == (
        "meets GB/T 18046 S95; fails S105 on 28 d activity index (96.5 < 105), "
        "specific surface (450 < 500)"
    )
    none = describe(grades_met({"residue_45um": D(50)}, FLY_ASH_GRADES), PARAMETERS)
    assert none.en.startswith("meets no grade; fails F-I on 45 µm residue (50 > 12)")
    partial = describe(grades_met({"residue_45um": D(10)}, FLY_ASH_GRADES[:1]), PARAMETERS)
    assert partial.en == "meets no grade; F-I incomplete: no loss on ignition, water demand ratio"
    assert partial.zh == "不符合任何等级；F-I 缺少数据：烧失量、需水量比"


def test_check_valid_range_reports_unknown_and_impossible_values() -> None:
    problems = check_valid_range(
        {
            "loi": D(-1),
            "residue_45um": D(101),
            "colour": D(1),
            "so3": D("NaN"),
            "activity_28d": D(90),
        },
        PARAMETERS,
    )
    assert [k for k, _ in problems] == ["colour", "loi", "residue_45um", "so3"]
    assert dict(problems)["colour"] == "unknown parameter"
    assert "below the valid minimum 0" in dict(problems)["loi"]
    assert "above the valid maximum 100" in dict(problems)["residue_45um"]
    assert check_valid_range({"loi": D(0), "residue_45um": D(100)}, PARAMETERS) == []
