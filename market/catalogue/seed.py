"""Initial material catalogue for the exchange, read from ``market/data/catalogue/*.toml``.

The service copies this into database tables (:mod:`market.catalogue.sync`), after which the
platform administrator owns the catalogue and may correct it without a release. That is why
the data is inert values rather than model classes: it must not depend on the database layer,
and a reviewer should be able to check every number against ``shared/DOMAIN.md`` in the data
files, which say the rules they follow (sources, confirmed flags, what was left out).

The files are checked when this module is imported, so a bad edit stops ``market db upgrade``
and the tests with a message naming the file and the entry, instead of seeding a catalogue
that matching would then trust: unknown keys, a limit on a parameter the material lacks,
min > max, a bound outside the parameter's physical range, a limit without a source, an
unknown use or grade set. Numbers are read as exact decimals and kept as decimal strings, so
that ``Decimal(limit.max)`` reproduces the standard's figure exactly (``Decimal(0.1)`` would
not).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Final

from market.catalogue.seed_files import (
    CatalogueDataError,
    GradeRow,
    MaterialRow,
    ParameterRow,
    UseRow,
    check,
    read_table,
)

__all__ = [
    "DATA_DIR",
    "MATERIALS",
    "MATERIALS_BY_CODE",
    "PARAMETERS",
    "USES",
    "Catalogue",
    "CatalogueDataError",
    "GradeSeed",
    "LimitSeed",
    "MaterialSeed",
    "ParameterSeed",
    "load_catalogue",
]

#: Where the catalogue's data files live inside the installed package.
DATA_DIR: Final[Traversable] = files("market") / "data" / "catalogue"

# --------------------------------------------------------------------------------------
# Shapes
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ParameterSeed:
    """A measurable property a listing may state and a demand or grade may constrain.

    ``valid_min``/``valid_max`` are the *physically* possible range (used to reject typos
    such as a moisture of 150 %), not a quality requirement. Ratio-type percentages (water
    demand ratio, activity index, flow ratio) can exceed 100 and have a wider range.
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


@dataclass(frozen=True, slots=True)
class Catalogue:
    """The whole seed catalogue as loaded from one data directory."""

    uses: dict[str, tuple[str, str]]
    parameters: dict[str, ParameterSeed]
    materials: tuple[MaterialSeed, ...]


# --------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------


def _grade(key: str, row: GradeRow) -> GradeSeed:
    limits = tuple(
        LimitSeed(lim.parameter, lim.min, lim.max, lim.source, lim.confirmed) for lim in row.limits
    )
    return GradeSeed(key, row.name, row.name_zh, row.standard, limits, row.use, row.note)


def _material(
    code: str,
    row: MaterialRow,
    uses: dict[str, tuple[str, str]],
    parameters: dict[str, ParameterSeed],
    grades: dict[str, tuple[GradeSeed, ...]],
) -> MaterialSeed:
    return MaterialSeed(
        code=code,
        name_zh=row.name_zh,
        name_en=row.name_en,
        category=row.category,
        cn_code=row.cn_code,
        cn_code_confirmed=row.cn_code_confirmed,
        eu_code=row.eu_code,
        hazardous=row.hazardous,
        hazard_code=row.hazard_code,
        battery=row.battery,
        typical_uses=tuple((k, *uses[k]) for k in row.typical_uses),
        parameters=tuple(parameters[k] for k in row.parameters),
        grades=tuple(g for s in row.grade_sets for g in grades[s]),
        cn_code_note=row.cn_code_note,
        eu_code_note=row.eu_code_note,
        note=row.note,
    )


def load_catalogue(directory: Traversable = DATA_DIR) -> Catalogue:
    """Read and check ``uses``, ``parameters``, ``grades`` and ``materials`` ``.toml``.

    Raises :class:`CatalogueDataError` naming the file and the entry on the first problem.
    """
    use_rows = read_table(directory / "uses.toml", "use", UseRow)
    parameter_rows = read_table(directory / "parameters.toml", "parameter", ParameterRow)
    grade_rows = read_table(directory / "grades.toml", "grade", GradeRow)
    material_rows = read_table(directory / "materials.toml", "material", MaterialRow)
    check(directory, use_rows, parameter_rows, grade_rows, material_rows)

    uses = {k: (u.name_zh, u.name_en) for k, u in use_rows.items()}
    parameters = {
        k: ParameterSeed(k, p.name_zh, p.name_en, p.unit, p.valid_min, p.valid_max)
        for k, p in parameter_rows.items()
    }
    grades: dict[str, tuple[GradeSeed, ...]] = {}
    for key, row in grade_rows.items():
        grades[row.set] = (*grades.get(row.set, ()), _grade(key, row))
    materials = tuple(
        _material(code, row, uses, parameters, grades) for code, row in material_rows.items()
    )
    return Catalogue(uses, parameters, materials)


_CATALOGUE: Final = load_catalogue()

#: Use key -> (name_zh, name_en). Demands pick a use; matching and CO2 accounting key on it.
USES: Final[dict[str, tuple[str, str]]] = _CATALOGUE.uses

#: Parameter key -> definition; a material's parameters are drawn from this table.
PARAMETERS: Final[dict[str, ParameterSeed]] = _CATALOGUE.parameters

#: The materials in catalogue order.
MATERIALS: Final[tuple[MaterialSeed, ...]] = _CATALOGUE.materials

#: Materials by code, for lookups in the seed loader and tests.
MATERIALS_BY_CODE: Final[dict[str, MaterialSeed]] = {m.code: m for m in MATERIALS}
