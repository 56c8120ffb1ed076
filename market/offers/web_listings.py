"""Supply listings: search near a place (table + map), details with grades and matches, post."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from pydantic import ValidationError

from geodata.svgmap import MapPoint, draw_map
from market.accounts.web_session import Member, rollback
from market.catalogue import service as catalogue
from market.core.deps import AppSettings, Db
from market.core.errors import Problem
from market.geo.regions import current_locator
from market.offers import listings as svc
from market.offers import web_lookups as lookups
from market.offers.models import Listing
from market.offers.schemas import ListingIn
from market.offers.web_grades import grade_summaries
from market.offers.web_matches import listing_match_panel
from market.offers.web_search import CRS_CHOICES, parse_search
from market.web.forms import FormErrors, blank_to_none, prefixed, problem_errors, pydantic_errors
from market.web.render import page

PAGE_SIZE = 50
MAP_WIDTH, MAP_HEIGHT = 720, 540
SPEC_SUMMARY_PARAMS = 3


def results_map(
    regions: Any, rows: list[dict[str, Any]], centre: tuple[float, float] | None
) -> str:
    """Districts and parks with a dot per result (already rounded for anonymous producers)."""
    points = [
        MapPoint(
            float(r["site"]["lon"]),
            float(r["site"]["lat"]),
            f"#{r['id']} {r['title'] or r['material_code']}",
            "supply",
        )
        for r in rows
    ]
    if centre is not None:
        points.append(MapPoint(centre[0], centre[1], "搜索中心 search centre", "seat"))
    return draw_map(
        regions, points=points, width=MAP_WIDTH, height=MAP_HEIGHT, title="搜索结果分布 · Results"
    )


@get("/listings", name="web-listings")
async def listings_page(
    request: Request[Any, Any, Any], member: Member, db: Db, state: State
) -> Template:
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
        try:
            rows, total = await svc.search_listings(
                db,
                member.user,
                svc.ListingQuery(
                    material=material,
                    geo=form.geo,
                    min_quantity_t=form.min_quantity_t,
                    mine=False,
                    page=form.page,
                    page_size=PAGE_SIZE,
                ),
            )
        except Problem as exc:
            form.errors.update(problem_errors(exc))
    params = await lookups.parameters_by_material(db, {r["material_code"] for r in rows})
    locator = await current_locator(db, state)
    centre = (form.geo.lon, form.geo.lat) if form.geo else None
    status = 422 if form.errors else 200
    return page(
        "listings.html",
        member,
        status=status,
        form=form,
        errors=form.errors,
        rows=rows,
        total=total,
        pages=max(1, -(-total // PAGE_SIZE)),
        params=params,
        materials=materials,
        sites=sites,
        seats=seats,
        crs_choices=CRS_CHOICES,
        map_svg=results_map(locator.regions, rows, centre),
        spec_summary_params=SPEC_SUMMARY_PARAMS,
    )


@get("/listings/{listing_id:int}", name="web-listing")
async def listing_page(
    listing_id: FromPath[int], member: Member, db: Db, settings: AppSettings, state: State
) -> Template:
    listing = await svc.readable_listing(db, member.user, listing_id)
    (view,) = await svc.listing_views(db, member.user, [listing_id])
    material = await catalogue.get_material(db, listing.material_code)
    params = await lookups.ordered_parameters(db, listing.material_code)
    values = svc.spec_from_json(listing.spec)
    return page(
        "listing.html",
        member,
        listing=view,
        material=material,
        params=params,
        families=await grade_summaries(db, listing.material_code, values),
        panel=await listing_match_panel(db, member, listing, settings, state),
        mine=listing.organization_id in member.org_ids,
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
    return page(
        "listing_new.html",
        member,
        status=status,
        materials=materials,
        material=material,
        params=list((await lookups.ordered_parameters(db, material.code)).values())
        if material
        else [],
        sites=await lookups.my_sites(db, member),
        values=values,
        errors=errors,
    )


@get("/listings/new", name="web-listing-new")
async def new_listing_form(
    member: Member,
    db: Db,
    material: FromQuery[str | None] = None,
    site_id: FromQuery[str | None] = None,
) -> Template:
    return await _form_page(
        db, member, material, {"site_id": site_id or "", "status": "open"}, FormErrors()
    )


LISTING_FIELDS = (
    "site_id",
    "material_code",
    "quantity_t",
    "cadence",
    "price_cny_t",
    "available_from",
    "available_until",
    "status",
    "title",
)


@post("/listings/new", name="web-listing-create")
async def create_listing(request: Request[Any, Any, Any], member: Member, db: Db) -> Response[Any]:
    """Validate like the API (same pydantic model), create with the service, or show errors."""
    form = await request.form()
    values = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    body: dict[str, Any] = blank_to_none(form, LISTING_FIELDS)
    body["spec"] = prefixed(form, "spec.")
    try:
        data = ListingIn.model_validate(body)
        listing: Listing = await svc.create_listing(
            db,
            member.user,
            site_id=data.site_id,
            material_code=data.material_code,
            quantity_t=data.quantity_t,
            cadence=data.cadence,
            spec=data.spec,
            price_cny_t=data.price_cny_t,
            available_from=data.available_from,
            available_until=data.available_until,
            status=data.status,
            title=data.title,
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
    return Redirect(f"/listings/{listing.id}", status_code=303)


routes = [listings_page, listing_page, new_listing_form, create_listing]
