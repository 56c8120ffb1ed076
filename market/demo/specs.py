"""Spec sheets, prices and quantities of the demo's listings and demands, drawn at random.

:mod:`market.demo.seed` walks the roster and calls these generators; the ranges they draw
from live in ``market/data/demo/market.toml`` (:data:`market.demo.roster.ROSTER`), the
qualities per material here, since they are rules (a washed phosphogypsum has less soluble
P2O5, fly ash lots cycle through the grades) rather than a table. Every draw goes through one
:class:`Gen`, so the order of calls fixes the output: change the order only on purpose.
"""

from __future__ import annotations

import random
from collections import Counter
from decimal import Decimal

from market.catalogue.seed import MATERIALS_BY_CODE
from market.demo.roster import ROSTER, Cadence, Status
from matching.compliance import check
from matching.specs import Limit

MARKET = ROSTER.market
#: GB/T 1596 concrete grades by tier (keys ``gbt1596_<f|c>_<tier>_concrete``), strictest first.
TIERS = ("i", "ii", "iii")
#: GB/T 18046 grades, strictest first.
GGBS_GRADES = ("gbt18046_s105", "gbt18046_s95", "gbt18046_s75")


def grade_met(material: str, spec: dict[str, Decimal], grades: tuple[str, ...]) -> str | None:
    """The first (strictest) of ``grades`` whose every limit the spec meets, by the same
    check the exchange's compliance answers use (:func:`matching.compliance.check`), so a
    title that names a grade ("F类II级", "S95") names one the lot really meets; None if none.
    Unconfirmed limits count too: a lot just above one is not sold under that grade."""
    m = MATERIALS_BY_CODE[material]
    for key in grades:
        grade = m.grade(key)
        assert grade is not None, key
        limits = {
            lim.parameter: Limit(
                None if lim.min is None else Decimal(lim.min),
                None if lim.max is None else Decimal(lim.max),
                lim.source,
                lim.confirmed,
            )
            for lim in grade.limits
        }
        if check(spec, limits).verdict == "meets":
            return key
    return None


def _dec(x: float, places: int) -> Decimal:
    """Decimal with exactly ``places`` decimals, going through text so no float noise leaks."""
    return Decimal(f"{x:.{places}f}")


def _step(x: float, step: float) -> float:
    return round(x / step) * step


def _money(x: float) -> Decimal:
    return _dec(x, 2)


class Gen:
    """All draws go through one Random so that the order of calls fixes the output."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.counts: Counter[str] = Counter()

    def cycle(self, name: str, pattern: tuple[str, ...]) -> str:
        """Next item of a fixed pattern: guarantees a spread of grades however draws fall."""
        i = self.counts[name]
        self.counts[name] += 1
        return pattern[i % len(pattern)]

    def u(self, lo: float, hi: float, places: int = 1) -> Decimal:
        return _dec(self.rng.uniform(lo, hi), places)

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def status(self) -> Status:
        r = self.rng.random()
        return "open" if r < 0.8 else "draft" if r < 0.9 else "closed"


def _radioactivity(g: Gen, spec: dict[str, Decimal], ra: tuple[float, float],
                   gamma: tuple[float, float], p: float = 0.7) -> None:  # fmt: skip
    """Most producers of building-material inputs test radioactivity; some don't say."""
    if g.chance(p):
        spec["i_ra"] = g.u(*ra, places=2)
        spec["i_gamma"] = g.u(*gamma, places=2)


# --------------------------------------------------------------------------------------
# Listing specs per material
# --------------------------------------------------------------------------------------


