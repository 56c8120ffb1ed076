"""The material catalogue: browse and search (anyone logged in), correct (platform admin)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import get, patch, put
from litestar.params import FromPath, FromQuery, JSONBody
from pydantic import Field

from market.accounts.deps import CurrentUser
from market.catalogue import admin as catalogue_admin
from market.catalogue import service as catalogue
from market.catalogue.models import GradeLimit, Material, MaterialParameter
from market.core.deps import Db
from market.core.schemas import Body, SpecValue, Text


def _compact(code: str | None) -> str:
    return (code or "").replace(" ", "").replace("*", "").lower()


def material_summary(m: Material) -> dict[str, Any]:
    return {
        "code": m.code,
        "name_zh": m.name_zh,
        "name_en": m.name_en,
        "category": m.category,
        "cn_code": m.cn_code,
        "cn_code_confirmed": m.cn_code_confirmed,
        "eu_code": m.eu_code,
        "hazardous": m.hazardous,
        "hazard_code": m.hazard_code,
        "battery": m.battery,
        "typical_uses": m.typical_uses,
    }


def parameter_view(p: MaterialParameter) -> dict[str, Any]:
    return {
        "key": p.key,
        "name_zh": p.name_zh,
        "name_en": p.name_en,
        "unit": p.unit,
        "valid_min": catalogue.fmt(p.valid_min) or None,
        "valid_max": catalogue.fmt(p.valid_max) or None,
    }


def limit_view(lim: GradeLimit) -> dict[str, Any]:
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
) -> list[dict[str, Any]]:
    materials = await catalogue.list_materials(db)
    if q:
        needle = q.strip().lower()
        compact = _compact(q)
        materials = [
            m
            for m in materials
            if needle in m.code.lower()
            or needle in m.name_zh.lower()
            or needle in m.name_en.lower()
            or (compact and (compact in _compact(m.cn_code) or compact in _compact(m.eu_code)))
        ]
    return [material_summary(m) for m in materials]


@get(
    "/materials/{code:str}",
    tags=["catalogue"],
    summary="A material with its parameters and graded presets",
)
async def get_material(code: FromPath[str], user: CurrentUser, db: Db) -> dict[str, Any]:
    m = await catalogue.get_material(db, code)
    params = await catalogue.parameters(db, code)
    return material_summary(m) | {
        "parameters": [parameter_view(p) for p in params.values()],
        "grades": [
            {
                "key": g.key,
                "name": g.name,
                "name_zh": g.name_zh,
                "standard": g.standard,
                "confirmed": all(lim.confirmed for lim in lims),
                "limits": [limit_view(lim) for lim in lims],
            }
            for g, lims in await catalogue.grades(db, code)
        ],
    }


class MaterialPatch(Body):
    name_zh: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    name_en: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    cn_code: Annotated[str, Field(max_length=40)] | None = None
    cn_code_confirmed: bool | None = None
    eu_code: Annotated[str, Field(max_length=20)] | None = None
    hazardous: bool | None = None
    hazard_code: Annotated[str, Field(max_length=20)] | None = None


@patch("/materials/{code:str}", tags=["catalogue"], summary="Correct a material (platform admin)")
async def update_material(
    code: FromPath[str], data: JSONBody[MaterialPatch], user: CurrentUser, db: Db
) -> dict[str, Any]:
    m = await catalogue_admin.update_material(db, user, code, data.model_dump(exclude_unset=True))
    return material_summary(m)


class LimitIn(Body):
    min: SpecValue | None = None
    max: SpecValue | None = None
    source: Annotated[Text, Field(min_length=1)]
    confirmed: bool = False


@put(
    "/materials/{code:str}/grades/{grade:str}/limits/{parameter:str}",
    tags=["catalogue"],
    summary="Set one limit of a grade, with its source and confirmed flag (platform admin)",
)
async def set_limit(
    code: FromPath[str],
    grade: FromPath[str],
    parameter: FromPath[str],
    data: JSONBody[LimitIn],
    user: CurrentUser,
    db: Db,
) -> dict[str, Any]:
    lim = await catalogue_admin.set_limit(
        db,
        user,
        code,
        grade,
        parameter,
        min_value=data.min,
        max_value=data.max,
        source=data.source,
        confirmed=data.confirmed,
    )
    return {"material": code, "grade": grade} | limit_view(lim)


routes = [list_materials, get_material, update_material, set_limit]
