"""Reading the material catalogue and checking specification values against it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from market.catalogue.models import Grade, GradeLimit, Material, MaterialParameter
from market.core.errors import Invalid, NotFound
from matching.specs import Grade as MGrade
from matching.specs import Limit
from matching.specs import Parameter as MParameter


async def list_materials(session: AsyncSession) -> list[Material]:
    return list((await session.exec(select(Material).order_by(Material.code))).all())


async def get_material(session: AsyncSession, code: str) -> Material:
    material = await session.get(Material, code)
    if material is None:
        raise NotFound(f"material {code!r} is not in the catalogue")
    return material


async def material_for_input(
    session: AsyncSession, code: str, field: str = "material_code"
) -> Material:
    """The material a request names, or a 422 on that field listing nothing secret."""
    material = await session.get(Material, code)
    if material is None:
        raise Invalid(field, f"unknown material {code!r}; see GET /api/v1/materials")
    return material


async def parameters(session: AsyncSession, material_code: str) -> dict[str, MaterialParameter]:
    stmt = select(MaterialParameter).where(MaterialParameter.material_code == material_code)
    return {p.key: p for p in (await session.exec(stmt)).all()}


async def grades(session: AsyncSession, material_code: str) -> list[tuple[Grade, list[GradeLimit]]]:
    """A material's graded presets with their limits, in key order."""
    gs = (
        await session.exec(
            select(Grade)
            .where(Grade.material_code == material_code)
            .order_by(col(Grade.position), col(Grade.key))
        )
    ).all()
    if not gs:
        return []
    limits = (
        await session.exec(select(GradeLimit).where(GradeLimit.grade_id.in_([g.id for g in gs])))  # type: ignore[attr-defined]
    ).all()
    by_grade: dict[int, list[GradeLimit]] = {}
    for lim in limits:
        by_grade.setdefault(lim.grade_id, []).append(lim)
    return [(g, sorted(by_grade.get(g.id or 0, []), key=lambda x: x.parameter_key)) for g in gs]


async def get_grade(session: AsyncSession, material_code: str, key: str) -> Grade | None:
    stmt = select(Grade).where(Grade.material_code == material_code, Grade.key == key)
    return (await session.exec(stmt)).first()


async def grade_for_input(session: AsyncSession, key: str, material_code: str) -> Grade:
    grade = await get_grade(session, material_code, key)
    if grade is None:
        raise Invalid("grade", f"unknown grade {key!r} for material {material_code!r}")
    return grade


def check_values(
    values: Mapping[str, Decimal], params: Mapping[str, MaterialParameter], field: str
) -> None:
    """422 naming the first parameter that is unknown or outside its physically valid range."""
    for key, value in values.items():
        param = params.get(key)
        if param is None:
            known = ", ".join(sorted(params)) or "none"
            raise Invalid(f"{field}.{key}", f"unknown parameter for this material; known: {known}")
        if not value.is_finite():
            raise Invalid(f"{field}.{key}", "must be a finite number")
        if param.valid_min is not None and value < param.valid_min:
            raise Invalid(
                f"{field}.{key}",
                f"{value} is below the valid range {fmt(param.valid_min)}–{fmt(param.valid_max)} {param.unit}".rstrip(),
            )
        if param.valid_max is not None and value > param.valid_max:
            raise Invalid(
                f"{field}.{key}",
                f"{value} is above the valid range {fmt(param.valid_min)}–{fmt(param.valid_max)} {param.unit}".rstrip(),
            )


def fmt(value: Decimal | None) -> str:
    """A Decimal without trailing zeros or exponent ("12", "0.06"); "" for None."""
    if value is None:
        return ""
    text = format(value.normalize(), "f")
    return text


# --- the catalogue as matching's plain data ---------------------------------------------

_GRADE_STEP = re.compile(r"_(?:i{1,3}|s\d+|[abc])(?=_|$)")


def grade_family(key: str) -> str:
    """Grades of one family differ only in their step (F-I/F-II/F-III, S105/S95/S75)."""
    return _GRADE_STEP.sub("", key)


def short_label(name: str, standard: str) -> str:
    """ "GB/T 1596 F-II concrete" → "F-II concrete": the grade without its standard."""
    for prefix in (standard, standard.split("-")[0]):
        if prefix and name.startswith(prefix):
            return name[len(prefix) :].strip() or name
    parts = name.split(" ", 2)
    return parts[2] if len(parts) == 3 and parts[0].startswith("GB") else name


def to_limit(lim: GradeLimit) -> Limit:
    return Limit(min=lim.min, max=lim.max, source=lim.source or None, confirmed=lim.confirmed)


def to_grade(grade: Grade, limits: list[GradeLimit]) -> MGrade:
    return MGrade(
        key=grade.key,
        name=grade.name,
        standard=grade.standard,
        limits={lim.parameter_key: to_limit(lim) for lim in limits},
        name_zh=grade.name_zh or None,
        short=short_label(grade.name, grade.standard),
    )


async def matching_parameters(session: AsyncSession, material_code: str) -> dict[str, MParameter]:
    return {
        k: MParameter(
            key=p.key,
            name_zh=p.name_zh,
            name_en=p.name_en,
            unit=p.unit,
            valid_min=p.valid_min,
            valid_max=p.valid_max,
        )
        for k, p in (await parameters(session, material_code)).items()
    }


async def matching_grades(session: AsyncSession, material_code: str) -> list[MGrade]:
    """The material's grades, strictest first within each family."""
    return [to_grade(g, lims) for g, lims in await grades(session, material_code)]
