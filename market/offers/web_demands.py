"""Demand requests: list near a place, details, and the post form (limits or a grade)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from litestar import Request, get
from litestar.datastructures import State
from litestar.params import FromPath
from litestar.response import Template
from sqlmodel.ext.asyncio.session import AsyncSession

from market.accounts.web_session import Member
from market.catalogue import service as catalogue
from market.catalogue.models import Material
from market.core.deps import AppSettings, Db
from market.offers import demands as svc
from market.offers.common import DEMANDS, readable
from market.offers.privacy import demand_views
from market.offers.schemas import DemandIn
from market.offers.web_offers import PostForm, detail_context, search_page
from market.web.format import localised
from market.web.forms import prefixed
from market.web.render import page


def requirements_body(form: Mapping[str, Any]) -> dict[str, Any]:
    """``requirements.<key>.min`` / ``.max`` inputs as the API's ``{key: {min, max}}``."""
    reqs: dict[str, dict[str, str]] = {}
    for name, value in prefixed(form, "requirements.").items():
        key, _, side = name.rpartition(".")
        if key and side in ("min", "max"):
            reqs.setdefault(key, {})[side] = value
    return {"requirements": reqs}


async def _grades(db: AsyncSession, material: Material) -> dict[str, Any]:
    return {"grades": [g for g, _ in await catalogue.grades(db, material.code)]}


POST_FORM = PostForm(
    name="demand",
    template="demand_new.html",
    path="/demands",
    body=DemandIn,
    fields=(
        "use",
        "grade",
        "max_haul_km",
        "max_price_cny_t",
        "needed_from",
        "needed_until",
    ),
    structured=requirements_body,
    create=svc.create_demand,
    extra=_grades,
    prefix="requirements.",
)


@get("/demands", name="web-demands")
async def demands_page(
    request: Request[Any, Any, Any], member: Member, db: Db, state: State
) -> Template:
    search = await search_page(request, member, db)
    rows, total = await search.rows(
        lambda q: svc.search_demands(db, member.user, replace(q, positions=state.positions))
    )
    grade_names: dict[tuple[str, str], str] = {}
    for code in sorted({r.material_code for r in rows if r.grade}):
        for grade, _limits in await catalogue.grades(db, code):
            grade_names[(code, grade.key)] = localised(grade)
    return search.render("demands.html", member, rows, total, grade_names=grade_names)


@get("/demands/{demand_id:int}", name="web-demand")
async def demand_page(
    demand_id: FromPath[int], member: Member, db: Db, settings: AppSettings, state: State
) -> Template:
    demand = await readable(db, DEMANDS, member.user, demand_id)
    (view,) = await demand_views(db, member.user, [demand_id])
    grade = (
        await catalogue.get_grade(db, demand.material_code, demand.grade_key)
        if demand.grade_key
        else None
    )
    return page(
        "demand.html",
        member,
        demand=view,
        grade=grade,
        **await detail_context(db, member, DEMANDS, demand, settings, state),
    )


routes = [demands_page, demand_page, *POST_FORM.routes()]
