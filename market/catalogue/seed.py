"""Initial material catalogue for the exchange, as plain data.

The service copies this into database tables by a seed/migration, after which the platform
administrator owns the catalogue and may correct it without a release. That is why the
data lives here as inert values rather than as model classes: it must not depend on the
database layer, and a reviewer should be able to check every number against
``shared/DOMAIN.md`` in one file.

Rules followed here (from DOMAIN.md):

* Every grade limit carries the ``source`` it came from and a ``confirmed`` flag. A limit
  DOMAIN.md marks **UNCONFIRMED** is kept with ``confirmed=False`` so that matching can
  treat it as advisory and an administrator can fix it later; limits DOMAIN.md marks
  UNCONFIRMED *without giving a value* (e.g. GB/T 23456-2018 phosphogypsum grades,
  GB/T 21371-2019, GB/T 20491-2017 steel slag powder) are omitted rather than invented.
* The Chinese SW codes of the 2021 ledger guide are UNCONFIRMED in DOMAIN.md, so every SW
  code has ``cn_code_confirmed=False``; the HW codes are stated plainly and are confirmed.
* EU List of Waste codes not given in DOMAIN.md carry an ``eu_code_note`` saying so.
* Numbers are decimal strings, never floats, so that ``Decimal(limit.max)`` reproduces the
  standard's figure exactly (``Decimal(0.1)`` would not).
"""

from __future__ import annotations

from dataclasses import dataclass

# --------------------------------------------------------------------------------------
# Shapes
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ParameterSeed:
    """A measurable property a listing may state and a demand or grade may constrain.

    ``valid_min``/``valid_max`` are the *physically* possible range (used to reject typos
    such as a moisture of 150 %), not a quality requirement. Ratio-type percentages
    (water demand ratio, activity index, flow ratio) can exceed 100 and have a wider range.
    """

    key: str
    name_zh: str
    name_en: str
    unit: str
    valid_min: str
    valid_max: str


@dataclass(frozen=True, slots=True)
class LimitSeed:
    """One bound of a grade on one parameter, with its provenance.

    ``min``/``max`` are inclusive decimal strings; either may be ``None`` (one-sided).
    """

    parameter: str
    min: str | None
    max: str | None
    source: str
    confirmed: bool


@dataclass(frozen=True, slots=True)
class GradeSeed:
    """A named preset of limits (a grade of a standard) that a demand can ask for.

    ``use`` optionally names the typical-use key the grade is meant for, so that the UI can
    suggest grades when a buyer picks a use. ``note`` holds caveats that are not limits.
    """

    key: str
    name: str
    name_zh: str
    standard: str
    limits: tuple[LimitSeed, ...]
    use: str | None = None
    note: str | None = None

    @property
    def confirmed(self) -> bool:
        """True only when every limit of the grade is confirmed."""
        return all(limit.confirmed for limit in self.limits)

    def limit(self, parameter: str) -> LimitSeed | None:
        """The limit on ``parameter``, or None when the grade does not constrain it."""
        for limit in self.limits:
            if limit.parameter == parameter:
                return limit
        return None


@dataclass(frozen=True, slots=True)
class MaterialSeed:
    """A tradeable material stream with its classification, parameters and grades.

    ``typical_uses`` are ``(key, name_zh, name_en)`` triples (keys from :data:`USES`).
    ``battery`` marks retired traction batteries, where the MIIT compliant-recycler rule
    applies to recycling lots; lead-acid batteries are instead hazardous waste (HW31) and
    need a hazardous-waste permit, so they have ``battery=False`` and ``hazardous=True``.
    """

    code: str
    name_zh: str
    name_en: str
    category: str
    cn_code: str | None
    cn_code_confirmed: bool
    eu_code: str | None
    hazardous: bool
    hazard_code: str | None
    battery: bool
    typical_uses: tuple[tuple[str, str, str], ...]
    parameters: tuple[ParameterSeed, ...]
    grades: tuple[GradeSeed, ...] = ()
    cn_code_note: str | None = None
    eu_code_note: str | None = None
    note: str | None = None

    def parameter(self, key: str) -> ParameterSeed | None:
        """The parameter with ``key``, or None."""
        for p in self.parameters:
            if p.key == key:
                return p
        return None

    def grade(self, key: str) -> GradeSeed | None:
        """The grade with ``key``, or None."""
        for g in self.grades:
            if g.key == key:
                return g
        return None


