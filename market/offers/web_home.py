"""The landing page and "my" page (my organisations, sites, listings and demands)."""

from __future__ import annotations

from litestar import get
from litestar.response import Template

from market.accounts.web_session import Member, OptionalViewer
from market.core.deps import Db
from market.offers import web_lookups as lookups
from market.offers.demands import search_demands
from market.offers.listings import search_listings
from market.offers.search import OfferQuery
from market.web.render import page

MY_PAGE_SIZE = 100


@get("/", name="web-home")
async def home(viewer: OptionalViewer, db: Db) -> Template:
    """What the exchange is, for a first-time visitor, and a quick search."""
    return page(
        "home.html",
        viewer,
        materials=list((await lookups.materials(db)).values()),
        seats=lookups.district_seats(),
    )


@get("/my", name="web-my")
async def my_page(member: Member, db: Db) -> Template:
    """Everything of mine in one place: organisations, sites, listings and demands."""
    sites = await lookups.my_sites(db, member)
    mine = OfferQuery(None, None, None, True, 1, MY_PAGE_SIZE)
    listings, listings_total = await search_listings(db, member.user, mine)
    demands, demands_total = await search_demands(db, member.user, mine)
    return page(
        "my.html",
        member,
        sites=sites,
        listings=listings,
        listings_total=listings_total,
        demands=demands,
        demands_total=demands_total,
        materials=await lookups.materials(db),
    )


routes = [home, my_page]
