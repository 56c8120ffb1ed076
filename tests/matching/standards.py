"""Test grades built from the confirmed limits in DOMAIN.md §1.

The real catalogue lives in ``market`` (administrator-editable); these copies exist only so
the matcher can be tested against limits a reader can check in the standards' tables.
"""

from __future__ import annotations

from decimal import Decimal as D

from matching.specs import Grade, Limit, Parameter

FLY_ASH_SOURCE = "GB/T 1596-2017 table 2"
SLAG_SOURCE = "GB/T 18046-2017 table 1"

PARAMETERS: dict[str, Parameter] = {
    p.key: p
    for p in (
        Parameter("residue_45um", "45µm方孔筛筛余", "45 µm residue", "%", D(0), D(100)),
        Parameter("water_demand_ratio", "需水量比", "water demand ratio", "%", D(0), D(300)),
        Parameter("loi", "烧失量", "loss on ignition", "%", D(0), D(100)),
        Parameter("so3", "三氧化硫", "SO3", "%", D(0), D(100)),
        Parameter("specific_surface", "比表面积", "specific surface", "m²/kg", D(0), D(2000)),
        Parameter("activity_28d", "28d活性指数", "28 d activity index", "%", D(0), D(200)),
    )
}


def _fa(grade: str, residue: str, water: str, loi: str) -> Grade:
    limits = {
        "residue_45um": Limit(max=D(residue), source=FLY_ASH_SOURCE),
        "water_demand_ratio": Limit(max=D(water), source=FLY_ASH_SOURCE),
        "loi": Limit(max=D(loi), source=FLY_ASH_SOURCE),
    }
    return Grade(
        key=f"fly_ash_f_{grade.lower()}",
        name=f"GB/T 1596 F-{grade} concrete",
        standard="GB/T 1596-2017",
        limits=limits,
        name_zh=f"GB/T 1596 F-{grade} 混凝土用",
        short=f"F-{grade}",
    )


def _slag(grade: str, surface: str, activity: str) -> Grade:
    return Grade(
        key=grade.lower(),
        name=f"GB/T 18046 {grade}",
        standard="GB/T 18046-2017",
        limits={
            "specific_surface": Limit(min=D(surface), source=SLAG_SOURCE),
            "activity_28d": Limit(min=D(activity), source=SLAG_SOURCE),
        },
        name_zh=f"GB/T 18046 {grade} 级矿渣粉",
        short=grade,
    )


FLY_ASH_I = _fa("I", "12", "95", "5")
FLY_ASH_II = _fa("II", "30", "105", "8")
FLY_ASH_III = _fa("III", "45", "115", "10")
FLY_ASH_GRADES = (FLY_ASH_I, FLY_ASH_II, FLY_ASH_III)

SLAG_S105 = _slag("S105", "500", "105")
SLAG_S95 = _slag("S95", "400", "95")
SLAG_S75 = _slag("S75", "300", "75")
SLAG_GRADES = (SLAG_S105, SLAG_S95, SLAG_S75)

#: SO3 ≤ 3.0 % for fly ash is UNCONFIRMED in DOMAIN.md: kept as data, flagged.
SO3_UNCONFIRMED = Limit(max=D("3.0"), source="GB/T 1596-2017 (unchecked)", confirmed=False)
