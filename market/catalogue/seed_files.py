"""The schema of the catalogue's data files, and the checks run when they are loaded.

:mod:`market.catalogue.seed` turns the rows read here into its public shapes. Each file is a
TOML document of tables keyed by the entry's key (material code, grade key, ...), so a key
written twice is already refused by the TOML parser; every row is then validated on its own
(pydantic, unknown keys forbidden) so that an error names its entry, and :func:`check` does
the cross-file checks a row cannot do alone. All errors are :class:`CatalogueDataError`
with the file and the entry in the message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from importlib.resources.abc import Traversable
from typing import Annotated, TypeVar

from pydantic import BeforeValidator, Field

from market.core.datafiles import (
    DataFileError,
    StrictRow,
    first_duplicate,
    read_toml,
    validate_row,
)

_KEY = re.compile(r"[a-z0-9][a-z0-9_]*")


class CatalogueDataError(DataFileError):
    """A catalogue data file that cannot be loaded; the message names the file and entry."""


def _decimal_text(value: object) -> object:
    """TOML numbers (read as ``int`` or exact ``Decimal``) become canonical decimal text."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise ValueError(f"must be a number, got {value!r}")
    if isinstance(value, Decimal) and not value.is_finite():
        raise ValueError(f"must be a finite number, got {value}")
    return str(value)


Number = Annotated[str, BeforeValidator(_decimal_text)]
Text = Annotated[str, Field(min_length=1)]


class UseRow(StrictRow):
    name_zh: Text
    name_en: Text


class ParameterRow(StrictRow):
    name_zh: Text
    name_en: Text
    unit: Text
    valid_min: Number
    valid_max: Number


class LimitRow(StrictRow):
    parameter: Text
    min: Number | None = None
    max: Number | None = None
    source: Text
    confirmed: bool


class GradeRow(StrictRow):
    set: Text
    name: Text
    name_zh: Text
    standard: Text
    limits: Annotated[list[LimitRow], Field(min_length=1)]
    use: Text | None = None
    note: Text | None = None


class MaterialRow(StrictRow):
    name_zh: Text
    name_en: Text
    category: Text
    cn_code: Text | None = None
    cn_code_confirmed: bool
    cn_code_note: Text | None = None
    eu_code: Text | None = None
    eu_code_note: Text | None = None
    hazardous: bool
    hazard_code: Text | None = None
    battery: bool
    typical_uses: Annotated[list[Text], Field(min_length=1)]
    parameters: Annotated[list[Text], Field(min_length=1)]
    grade_sets: list[Text] = Field(default_factory=list)
    note: Text | None = None


RowT = TypeVar("RowT", bound=StrictRow)


def read_table(path: Traversable, what: str, model: type[RowT]) -> dict[str, RowT]:
    """Parse ``path`` and validate each top-level table as one ``model`` row, in file order."""
    try:
        doc = read_toml(path, exact_decimals=True)
    except DataFileError as exc:
        raise CatalogueDataError(str(exc)) from None
    if not doc:
        raise CatalogueDataError(f"{path}: no {what} entries")
    rows: dict[str, RowT] = {}
    for key, raw in doc.items():
        where = f"{path}: {what} {key!r}"
        if not _KEY.fullmatch(key):
            raise CatalogueDataError(f"{where}: key must be lower-case snake_case")
        try:
            rows[key] = validate_row(model, raw, where)
        except DataFileError as exc:
            raise CatalogueDataError(str(exc)) from None
    return rows


def _check_grade(
    grade: GradeRow, parameters: Mapping[str, ParameterRow], uses: Mapping[str, UseRow]
) -> str | None:
    """What is wrong with one grade on its own, or None."""
    if not _KEY.fullmatch(grade.set):
        return f"set {grade.set!r} must be lower-case snake_case"
    if grade.use is not None and grade.use not in uses:
        return f"unknown use {grade.use!r}"
    twice = first_duplicate(lim.parameter for lim in grade.limits)
    if twice is not None:
        return f"two limits on {twice!r}"
    for lim in grade.limits:
        param = parameters.get(lim.parameter)
        if param is None:
            return f"limit on unknown parameter {lim.parameter!r}"
        if lim.min is None and lim.max is None:
            return f"limit on {lim.parameter!r} has neither min nor max"
        if lim.min is not None and lim.max is not None and Decimal(lim.min) > Decimal(lim.max):
            return f"limit on {lim.parameter!r}: min {lim.min} > max {lim.max}"
        lo, hi = Decimal(param.valid_min), Decimal(param.valid_max)
        for bound in (lim.min, lim.max):
            if bound is not None and not lo <= Decimal(bound) <= hi:
                return (
                    f"limit on {lim.parameter!r}: {bound} outside the parameter's valid range "
                    f"{param.valid_min}..{param.valid_max}"
                )
    return None


def _check_material(
    material: MaterialRow,
    uses: Mapping[str, UseRow],
    parameters: Mapping[str, ParameterRow],
    sets: Mapping[str, list[tuple[str, GradeRow]]],
) -> str | None:
    """What is wrong with one material given the other files, or None."""
    for field, names, known in (
        ("typical_uses", material.typical_uses, uses),
        ("parameters", material.parameters, parameters),
        ("grade_sets", material.grade_sets, sets),
    ):
        twice = first_duplicate(names)
        if twice is not None:
            return f"{field}: {twice!r} listed twice"
        unknown = [n for n in names if n not in known]
        if unknown:
            return f"{field}: unknown {unknown[0]!r}"
    if material.hazardous != (material.hazard_code is not None):
        return "hazard_code must be given exactly when hazardous = true"
    own = set(material.parameters)
    for set_name in material.grade_sets:
        for key, grade in sets[set_name]:
            missing = [lim.parameter for lim in grade.limits if lim.parameter not in own]
            if missing:
                return (
                    f"grade {key!r} (set {set_name!r}) limits {missing[0]!r}, "
                    "which the material does not list in parameters"
                )
            if grade.use is not None and grade.use not in material.typical_uses:
                return f"grade {key!r} is meant for use {grade.use!r}, not in typical_uses"
    return None


def check(
    directory: Traversable,
    uses: Mapping[str, UseRow],
    parameters: Mapping[str, ParameterRow],
    grades: Mapping[str, GradeRow],
    materials: Mapping[str, MaterialRow],
) -> None:
    """The checks that need more than one row; raises on the first problem found."""
    for key, param in parameters.items():
        if Decimal(param.valid_min) >= Decimal(param.valid_max):
            raise CatalogueDataError(
                f"{directory / 'parameters.toml'}: parameter {key!r}: "
                f"valid_min {param.valid_min} must be below valid_max {param.valid_max}"
            )
    sets: dict[str, list[tuple[str, GradeRow]]] = {}
    for key, grade in grades.items():
        problem = _check_grade(grade, parameters, uses)
        if problem is not None:
            raise CatalogueDataError(f"{directory / 'grades.toml'}: grade {key!r}: {problem}")
        sets.setdefault(grade.set, []).append((key, grade))
    for code, material in materials.items():
        problem = _check_material(material, uses, parameters, sets)
        if problem is not None:
            raise CatalogueDataError(
                f"{directory / 'materials.toml'}: material {code!r}: {problem}"
            )