def listing_spec(g: Gen, material: str, profile: str) -> tuple[dict[str, Decimal], str]:
    """A plausible spec sheet for one lot, and a short Chinese quality label for its title.

    Fly ash and GGBS lots are spread across grades (and a few just outside them) so that
    grade matching and the confirmed/unconfirmed distinction have something to show.
    """
    s: dict[str, Decimal] = {}
    label = ""
    if material == "phosphogypsum":
        washed = g.chance(0.3)
        s["caso4_2h2o_pct"] = g.u(80, 94)
        s["free_water_pct"] = g.u(15, 25) if profile != "stack" else g.u(18, 25)
        s["p2o5_soluble_pct"] = g.u(0.2, 0.5, 2) if washed else g.u(0.3, 1.0, 2)
        s["f_soluble_pct"] = g.u(0.05, 0.2, 2) if washed else g.u(0.1, 0.5, 2)
        s["ph"] = g.u(5.0, 7.0) if washed else g.u(2.5, 5.0)
        _radioactivity(g, s, (0.1, 1.15), (0.1, 0.6), p=0.8)
        label = "水洗" if washed else ("堆存" if profile == "stack" else "新鲜")
    elif material == "fgd_gypsum":
        s["caso4_2h2o_pct"] = g.u(88, 96)
        s["free_water_pct"] = g.u(8, 14)
        s["ph"] = g.u(6.0, 8.5)
        s["chloride_pct"] = g.u(0.01, 0.15, 3)
        _radioactivity(g, s, (0.05, 0.3), (0.05, 0.4))
    elif material == "fly_ash":
        tier = g.cycle("fly_ash", ("I", "II", "III", "II", "I", "off", "II", "III"))
        if profile == "wet":
            tier = g.rng.choice(["III", "off"])
        residue, water, loi = {
            "I": ((5, 12), (88, 95), (1.0, 5.0)),
            "II": ((12.1, 30), (95.1, 105), (3.0, 8.0)),
            "III": ((30.1, 45), (105.1, 115), (6.0, 10.0)),
            "off": ((45.1, 60), (112, 125), (9.0, 14.0)),
        }[tier]
        class_c = g.cycle("fly_ash_class", ("F", "F", "C", "F", "F", "F", "F")) == "C"
        s["residue_45um_pct"] = g.u(*residue)
        s["water_demand_ratio_pct"] = g.u(*water)
        s["loi_pct"] = g.u(*loi)
        # SO3, free CaO and moisture limits are UNCONFIRMED: a few lots sit just above them.
        s["so3_pct"] = g.u(0.4, 3.2)
        s["free_cao_pct"] = g.u(1.0, 4.2) if class_c else g.u(0.2, 1.1)
        s["moisture_pct"] = g.u(15, 30) if profile == "wet" else g.u(0.1, 1.1)
        if class_c or g.chance(0.4):
            s["cao_pct"] = g.u(10, 22) if class_c else g.u(2, 8)
        _radioactivity(g, s, (0.3, 0.9), (0.4, 1.1))
        family = "c" if class_c else "f"
        met = grade_met(material, s, tuple(f"gbt1596_{family}_{t}_concrete" for t in TIERS))
        label = ("C类" if class_c else "F类") + (
            "等外" if met is None else f"{met.rsplit('_', 2)[1].upper()}级"
        )
    elif material == "ggbs":
        tier = g.cycle("ggbs", ("S95", "S105", "S95", "S75"))
        surface, act28, act7 = {
            "S105": ((500, 560), (105, 112), (90, 102)),
            "S95": ((400, 480), (95, 104), (68, 85)),
            "S75": ((320, 400), (75, 94), (55, 70)),
        }[tier]
        s["specific_surface_m2_kg"] = g.u(*surface, places=0)
        s["activity_7d_pct"] = g.u(*act7, places=0)
        s["activity_28d_pct"] = g.u(*act28, places=0)
        s["density_g_cm3"] = g.u(2.82, 2.95, 2)
        s["flow_ratio_pct"] = g.u(95, 104, 0)
        s["so3_pct"] = g.u(0.5, 3.0)
        s["chloride_pct"] = g.u(0.01, 0.05, 3)
        s["glass_content_pct"] = g.u(86, 97)
        s["loi_pct"] = g.u(0.1, 0.9)
        s["moisture_pct"] = g.u(0.1, 0.8)
        _radioactivity(g, s, (0.2, 0.6), (0.3, 0.7))
        met = grade_met(material, s, GGBS_GRADES)
        label = "等外" if met is None else met.rsplit("_", 1)[1].upper()
    elif material == "steel_slag":
        s["free_cao_pct"] = g.u(1.0, 6.0)
        s["metallic_fe_pct"] = g.u(0.5, 3.0)
        s["moisture_pct"] = g.u(3, 10)
        s["particle_size_mm"] = Decimal(g.rng.choice(["10", "20", "40", "60"]))
        _radioactivity(g, s, (0.2, 0.7), (0.3, 0.9), p=0.5)
    elif material == "furnace_slag":
        s["moisture_pct"] = g.u(10, 25)
        s["loi_pct"] = g.u(2, 12)
        s["particle_size_mm"] = Decimal(g.rng.choice(["10", "20", "30"]))
        s["sio2_pct"] = g.u(40, 55)
        _radioactivity(g, s, (0.3, 0.8), (0.4, 1.0), p=0.5)
    elif material == "coal_gangue":
        s["calorific_value_mj_kg"] = g.u(2.0, 8.0)
        s["sio2_pct"] = g.u(45, 62)
        s["al2o3_pct"] = g.u(15, 30)
        s["moisture_pct"] = g.u(3, 10)
        s["particle_size_mm"] = Decimal(g.rng.choice(["50", "100", "200", "300"]))
        _radioactivity(g, s, (0.3, 0.9), (0.4, 1.1), p=0.5)
    elif material == "tailings":
        s["moisture_pct"] = g.u(12, 22)
        s["particle_size_mm"] = Decimal(g.rng.choice(["0.5", "1", "2"]))
        s["sio2_pct"] = g.u(20, 40)
        s["p2o5_pct"] = g.u(2, 8)
        _radioactivity(g, s, (0.2, 0.9), (0.2, 0.7), p=0.6)
    elif material == "phosphorus_slag":
        s["p2o5_pct"] = g.u(0.8, 3.2)
        s["cao_pct"] = g.u(44, 50)
        s["sio2_pct"] = g.u(38, 43)
        s["activity_28d_pct"] = g.u(60, 82, 0)
        s["moisture_pct"] = g.u(8, 15)
        if g.chance(0.3):
            s["specific_surface_m2_kg"] = g.u(380, 450, 0)
        _radioactivity(g, s, (0.3, 1.1), (0.3, 0.8), p=0.8)
    elif material == "construction_waste":
        processed = g.chance(0.4)
        s["impurity_pct"] = g.u(0.5, 3) if processed else g.u(2, 10)
        s["particle_size_mm"] = (
            Decimal(g.rng.choice(["5", "10", "31.5"]))
            if processed
            else Decimal(g.rng.choice(["150", "300", "500"]))
        )
        s["moisture_pct"] = g.u(3, 10)
        label = "再生骨料" if processed else "拆除混合料"
    elif material == "scrap_steel":
        s["fe_pct"] = g.u(92, 99)
        s["impurity_pct"] = g.u(0.5, 5)
        s["thickness_mm"] = Decimal(g.rng.choice(["2", "4", "6", "10", "20"]))
        label = "重废" if s["thickness_mm"] >= 6 else "中废"
    elif material == "waste_plastics":
        s["impurity_pct"] = g.u(2, 15)
        s["moisture_pct"] = g.u(1, 10)
        label = g.rng.choice(["PE膜", "PP编织袋", "混合"])
    elif material == "waste_tyres":
        s["steel_wire_pct"] = g.u(10, 16)
        s["impurity_pct"] = g.u(1, 5)
        label = g.rng.choice(["载重胎", "乘用胎"])
    elif material == "waste_mineral_oil":
        s["water_content_pct"] = g.u(2, 20)
        s["impurity_pct"] = g.u(0.5, 5)
    elif material in ("battery_lfp", "battery_ncm"):
        lo, hi = {"maker": (10, 92), "fleet": (55, 80), "dismantler": (10, 75)}[profile]
        s["soh_pct"] = g.u(lo, hi)
        label = "电池包" if profile == "fleet" else g.rng.choice(["电芯", "模组", "电池包"])
    elif material == "battery_lead_acid":
        s["pb_content_pct"] = g.u(55, 70)
    else:  # pragma: no cover - every supplied material is handled above
        raise ValueError(material)
    return s, label