# --------------------------------------------------------------------------------------
# Typical uses
# --------------------------------------------------------------------------------------

#: Use key -> (name_zh, name_en). Demands pick a use; matching and CO2 accounting key on it.
USES: dict[str, tuple[str, str]] = {
    "clinker_substitute": ("替代水泥熟料", "clinker substitute"),
    "cement_admixture": ("水泥混合材", "cement admixture"),
    "concrete_admixture": ("混凝土掺合料", "concrete mineral admixture"),
    "gypsum_retarder": ("水泥缓凝剂", "cement set retarder"),
    "building_gypsum": ("建筑石膏及制品", "building gypsum, plaster and boards"),
    "road_base": ("道路基层材料", "road base"),
    "mine_backfill": ("矿山充填", "mine backfill"),
    "soil_conditioner": ("土壤调理剂", "soil conditioner"),
    "brick_block": ("墙体砖和砌块", "bricks and blocks"),
    "cascade_use": ("梯次利用", "cascade (second-life) use"),
    "battery_recycling": ("再生利用（材料回收）", "battery recycling (material recovery)"),
    "smelting": ("冶炼原料", "smelting feedstock"),
    "regeneration": ("再生加工", "regeneration / reprocessing"),
    "fuel": ("燃料利用", "fuel"),
}


def _uses(*keys: str) -> tuple[tuple[str, str, str], ...]:
    return tuple((k, *USES[k]) for k in keys)


# --------------------------------------------------------------------------------------
# Parameters
# --------------------------------------------------------------------------------------

PCT = "%"
NO_UNIT = "—"


def _p(key: str, zh: str, en: str, unit: str, lo: str, hi: str) -> ParameterSeed:
    return ParameterSeed(key, zh, en, unit, lo, hi)


def _pct(key: str, zh: str, en: str, hi: str = "100") -> ParameterSeed:
    return _p(key, zh, en, PCT, "0", hi)


MOISTURE = _pct("moisture_pct", "含水量", "moisture content")
LOI = _pct("loi_pct", "烧失量", "loss on ignition")
SO3 = _pct("so3_pct", "三氧化硫", "SO3 content")
FREE_CAO = _pct("free_cao_pct", "游离氧化钙", "free CaO content")
CAO = _pct("cao_pct", "氧化钙", "CaO content")
SIO2 = _pct("sio2_pct", "二氧化硅", "SiO2 content")
AL2O3 = _pct("al2o3_pct", "三氧化二铝", "Al2O3 content")
FE = _pct("fe_pct", "铁含量", "iron content")
P2O5 = _pct("p2o5_pct", "五氧化二磷", "P2O5 content")
CHLORIDE = _pct("chloride_pct", "氯离子", "chloride (Cl⁻) content")
IMPURITY = _pct("impurity_pct", "杂质含量", "impurity content")
PARTICLE_SIZE = _p("particle_size_mm", "最大粒径", "maximum particle size", "mm", "0", "1000")
SPECIFIC_SURFACE = _p(
    "specific_surface_m2_kg", "比表面积", "specific surface area", "m²/kg", "0", "2000"
)
ACTIVITY_7D = _pct("activity_7d_pct", "7天活性指数", "7-day activity index", hi="200")
ACTIVITY_28D = _pct("activity_28d_pct", "28天活性指数", "28-day activity index", hi="200")
PH = _p("ph", "pH值", "pH", NO_UNIT, "0", "14")
I_RA = _p("i_ra", "内照射指数", "internal exposure index I_Ra", NO_UNIT, "0", "10")
I_GAMMA = _p("i_gamma", "外照射指数", "external exposure index I_γ", NO_UNIT, "0", "10")
RADIOACTIVITY = (I_RA, I_GAMMA)
SOH = _pct("soh_pct", "健康状态（剩余容量）", "state of health (remaining % of rated capacity)")
CASO4 = _pct("caso4_2h2o_pct", "二水硫酸钙含量", "CaSO4·2H2O content")
FREE_WATER = _pct("free_water_pct", "附着水含量", "free (attached) water")

