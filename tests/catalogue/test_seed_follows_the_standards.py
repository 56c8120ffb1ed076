"""Consistency of the seed catalogue with itself and with shared/DOMAIN.md."""

from __future__ import annotations

from decimal import Decimal

import pytest

from market.catalogue.seed import MATERIALS, MATERIALS_BY_CODE, USES, GradeSeed, MaterialSeed

REQUIRED_CODES = {
    "phosphogypsum", "fgd_gypsum", "fly_ash", "ggbs", "steel_slag", "furnace_slag",
    "coal_gangue", "tailings", "construction_waste", "scrap_steel", "waste_plastics",
    "waste_tyres", "waste_mineral_oil", "battery_lfp", "battery_ncm", "battery_lead_acid",
    "red_mud", "phosphorus_slag",
}  # fmt: skip


def _grade(material: str, grade: str) -> GradeSeed:
    g = MATERIALS_BY_CODE[material].grade(grade)
    assert g is not None, (material, grade)
    return g


def test_codes_unique_and_complete() -> None:
    codes = [m.code for m in MATERIALS]
    assert len(codes) == len(set(codes))
    assert set(codes) >= REQUIRED_CODES
    assert set(MATERIALS_BY_CODE) == set(codes)


@pytest.mark.parametrize("material", MATERIALS, ids=lambda m: m.code)
def test_material_internal_consistency(material: MaterialSeed) -> None:
    keys = [p.key for p in material.parameters]
    assert len(keys) == len(set(keys)), "duplicate parameter key"
    assert material.parameters, "every material needs at least one parameter"
    for p in material.parameters:
        assert Decimal(p.valid_min) < Decimal(p.valid_max)
    grade_keys = [g.key for g in material.grades]
    assert len(grade_keys) == len(set(grade_keys)), "duplicate grade key"
    for use_key, zh, en in material.typical_uses:
        assert USES[use_key] == (zh, en)
    for g in material.grades:
        assert g.limits, g.key
        if g.use is not None:
            assert g.use in {u[0] for u in material.typical_uses}
        limit_keys = [lim.parameter for lim in g.limits]
        assert len(limit_keys) == len(set(limit_keys))
        for lim in g.limits:
            param = material.parameter(lim.parameter)
            assert param is not None, f"{g.key}: unknown parameter {lim.parameter}"
            assert lim.min is not None or lim.max is not None
            assert lim.source
            lo, hi = Decimal(param.valid_min), Decimal(param.valid_max)
            for bound in (lim.min, lim.max):
                if bound is not None:
                    assert lo <= Decimal(bound) <= hi, (g.key, lim)
            if lim.min is not None and lim.max is not None:
                assert Decimal(lim.min) <= Decimal(lim.max)


def test_hazardous_materials_have_hazard_codes() -> None:
    for m in MATERIALS:
        if m.hazardous:
            assert m.hazard_code and m.hazard_code.startswith("HW"), m.code
        else:
            assert m.hazard_code is None, m.code


def test_classification_spot_checks() -> None:
    pg = MATERIALS_BY_CODE["phosphogypsum"]
    assert (pg.cn_code, pg.cn_code_confirmed, pg.eu_code) == ("SW10", False, "06 09 04")
    lead = MATERIALS_BY_CODE["battery_lead_acid"]
    assert lead.cn_code == "HW31 900-052-31" and lead.cn_code_confirmed
    assert lead.hazard_code == "HW31" and lead.eu_code == "16 06 01*" and not lead.battery
    assert MATERIALS_BY_CODE["battery_lfp"].battery and MATERIALS_BY_CODE["battery_ncm"].battery
    assert MATERIALS_BY_CODE["waste_mineral_oil"].hazard_code == "HW08"
    assert MATERIALS_BY_CODE["waste_mineral_oil"].eu_code is None
    assert MATERIALS_BY_CODE["fly_ash"].eu_code == "10 01 02"
    assert MATERIALS_BY_CODE["coal_gangue"].eu_code_note is not None
    for m in MATERIALS:
        if m.cn_code and m.cn_code.startswith("SW"):
            assert not m.cn_code_confirmed, m.code


def test_fly_ash_confirmed_flags_follow_domain() -> None:
    f1 = _grade("fly_ash", "gbt1596_f_i_concrete")
    residue = f1.limit("residue_45um_pct")
    assert residue is not None and residue.max == "12" and residue.confirmed
    so3 = f1.limit("so3_pct")
    assert so3 is not None and so3.max == "3.0" and not so3.confirmed
    assert not f1.confirmed  # a grade with any unconfirmed limit is not confirmed
    f3 = _grade("fly_ash", "gbt1596_f_iii_concrete")
    wdr = f3.limit("water_demand_ratio_pct")
    assert wdr is not None and wdr.max == "115" and wdr.confirmed
    c1 = _grade("fly_ash", "gbt1596_c_i_concrete").limit("free_cao_pct")
    assert c1 is not None and c1.max == "4.0" and not c1.confirmed
    cement = _grade("fly_ash", "gbt1596_cement_admixture")
    assert {(lim.parameter, lim.max, lim.confirmed) for lim in cement.limits} == {
        ("loi_pct", "8", False),
        ("so3_pct", "3.5", False),
    }


def test_ggbs_confirmed_flags_follow_domain() -> None:
    s95 = _grade("ggbs", "gbt18046_s95")
    a28 = s95.limit("activity_28d_pct")
    assert a28 is not None and a28.min == "95" and a28.confirmed
    a7 = s95.limit("activity_7d_pct")
    assert a7 is not None and a7.min == "70" and a7.confirmed
    assert s95.confirmed
    for key, act7 in (("gbt18046_s105", "95"), ("gbt18046_s75", "55")):
        lim = _grade("ggbs", key).limit("activity_7d_pct")
        assert lim is not None and lim.min == act7 and not lim.confirmed
    # Common limits are on every S-grade and confirmed.
    for key in ("gbt18046_s105", "gbt18046_s95", "gbt18046_s75"):
        g = _grade("ggbs", key)
        for param in ("density_g_cm3", "flow_ratio_pct", "so3_pct", "chloride_pct",
                      "glass_content_pct", "loi_pct"):  # fmt: skip
            lim = g.limit(param)
            assert lim is not None and lim.confirmed, (key, param)


def test_gb6566_on_building_materials() -> None:
    for code in ("phosphogypsum", "fgd_gypsum", "fly_ash", "ggbs", "furnace_slag",
                 "phosphorus_slag"):  # fmt: skip
        g = _grade(code, "gb6566_main_building")
        assert {(lim.parameter, lim.max) for lim in g.limits} == {
            ("i_ra", "1.0"),
            ("i_gamma", "1.0"),
        }
        assert g.confirmed
        c = _grade(code, "gb6566_decoration_c")
        assert [(lim.parameter, lim.max) for lim in c.limits] == [("i_gamma", "2.8")]


def test_no_phosphogypsum_standard_grades_invented() -> None:
    # DOMAIN.md gives no values for GB/T 23456 or GB/T 21371 grades: none may be seeded.
    for g in MATERIALS_BY_CODE["phosphogypsum"].grades:
        assert g.standard == "GB 6566-2010"