def listing_price(g: Gen, material: str, spec: dict[str, Decimal]) -> Decimal:
    """Price per tonne; fly ash, GGBS and batteries are priced by the lot's quality."""
    price = MARKET.listing_price[material]
    lo, hi, step = price.low, price.high, price.step
    if material == "fly_ash":
        residue = spec["residue_45um_pct"]
        lo, hi = (
            (80, 120) if residue <= 12 else (50, 90) if residue <= 30 else
            (25, 55) if residue <= 45 else (20, 30)
        )  # fmt: skip
        if spec["moisture_pct"] > 10:
            lo, hi = 20, 30
    elif material == "ggbs":
        act = spec["activity_28d_pct"]
        lo, hi = (240, 280) if act >= 105 else (190, 250) if act >= 95 else (150, 190)
    elif material in ("battery_lfp", "battery_ncm"):
        # Higher state of health is worth more (cascade use), low SOH prices as material.
        share = float(spec["soh_pct"]) / 100
        mid = lo + (hi - lo) * share
        lo, hi = max(lo, mid - (hi - lo) * 0.15), min(hi, mid + (hi - lo) * 0.15)
    return _money(_step(g.rng.uniform(lo, hi), step))


def listing_quantity(g: Gen, material: str, cadence: Cadence) -> Decimal:
    """Tonnes (per month when monthly), rounded to the material's step."""
    q_range = MARKET.listing_quantity[material]
    lo, hi = q_range.monthly if cadence == "monthly" else q_range.one_off
    step = q_range.step
    q = max(_step(g.rng.uniform(lo, hi), step), step)
    return _dec(q, 3) if step < 0.01 else _dec(q, 2)


