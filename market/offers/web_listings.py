"""Supply listings: search near a place (table + map), details with grades and matches, post."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from litestar import Request, get
from litestar.datastructures import State
from litestar.params import FromPath
from litestar.response import Template
from sqlmodel.ext.asyncio.session import AsyncSession

from geodata.svgmap import MapPoint, draw_map
from market.accounts.web_session import Member
from market.core.deps import AppSettings, Db
from market.core.settings import Settings
from market.geo.regions import current_locator
from market.offers import listings as svc
from market.offers import web_lookups as lookups
from market.offers.common import LISTINGS
from market.offers.privacy import listing_views
from market.offers.schemas import ListingIn, ListingOut
from market.offers.web_grades import grade_summaries
from market.offers.web_offers import PostForm, detail_context, search_page
from market.web import panels
from market.web.forms import prefixed
from market.web.i18n import current_locale, gettext
from market.web.render import page

MAP_WIDTH, MAP_HEIGHT = 720, 540
SPEC_SUMMARY_PARAMS = 3


def results_map(regions: Any, rows: list[ListingOut], centre: tuple[float, float] | None) -> str:
    """Districts and parks with a dot per result (already rounded for anonymous producers)."""
    points = [
        MapPoint(r.site.lon, r.site.lat, f"#{r.id} {r.title or r.material_code}", "supply")
        for r in rows
    ]
    if centre is not None:
        points.append(MapPoint(centre[0], centre[1], gettext("search centre"), "seat"))
    return draw_map(
        in_page_language(regions),
        points=points,
        width=MAP_WIDTH,
        height=MAP_HEIGHT,
        title=gettext("Results map"),
    )


def in_page_language(regions: Any) -> list[Any]:
    """The regions named in the page's language only (the map labels and titles use both)."""
    if current_locale() == "zh":
        return [replace(r, name_en="") for r in regions]
    return [replace(r, name_zh=r.name_en, name_en="") for r in regions]


def _spec_inputs(form: Mapping[str, Any]) -> dict[str, Any]:
    return {"spec": prefixed(form, "spec.")}


POST_FORM = PostForm(
    name="listing",
    template="listing_new.html",
    path="/listings",
    body=ListingIn,
    fields=("price_cny_t", "available_from", "available_until"),
    structured=_spec_inputs,
    create=svc.create_listing,
)


@get("/listings", name="web-listings")
async def listings_page(
    request: Request[Any, Any, Any], member: Member, db: Db, state: State, settings: AppSettings
) -> Template:
    search = await search_page(request, member, db)
    rate = None
    if search.form.values.get("sort") == "delivered":
        if search.form.geo is None:
            search.form.errors.add("sort", gettext("needs a place to deliver to"))
        rate = svc.delivered_per_km(settings)
    rows, total = await search.rows(
        lambda q: svc.search_listings(
            db, member.user, replace(q, delivered_per_km=rate, positions=state.positions)
        )
    )
    locator = await current_locator(db, state)
    geo = search.form.geo
    return search.render(
        "listings.html",
        member,
        rows,
        total,
        params=await lookups.parameters_by_material(db, {r.material_code for r in rows}),
        map_svg=results_map(locator.regions, rows, (geo.lon, geo.lat) if geo else None),
        spec_summary_params=SPEC_SUMMARY_PARAMS,
    )


@get("/listings/{listing_id:int}", name="web-listing")
async def listing_page(
    listing_id: FromPath[int], member: Member, db: Db, settings: AppSettings, state: State
) -> Template:
    return await render_listing(db, member, listing_id, settings, state)


async def render_listing(
    db: AsyncSession,
    member: Member,
    listing_id: int,
    settings: Settings,
    state: State,
    *,
    status: int = 200,
    posted: Any = None,
) -> Template:
    """The listing page; ``posted`` (a failed form of a panel) goes to the panels, which
    show it again with its errors (see :mod:`market.web.panels`)."""
    listing = await svc.readable_listing(db, member.user, listing_id)
    (view,) = await listing_views(db, member.user, [listing_id])
    values = svc.spec_from_json(listing.spec)
    extra = await panels.context(
        "listing",
        db=db,
        member=member,
        listing=listing,
        view=view,
        settings=settings,
        posted=posted,
    )
    return page(
        "listing.html",
        member,
        status=status,
        listing=view,
        families=await grade_summaries(db, listing.material_code, values),
        **await detail_context(db, member, LISTINGS, listing, settings, state),
        **extra,
    )


routes = [listings_page, listing_page, *POST_FORM.routes()]