# --------------------------------------------------------------------------------------
# Grades
# --------------------------------------------------------------------------------------

_D1 = "DOMAIN.md §1"


def _lim(
    parameter: str,
    *,
    min: str | None = None,
    max: str | None = None,
    source: str,
    confirmed: bool,
) -> LimitSeed:
    return LimitSeed(parameter, min, max, source, confirmed)


# GB 6566-2010 radioactivity limits: stated in DOMAIN.md without an UNCONFIRMED mark.
_GB6566 = "GB 6566-2010"
_GB6566_SRC = f"{_D1} (GB 6566-2010)"


def _gb6566_grades() -> tuple[GradeSeed, ...]:
    """The GB 6566 presets; attached to every material that goes into building materials."""

    def lim(p: str, v: str) -> LimitSeed:
        return _lim(p, max=v, source=_GB6566_SRC, confirmed=True)

    return (
        GradeSeed(
            "gb6566_main_building",
            "GB 6566 main building material",
            "GB 6566 建筑主体材料",
            _GB6566,
            (lim("i_ra", "1.0"), lim("i_gamma", "1.0")),
            note="I_γ ≤ 1.3 allowed for hollow products with > 25 % voids",
        ),
        GradeSeed(
            "gb6566_decoration_a",
            "GB 6566 decoration material class A",
            "GB 6566 装饰装修材料 A类",
            _GB6566,
            (lim("i_ra", "1.0"), lim("i_gamma", "1.3")),
        ),
        GradeSeed(
            "gb6566_decoration_b",
            "GB 6566 decoration material class B",
            "GB 6566 装饰装修材料 B类",
            _GB6566,
            (lim("i_ra", "1.3"), lim("i_gamma", "1.9")),
        ),
        GradeSeed(
            "gb6566_decoration_c",
            "GB 6566 decoration material class C",
            "GB 6566 装饰装修材料 C类",
            _GB6566,
            (lim("i_gamma", "2.8"),),
        ),
    )


GB6566_GRADES = _gb6566_grades()

# GB/T 1596-2017 fly ash for concrete and mortar.
_GBT1596 = "GB/T 1596-2017"
_GBT1596_SRC = f"{_D1} (GB/T 1596-2017 concrete/mortar grades)"
_GBT1596_FREE_CAO_SRC = (
    f"{_D1} (GB/T 1596-2017; DOMAIN.md gives F 1.0 / C 4.0 in the grade I column only, "
    "applied here to all grades)"
)


def _fly_ash_grade(ash_class: str, grade: str) -> GradeSeed:
    """One GB/T 1596 concrete grade; ``ash_class`` is "F" or "C", ``grade`` "I"-"III"."""
    residue, water_demand, loi = {
        "I": ("12", "95", "5"),
        "II": ("30", "105", "8"),
        "III": ("45", "115", "10"),
    }[grade]
    free_cao = "1.0" if ash_class == "F" else "4.0"
    return GradeSeed(
        f"gbt1596_{ash_class.lower()}_{grade.lower()}_concrete",
        f"GB/T 1596 {ash_class}-{grade} concrete",
        f"GB/T 1596 {ash_class}类 {grade}级 混凝土用",
        _GBT1596,
        (
            _lim("residue_45um_pct", max=residue, source=_GBT1596_SRC, confirmed=True),
            _lim("water_demand_ratio_pct", max=water_demand, source=_GBT1596_SRC, confirmed=True),
            _lim("loi_pct", max=loi, source=_GBT1596_SRC, confirmed=True),
            _lim("so3_pct", max="3.0", source=_GBT1596_SRC, confirmed=False),
            _lim("free_cao_pct", max=free_cao, source=_GBT1596_FREE_CAO_SRC, confirmed=False),
            _lim("moisture_pct", max="1.0", source=_GBT1596_SRC, confirmed=False),
        ),
        use="concrete_admixture",
    )


