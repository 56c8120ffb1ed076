"""The material catalogue: browse and search (anyone logged in), correct (platform admin)."""

from __future__ import annotations

from litestar import get, patch, put
from litestar.params import FromPath, FromQuery, JSONBody

from market.accounts.deps import CurrentUser
from market.accounts.guards import platform_admin
from market.catalogue import admin as catalogue_admin
from market.catalogue import service as catalogue
from market.catalogue.models import GradeLimit, Material, MaterialParameter
from market.catalogue.schemas import (
    GradeLimitOut,
    GradeOut,
    LimitIn,
    LimitOut,
    MaterialOut,
    MaterialPatch,
    MaterialSummaryOut,
    ParameterOut,
)
from market.core.deps import Db
from market.core.openapi import problems
from market.core.schemas import Page


def _compact(code: str | None) -> str:
    return (code or "").replace(" ", "").replace("*", "").lower()


def _matches(m: Material, q: str) -> bool:
    """A name or code contains ``q``; codes also match with spaces and asterisks dropped."""
    needle = q.strip().lower()
    compact = _compact(q)
    return (
        needle in m.code.lower()
        or needle in m.name_zh.lower()
        or needle in m.name_en.lower()
        or bool(compact and (compact in _compact(m.cn_code) or compact in _compact(m.eu_code)))
    )


def parameter_out(p: MaterialParameter) -> ParameterOut:
    return ParameterOut.model_validate(
        {
            "key": p.key,
            "name_zh": p.name_zh,
            "name_en": p.name_en,
            "unit": p.unit,
            "valid_min": catalogue.fmt(p.valid_min) or None,
            "valid_max": catalogue.fmt(p.valid_max) or None,
        }
    )


def limit_fields(lim: GradeLimit) -> dict[str, object]:
    return {
        "parameter": lim.parameter_key,
        "min": catalogue.fmt(lim.min) or None,
        "max": catalogue.fmt(lim.max) or None,
        "source": lim.source,
        "confirmed": lim.confirmed,
    }


@get(
    "/materials",
    tags=["catalogue"],
    summary="Materials; q searches names and the SW/HW ↔ EU code crosswalk",
)
async def list_materials(
    user: CurrentUser, db: Db, q: FromQuery[str | None] = None
) -> Page[MaterialSummaryOut]:
    materials = await catalogue.list_materials(db)
    if q:
        materials = [m for m in materials if _matches(m, q)]
    items = [MaterialSummaryOut.model_validate(m) for m in materials]
    return Page[MaterialSummaryOut](items=items, total=len(items), page=1, page_size=len(items))


@get(
    "/materials/{code:str}",
    tags=["catalogue"],
    summary="A material with its parameters and graded presets",
)
async def get_material(code: FromPath[str], user: CurrentUser, db: Db) -> MaterialOut:
    m = await catalogue.get_material(db, code)
    params = await catalogue.parameters(db, code)
    grades = [
        GradeOut(
            key=g.key,
            name=g.name,
            name_zh=g.name_zh,
            standard=g.standard,
            confirmed=all(lim.confirmed for lim in lims),
            limits=[LimitOut.model_validate(limit_fields(lim)) for lim in lims],
        )
        for g, lims in await catalogue.grades(db, code)
    ]
    return MaterialOut.model_validate(
        MaterialSummaryOut.model_validate(m).model_dump()
        | {"parameters": [parameter_out(p) for p in params.values()], "grades": grades}
    )


@patch(
    "/materials/{code:str}",
    tags=["catalogue"],
    summary="Correct a material (platform admin)",
    guards=[platform_admin],
    responses=problems(403),
)
async def update_material(
    code: FromPath[str], data: JSONBody[MaterialPatch], user: CurrentUser, db: Db
) -> MaterialSummaryOut:
    m = await catalogue_admin.update_material(db, user, code, data)
    return MaterialSummaryOut.model_validate(m)


@put(
    "/materials/{code:str}/grades/{grade:str}/limits/{parameter:str}",
    tags=["catalogue"],
    summary="Set one limit of a grade, with its source and confirmed flag (platform admin)",
    guards=[platform_admin],
    responses=problems(403),
)
async def set_limit(
    code: FromPath[str],
    grade: FromPath[str],
    parameter: FromPath[str],
    data: JSONBody[LimitIn],
    user: CurrentUser,
    db: Db,
) -> GradeLimitOut:
    lim = await catalogue_admin.set_limit(
        db, user, code, grade, parameter, catalogue_admin.LimitInput(**data.model_dump())
    )
    return GradeLimitOut.model_validate({"material": code, "grade": grade} | limit_fields(lim))


routes = [list_materials, get_material, update_material, set_limit]