def listing_cadence(g: Gen, material: str) -> Cadence:
    """Monthly with the material's monthly share, else one-off."""
    return "monthly" if g.chance(MARKET.listing_quantity[material].monthly_share) else "one_off"


def fmt_t(q: Decimal) -> str:
    """Tonnes for a title: thousands separated, no trailing zeros."""
    return f"{q.normalize():,f}"


# --------------------------------------------------------------------------------------
# Demand requirements per (material, use)
# --------------------------------------------------------------------------------------

Requirements = dict[str, tuple[Decimal | None, Decimal | None]]


def demand_requirements(g: Gen, material: str, use: str) -> Requirements:
    """The buyer's own limits, on top of any grade: what a purchasing spec would list."""
    r: Requirements = {}

    def lo(key: str, *choices: str) -> None:
        r[key] = (Decimal(g.rng.choice(choices)), None)

    def hi(key: str, *choices: str) -> None:
        r[key] = (None, Decimal(g.rng.choice(choices)))

    if material == "phosphogypsum":
        if use == "gypsum_retarder":
            lo("caso4_2h2o_pct", "80", "85")
            hi("free_water_pct", "18", "20", "22")
            hi("p2o5_soluble_pct", "0.5", "0.8")
        elif use in ("building_gypsum", "brick_block"):
            lo("caso4_2h2o_pct", "85", "88", "90")
            hi("p2o5_soluble_pct", "0.5", "0.6")
            hi("f_soluble_pct", "0.2", "0.3")
            lo("ph", "5", "5.5")
        elif use == "road_base":
            hi("free_water_pct", "25")
            if g.chance(0.5):
                lo("ph", "4", "5")
        elif use == "mine_backfill":
            if g.chance(0.5):
                hi("free_water_pct", "25")
        elif use == "soil_conditioner":
            hi("f_soluble_pct", "0.3", "0.4")
            hi("i_ra", "1.0")
    elif material == "fgd_gypsum":
        if use in ("gypsum_retarder", "building_gypsum"):
            lo("caso4_2h2o_pct", "90", "92")
            hi("free_water_pct", "12")
            hi("chloride_pct", "0.1")
    elif material == "fly_ash":
        if use == "concrete_admixture" and g.chance(0.3):
            hi("so3_pct", "2.5")
        elif use == "brick_block":
            hi("loi_pct", "15")
    elif material == "ggbs":
        if g.chance(0.3):
            hi("moisture_pct", "1.0")
    elif material == "steel_slag":
        hi("free_cao_pct", "3", "4")
        if use == "road_base":
            hi("particle_size_mm", "40", "60")
        else:
            hi("metallic_fe_pct", "2")
    elif material == "furnace_slag":
        hi("loi_pct", "8", "10") if use != "road_base" else hi("particle_size_mm", "30")
    elif material == "coal_gangue":
        if use == "fuel":
            lo("calorific_value_mj_kg", "5", "6")
        elif use == "cement_admixture":
            lo("al2o3_pct", "15", "18")
        elif use == "road_base":
            hi("particle_size_mm", "100", "200")
        else:
            hi("particle_size_mm", "100")
    elif material == "tailings":
        hi("moisture_pct", "18", "20")
    elif material == "phosphorus_slag":
        hi("p2o5_pct", "2.5", "3.0")
        lo("activity_28d_pct", "62", "65")
    elif material == "construction_waste":
        hi("impurity_pct", "3", "5", "8")
        if use in ("road_base", "brick_block"):
            hi("particle_size_mm", "31.5", "150")
    elif material == "scrap_steel":
        lo("fe_pct", "92", "95")
        hi("impurity_pct", "2", "3")
    elif material == "waste_plastics":
        hi("impurity_pct", "8", "10")
        hi("moisture_pct", "5")
    elif material == "waste_tyres":
        if g.chance(0.5):
            hi("impurity_pct", "3", "5")
    elif material == "waste_mineral_oil":
        hi("water_content_pct", "10", "15")
    elif material in ("battery_lfp", "battery_ncm"):
        if use == "cascade_use":
            r["soh_pct"] = (Decimal(g.rng.choice(["60", "65", "70"])), Decimal("85"))
        elif g.chance(0.5):
            hi("soh_pct", "60", "70")
    elif material == "battery_lead_acid":
        lo("pb_content_pct", "55", "58")
    return r