FLY_ASH_GRADES: tuple[GradeSeed, ...] = (
    *(_fly_ash_grade(c, g) for c in ("F", "C") for g in ("I", "II", "III")),
    GradeSeed(
        "gbt1596_cement_admixture",
        "GB/T 1596 active cement admixture",
        "GB/T 1596 水泥活性混合材料用",
        _GBT1596,
        (
            _lim("loi_pct", max="8", source=f"{_D1} (GB/T 1596-2017 cement)", confirmed=False),
            _lim("so3_pct", max="3.5", source=f"{_D1} (GB/T 1596-2017 cement)", confirmed=False),
        ),
        use="cement_admixture",
        note="not graded; only the limits DOMAIN.md lists are included",
    ),
    *GB6566_GRADES,
)

# GB/T 18046-2017 ground granulated blast-furnace slag.
_GBT18046 = "GB/T 18046-2017"
_GBT18046_SRC = f"{_D1} (GB/T 18046-2017)"


def _ggbs_grade(grade: str, surface: str, act28: str, act7: str, act7_ok: bool) -> GradeSeed:
    """One S-grade: its own surface/activity limits plus the confirmed common limits."""

    def c(p: str, *, min: str | None = None, max: str | None = None) -> LimitSeed:
        return _lim(p, min=min, max=max, source=_GBT18046_SRC, confirmed=True)

    return GradeSeed(
        f"gbt18046_{grade.lower()}",
        f"GB/T 18046 {grade}",
        f"GB/T 18046 {grade}级 矿渣粉",
        _GBT18046,
        (
            c("specific_surface_m2_kg", min=surface),
            _lim("activity_7d_pct", min=act7, source=_GBT18046_SRC, confirmed=act7_ok),
            c("activity_28d_pct", min=act28),
            c("density_g_cm3", min="2.8"),
            c("flow_ratio_pct", min="95"),
            c("so3_pct", max="4.0"),
            c("chloride_pct", max="0.06"),
            c("glass_content_pct", min="85"),
            c("loi_pct", max="1.0"),
        ),
        use="concrete_admixture",
    )


GGBS_GRADES: tuple[GradeSeed, ...] = (
    _ggbs_grade("S105", "500", "105", "95", act7_ok=False),
    _ggbs_grade("S95", "400", "95", "70", act7_ok=True),
    _ggbs_grade("S75", "300", "75", "55", act7_ok=False),
    *GB6566_GRADES,
)

# --------------------------------------------------------------------------------------
# Materials
# --------------------------------------------------------------------------------------

_SW_NOTE = "2021 ledger guide SW list is UNCONFIRMED in DOMAIN.md"
_NOT_DOMAIN = "not from DOMAIN.md"
_BATTERY_SW_NOTE = (
    "no specific code in DOMAIN.md; SW17 (recyclables) used as a placeholder. " + _SW_NOTE
)

