"""Demand requests: list near a place, details, and the post form (limits or a grade)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from pydantic import ValidationError

from market.accounts.web_session import Member, rollback
from market.catalogue import service as catalogue
from market.core.deps import AppSettings, Db
from market.core.errors import Problem
from market.offers import demands as svc
from market.offers import web_lookups as lookups
from market.offers.models import Demand
from market.offers.schemas import DemandIn, bounds
from market.offers.web_matches import demand_match_panel
from market.offers.web_search import CRS_CHOICES, parse_search
from market.web.forms import FormErrors, blank_to_none, prefixed, problem_errors, pydantic_errors
from market.web.render import page

PAGE_SIZE = 50


@get("/demands", name="web-demands")
async def demands_page(request: Request[Any, Any, Any], member: Member, db: Db) -> Template:
    sites = await lookups.my_sites(db, member)
    seats = lookups.district_seats()
    form = parse_search(dict(request.query_params), sites=sites, seats=seats)
    materials = await lookups.materials(db)
    material = form.values.get("material") or None
    if material is not None and material not in materials:
        form.errors.add("material", "目录中没有此物料 · unknown material")
    rows: list[dict[str, Any]] = []
    total = 0
    if not form.errors:
        rows, total = await svc.search_demands(
            db,
            member.user,
            svc.DemandQuery(material, form.geo, form.min_quantity_t, False, form.page, PAGE_SIZE),
        )
    return page(
        "demands.html",
        member,
        status=422 if form.errors else 200,
        form=form,
        errors=form.errors,
        rows=rows,
        total=total,
        pages=max(1, -(-total // PAGE_SIZE)),
        materials=materials,
        sites=sites,
        seats=seats,
        crs_choices=CRS_CHOICES,
    )


@get("/demands/{demand_id:int}", name="web-demand")
async def demand_page(
    demand_id: FromPath[int], member: Member, db: Db, settings: AppSettings, state: State
) -> Template:
    demand = await svc.readable_demand(db, member.user, demand_id)
    (view,) = await svc.demand_views(db, [demand_id])
    grade = (
        await catalogue.get_grade(db, demand.material_code, demand.grade_key)
        if demand.grade_key
        else None
    )
    return page(
        "demand.html",
        member,
        demand=view,
        material=await catalogue.get_material(db, demand.material_code),
        params=await lookups.ordered_parameters(db, demand.material_code),
        grade=grade,
        mine=demand.organization_id in member.org_ids,
        panel=await demand_match_panel(db, member, demand, settings, state),
    )


async def _form_page(
    db: Db,
    member: Member,
    material_code: str | None,
    values: dict[str, str],
    errors: FormErrors,
    status: int = 200,
) -> Template:
    materials = await lookups.materials(db)
    material = materials.get(material_code or "")
    if material_code and material is None:
        errors.add("material_code", "目录中没有此物料 · unknown material")
    grades = [g for g, _ in await catalogue.grades(db, material.code)] if material else []
    return page(
        "demand_new.html",
        member,
        status=status,
        materials=materials,
        material=material,
        params=list((await lookups.ordered_parameters(db, material.code)).values())
        if material
        else [],
        grades=grades,
        sites=await lookups.my_sites(db, member),
        values=values,
        errors=errors,
    )


@get("/demands/new", name="web-demand-new")
async def new_demand_form(
    member: Member,
    db: Db,
    material: FromQuery[str | None] = None,
    site_id: FromQuery[str | None] = None,
) -> Template:
    return await _form_page(
        db, member, material, {"site_id": site_id or "", "status": "open"}, FormErrors()
    )


DEMAND_FIELDS = (
    "site_id",
    "material_code",
    "quantity_t",
    "cadence",
    "use",
    "grade",
    "max_haul_km",
    "max_price_cny_t",
    "needed_from",
    "needed_until",
    "status",
    "title",
)


def requirements_body(form: Any) -> dict[str, dict[str, str]]:
    """``requirements.<key>.min`` / ``.max`` inputs as the API's ``{key: {min, max}}``."""
    reqs: dict[str, dict[str, str]] = {}
    for name, value in prefixed(form, "requirements.").items():
        key, _, side = name.rpartition(".")
        if key and side in ("min", "max"):
            reqs.setdefault(key, {})[side] = value
    return reqs


@post("/demands/new", name="web-demand-create")
async def create_demand(request: Request[Any, Any, Any], member: Member, db: Db) -> Response[Any]:
    form = await request.form()
    values = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    body: dict[str, Any] = blank_to_none(form, DEMAND_FIELDS)
    body["requirements"] = requirements_body(form)
    try:
        data = DemandIn.model_validate(body)
        demand: Demand = await svc.create_demand(
            db,
            member.user,
            site_id=data.site_id,
            material_code=data.material_code,
            quantity_t=data.quantity_t,
            cadence=data.cadence,
            requirements=bounds(data.requirements),
            grade=data.grade,
            max_haul_km=data.max_haul_km,
            max_price_cny_t=data.max_price_cny_t,
            needed_from=data.needed_from,
            needed_until=data.needed_until,
            status=data.status,
            title=data.title,
            use=data.use,
        )
    except ValidationError as exc:
        return await _form_page(
            db, member, values.get("material_code"), values, pydantic_errors(exc), 422
        )
    except Problem as exc:
        member = await rollback(db, member)
        status = exc.status if exc.status in (403, 409) else 422
        return await _form_page(
            db, member, values.get("material_code"), values, problem_errors(exc), status
        )
    return Redirect(f"/demands/{demand.id}", status_code=303)


routes = [demands_page, demand_page, new_demand_form, create_demand]