def demand_max_price(g: Gen, material: str, grade: str | None) -> Decimal | None:
    """The buyer's price cap, or None (no cap); graded fly ash caps follow the grade."""
    if g.chance(0.15):
        return None
    cap = MARKET.demand_max_price[material]
    lo, hi, step = cap.low, cap.high, cap.step
    if material == "fly_ash" and grade is not None:
        if "_i_" in grade:
            lo, hi = 90, 130
        elif "_ii_" in grade:
            lo, hi = 60, 100
        else:
            lo, hi = 30, 60
    return _money(_step(g.rng.uniform(lo, hi), step))


def haul_km(g: Gen, material: str) -> Decimal:
    """How far a buyer will haul: batteries and hazardous waste travel further."""
    m = MATERIALS_BY_CODE[material]
    if m.battery:
        lo, hi = 100, 500
    elif m.hazardous:
        lo, hi = 100, 300
    elif m.category == "recyclable":
        lo, hi = 50, 200
    else:
        lo, hi = 30, 150
    return Decimal(int(_step(g.rng.uniform(lo, hi), 5)))


def demand_quantity(g: Gen, material: str, use: str) -> Decimal:
    """Batteries to the kilogram, bulk materials rounded as a buyer would write them."""
    lo, hi = MARKET.demand_quantity[use]
    step = 0.001 if MATERIALS_BY_CODE[material].battery else 10 if hi < 10_000 else 100
    q = max(_step(g.rng.uniform(lo, hi), step), step)
    return _dec(q, 3) if step < 0.01 else _dec(q, 2)