MATERIALS: tuple[MaterialSeed, ...] = (
    MaterialSeed(
        code="phosphogypsum",
        name_zh="磷石膏",
        name_en="Phosphogypsum",
        category="gypsum",
        cn_code="SW10",
        cn_code_confirmed=False,
        cn_code_note=_SW_NOTE,
        eu_code="06 09 04",
        eu_code_note="mirror entry of hazardous 06 09 03*",
        hazardous=False,
        hazard_code=None,
        battery=False,
        typical_uses=_uses(
            "gypsum_retarder", "building_gypsum", "road_base", "mine_backfill", "soil_conditioner"
        ),
        parameters=(
            CASO4,
            FREE_WATER,
            _pct("p2o5_soluble_pct", "水溶性五氧化二磷", "water-soluble P2O5"),
            _pct("f_soluble_pct", "水溶性氟", "water-soluble F⁻"),
            PH,
            *RADIOACTIVITY,
        ),
        grades=GB6566_GRADES,
        note=(
            "GB/T 23456-2018 (replaced by GB/T 23456-2025 from 2026-07-01) and GB/T 21371-2019 "
            "grade limits are UNCONFIRMED in DOMAIN.md and not seeded"
        ),
    ),
    MaterialSeed(
        code="fgd_gypsum",
        name_zh="脱硫石膏",
        name_en="FGD gypsum",
        category="gypsum",
        cn_code="SW06",
        cn_code_confirmed=False,
        cn_code_note=_SW_NOTE,
        eu_code="10 01 05",
        hazardous=False,
        hazard_code=None,
        battery=False,
        typical_uses=_uses("gypsum_retarder", "building_gypsum", "soil_conditioner"),
        parameters=(CASO4, FREE_WATER, PH, CHLORIDE, *RADIOACTIVITY),
        grades=GB6566_GRADES,
    ),
    MaterialSeed(
        code="fly_ash",
        name_zh="粉煤灰",
        name_en="Fly ash",
        category="ash",
        cn_code="SW02",
        cn_code_confirmed=False,
        cn_code_note=_SW_NOTE,
        eu_code="10 01 02",
        hazardous=False,
        hazard_code=None,
        battery=False,
        typical_uses=_uses(
            "concrete_admixture",
            "cement_admixture",
            "clinker_substitute",
            "brick_block",
            "road_base",
        ),
        parameters=(
            _pct("residue_45um_pct", "细度（45μm方孔筛筛余）", "fineness (45 µm sieve residue)"),
            _pct("water_demand_ratio_pct", "需水量比", "water demand ratio", hi="200"),
            LOI,
            SO3,
            FREE_CAO,
            MOISTURE,
            CAO,
            *RADIOACTIVITY,
        ),
        grades=FLY_ASH_GRADES,
        note=(
            "class F: anthracite/bituminous coal; "
            "class C: lignite/sub-bituminous, CaO usually ≥ 10 %"
        ),
    ),
    MaterialSeed(
        code="ggbs",
        name_zh="粒化高炉矿渣粉",
        name_en="Ground granulated blast-furnace slag (GGBS)",
        category="slag",
        cn_code="SW01",
        cn_code_confirmed=False,
        cn_code_note=_SW_NOTE,
        eu_code="10 02 01",
        eu_code_note="ground (processed) slag; granulated slag before grinding is 10 02 02",
        hazardous=False,
        hazard_code=None,
        battery=False,
        typical_uses=_uses("concrete_admixture", "cement_admixture", "clinker_substitute"),
        parameters=(
            SPECIFIC_SURFACE,
            ACTIVITY_7D,
            ACTIVITY_28D,
            _p("density_g_cm3", "密度", "density", "g/cm³", "0", "10"),
            _pct("flow_ratio_pct", "流动度比", "flow ratio", hi="200"),
            SO3,
            CHLORIDE,
            _pct("glass_content_pct", "玻璃体含量", "glass content"),
            LOI,
            MOISTURE,
            *RADIOACTIVITY,
        ),
        grades=GGBS_GRADES,
    ),
    MaterialSeed(
        code="steel_slag",
        name_zh="钢渣",
        name_en="Steel slag",
        category="slag",
        cn_code="SW01",
        cn_code_confirmed=False,
        cn_code_note=_SW_NOTE,
        eu_code="10 02 02",
        eu_code_note="unprocessed slag; 10 02 01 once processed",
        hazardous=False,
        hazard_code=None,
        battery=False,
        typical_uses=_uses("road_base", "cement_admixture", "brick_block", "smelting"),
        parameters=(
            FREE_CAO,
            _pct("metallic_fe_pct", "金属铁含量", "metallic iron content"),
            MOISTURE,
            PARTICLE_SIZE,
            SPECIFIC_SURFACE,
            ACTIVITY_28D,
            *RADIOACTIVITY,
        ),
        grades=GB6566_GRADES,
        note="steel slag powder GB/T 20491-2017 grade limits are UNCONFIRMED and not seeded",
    ),
    MaterialSeed(
        code="furnace_slag",
        name_zh="炉渣",
        name_en="Furnace slag (boiler bottom ash)",
        category="ash",
        cn_code="SW03",
        cn_code_confirmed=False,
        cn_code_note=_SW_NOTE,
        eu_code="10 01 01",
        eu_code_note="bottom ash",
        hazardous=False,
        hazard_code=None,
        battery=False,
        typical_uses=_uses("brick_block", "road_base", "cement_admixture"),
        parameters=(MOISTURE, LOI, PARTICLE_SIZE, SIO2, *RADIOACTIVITY),
        grades=GB6566_GRADES,
    ),
    MaterialSeed(
        code="coal_gangue",
        name_zh="煤矸石",
        name_en="Coal gangue",
        category="mining",
        cn_code="SW04",
        cn_code_confirmed=False,
        cn_code_note=_SW_NOTE,
        eu_code="01 01 02",
        eu_code_note="a mapping, not a listing: the EU list has no coal gangue entry",
        hazardous=False,
        hazard_code=None,
        battery=False,
        typical_uses=_uses("brick_block", "road_base", "fuel", "cement_admixture", "mine_backfill"),
        parameters=(
            _p("calorific_value_mj_kg", "发热量", "calorific value", "MJ/kg", "0", "40"),
            SIO2,
            AL2O3,
            MOISTURE,
            PARTICLE_SIZE,
            *RADIOACTIVITY,
        ),
        grades=GB6566_GRADES,
    ),
    MaterialSeed(
        code="tailings",
        name_zh="尾矿",
        name_en="Tailings",
        category="mining",
        cn_code="SW05",
        cn_code_confirmed=False,
        cn_code_note=_SW_NOTE,
        eu_code="01 03 06",
        eu_code_note="01 04 12 for tailings from non-metallic minerals (e.g. phosphate ore)",
        hazardous=False,
        hazard_code=None,
        battery=False,
        typical_uses=_uses("mine_backfill", "brick_block", "road_base"),
        parameters=(MOISTURE, PARTICLE_SIZE, SIO2, P2O5, *RADIOACTIVITY),
        grades=GB6566_GRADES,
    ),
    MaterialSeed(
        code="construction_waste",
        name_zh="建筑垃圾",
        name_en="Construction and demolition waste",
        category="construction",
        cn_code=None,
        cn_code_confirmed=False,
        cn_code_note=(
            "not in the 2021 SW list; the 2024 catalogue puts construction waste in categories "
            "S70–S79 (9-character code not in DOMAIN.md)"
        ),
        eu_code="17 01 07",
        eu_code_note="also 17 01 01 concrete, 17 01 02 bricks, 17 09 04 mixed",
        hazardous=False,
        hazard_code=None,
        battery=False,
        typical_uses=_uses("road_base", "brick_block", "regeneration"),
        parameters=(IMPURITY, PARTICLE_SIZE, MOISTURE),
    ),
    MaterialSeed(
        code="scrap_steel",
        name_zh="废钢铁",
        name_en="Scrap steel",
        category="recyclable",
        cn_code="SW17",
        cn_code_confirmed=False,
        cn_code_note=_SW_NOTE,
        eu_code="19 12 02",
        eu_code_note=_NOT_DOMAIN,
        hazardous=False,
        hazard_code=None,
        battery=False,
        typical_uses=_uses("smelting", "regeneration"),
        parameters=(
            FE,
            IMPURITY,
            _p("thickness_mm", "厚度", "thickness", "mm", "0", "1000"),
        ),
    ),
    MaterialSeed(
        code="waste_plastics",
        name_zh="废塑料",
        name_en="Waste plastics",
        category="recyclable",
        cn_code="SW17",
        cn_code_confirmed=False,
        cn_code_note=_SW_NOTE,
        eu_code="19 12 04",
        eu_code_note=_NOT_DOMAIN,
        hazardous=False,
        hazard_code=None,
        battery=False,
        typical_uses=_uses("regeneration", "fuel"),
        parameters=(IMPURITY, MOISTURE),
    ),
    MaterialSeed(
        code="waste_tyres",
        name_zh="废轮胎",
        name_en="Waste tyres",
        category="recyclable",
        cn_code="SW17",
        cn_code_confirmed=False,
        cn_code_note=_SW_NOTE,
        eu_code="16 01 03",
        eu_code_note=_NOT_DOMAIN,
        hazardous=False,
        hazard_code=None,
        battery=False,
        typical_uses=_uses("regeneration", "fuel"),
        parameters=(_pct("steel_wire_pct", "钢丝含量", "steel wire content"), IMPURITY),
    ),
    MaterialSeed(
        code="waste_mineral_oil",
        name_zh="废矿物油",
        name_en="Waste mineral oil",
        category="hazardous_liquid",
        cn_code="HW08",
        cn_code_confirmed=True,
        cn_code_note="category only; the 8-digit code (900-xxx-08) is not in DOMAIN.md",
        eu_code=None,
        eu_code_note="EU code not given in DOMAIN.md",
        hazardous=True,
        hazard_code="HW08",
        battery=False,
        typical_uses=_uses("regeneration", "fuel"),
        parameters=(_pct("water_content_pct", "水分", "water content"), IMPURITY),
    ),
    MaterialSeed(
        code="battery_lfp",
        name_zh="退役磷酸铁锂动力电池",
        name_en="Retired LFP traction batteries",
        category="battery",
        cn_code="SW17",
        cn_code_confirmed=False,
        cn_code_note=_BATTERY_SW_NOTE,
        eu_code="16 06 05",
        eu_code_note="other batteries and accumulators",
        hazardous=False,
        hazard_code=None,
        battery=True,
        typical_uses=_uses("cascade_use", "battery_recycling"),
        parameters=(SOH,),
        note=(
            "recycling lots only to MIIT-listed recyclers; the cascade/recycling SOH cut-off "
            "(GB/T 34015.3) is UNCONFIRMED"
        ),
    ),
    MaterialSeed(
        code="battery_ncm",
        name_zh="退役三元锂动力电池",
        name_en="Retired NCM/NCA traction batteries",
        category="battery",
        cn_code="SW17",
        cn_code_confirmed=False,
        cn_code_note=_BATTERY_SW_NOTE,
        eu_code="16 06 05",
        eu_code_note="other batteries and accumulators",
        hazardous=False,
        hazard_code=None,
        battery=True,
        typical_uses=_uses("cascade_use", "battery_recycling"),
        parameters=(SOH,),
        note=(
            "recycling lots only to MIIT-listed recyclers; the cascade/recycling SOH cut-off "
            "(GB/T 34015.3) is UNCONFIRMED"
        ),
    ),
    MaterialSeed(
        code="battery_lead_acid",
        name_zh="废铅蓄电池",
        name_en="Waste lead-acid batteries",
        category="battery",
        cn_code="HW31 900-052-31",
        cn_code_confirmed=True,
        eu_code="16 06 01*",
        hazardous=True,
        hazard_code="HW31",
        battery=False,
        typical_uses=_uses("battery_recycling", "smelting"),
        parameters=(_pct("pb_content_pct", "铅含量", "lead content"),),
        note="hazardous waste: buyer needs an HW31 permit",
    ),
    MaterialSeed(
        code="red_mud",
        name_zh="赤泥",
        name_en="Red mud",
        category="residue",
        cn_code="SW09",
        cn_code_confirmed=False,
        cn_code_note=_SW_NOTE,
        eu_code="01 03 09",
        eu_code_note=_NOT_DOMAIN,
        hazardous=False,
        hazard_code=None,
        battery=False,
        typical_uses=_uses("brick_block", "road_base", "cement_admixture"),
        parameters=(
            MOISTURE,
            PH,
            _pct("fe2o3_pct", "三氧化二铁", "Fe2O3 content"),
            AL2O3,
            _pct("na2o_pct", "氧化钠", "Na2O content"),
            *RADIOACTIVITY,
        ),
        grades=GB6566_GRADES,
    ),
    MaterialSeed(
        code="phosphorus_slag",
        name_zh="黄磷渣",
        name_en="Phosphorus slag",
        category="slag",
        cn_code="SW01",
        cn_code_confirmed=False,
        cn_code_note=(
            "yellow-phosphorus furnace slag filed under SW01 smelting slag (an interpretation). "
            + _SW_NOTE
        ),
        eu_code="06 09 02",
        hazardous=False,
        hazard_code=None,
        battery=False,
        typical_uses=_uses("cement_admixture", "concrete_admixture", "brick_block"),
        parameters=(P2O5, CAO, SIO2, SPECIFIC_SURFACE, ACTIVITY_28D, MOISTURE, *RADIOACTIVITY),
        grades=GB6566_GRADES,
    ),
)

#: Materials by code, for lookups in the seed loader and tests.
MATERIALS_BY_CODE: dict[str, MaterialSeed] = {m.code: m for m in MATERIALS}
