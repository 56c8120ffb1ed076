"""CO2 factors for exchange receipts, as data with their sources (DOMAIN.md §4).

A received tonne avoids the emissions of the primary material it replaces, which depends on
the receiver's declared use, not on the waste: fly ash replacing clinker avoids calcination
CO2, phosphogypsum replacing natural gypsum only avoids quarrying and haulage. Haulage on the
exchange costs emissions, so the net figure is ``tonnes × factor − t·km × road factor``.

Values DOMAIN.md marks **UNCONFIRMED**, or that it does not give at all, carry
``confirmed=False`` and the API shows that flag beside every figure they feed; a use without a
factor (``t_co2_per_t is None``) counts as zero avoided and is reported as "no factor", never
guessed. Settings hold these so an operator can change them without a release.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Co2Factor:
    """Tonnes of CO2 avoided per tonne received for a declared use; ``None`` = no factor."""

    use: str
    t_co2_per_t: Decimal | None
    source: str
    confirmed: bool


DEFAULT_CO2_FACTORS: tuple[Co2Factor, ...] = (
    Co2Factor(
        "clinker_substitute",
        Decimal("0.52"),
        "IPCC 2006 Vol. 3 ch. 2: clinker process CO2 0.52 t/t (0.51 × 1.02 for kiln dust); "
        "fuel CO2 not included (fuel share UNCONFIRMED)",
        False,
    ),
    Co2Factor(
        "cement_admixture",
        Decimal("0.52"),
        "DOMAIN.md §4: a tonne of clinker replaced by fly ash or slag avoids about 0.52 t "
        "process CO2 (IPCC 2006); assumes one tonne of admixture displaces one tonne of "
        "clinker (UNCONFIRMED), fuel CO2 not included",
        False,
    ),
    Co2Factor(
        "concrete_admixture",
        Decimal("0.52"),
        "as cement_admixture: the admixture displaces cement, i.e. clinker, tonne for tonne "
        "(UNCONFIRMED); IPCC 2006 clinker process CO2 0.52 t/t, fuel CO2 not included",
        False,
    ),
    Co2Factor(
        "limestone_substitute",
        Decimal("0.43971"),
        "IPCC 2006 Vol. 3 ch. 2: CaCO3 → CO2, 0.43971 t/t (stoichiometric)",
        True,
    ),
    Co2Factor(
        "gypsum_retarder",
        Decimal("0"),
        "DOMAIN.md §4: replacing natural gypsum avoids mining and haulage, not calcination; "
        "no factor for those (UNCONFIRMED, counted as 0)",
        False,
    ),
    Co2Factor(
        "mine_backfill",
        Decimal("0"),
        "no process CO2 avoided known; UNCONFIRMED, counted as 0",
        False,
    ),
    Co2Factor(
        "battery_recycling",
        None,
        "PLACEHOLDER: no factor researched for material recovery from traction batteries "
        "(UNCONFIRMED); counted as 0 until an administrator sets one",
        False,
    ),
)

#: Road freight, kg CO2e per tonne-km.
DEFAULT_ROAD_KG_CO2E_PER_T_KM = Decimal("0.09")
ROAD_FACTOR_SOURCE = (
    "UNCONFIRMED default 0.09 kg CO2e/t·km (range 0.08–0.10, DOMAIN.md §4); GLEC tank-to-wheel "
    "full truckload 0.073, rigid 26–32 t 0.095; Chinese heavy trucks use 10–25 % more fuel "
    "and run up to 40 % of return trips empty"
)


def default_co2_factors() -> dict[str, Co2Factor]:
    return {f.use: f for f in DEFAULT_CO2_FACTORS}
