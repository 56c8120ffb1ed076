"""Trading on the listing page: bid, buy now, answer bids, put a lot to sealed tender.

The listing page belongs to offers; this module adds its trading panel through
:mod:`market.web.panels` (context ``trade``, template ``_listing_trade.html``) and handles the
panel's forms. Every form is validated by the API's body (``BidIn``, ``BuyIn``, ``AcceptIn``,
``CounterIn``, ``TenderIn``) and carried out by the API's service, in the page router's
transaction; a refusal rolls back and shows the page again with the messages in the page's
language (:mod:`market.trading.web_forms`).

The delivered cost shown to a buyer is the matcher's own sum (:func:`matching.explain.
delivered_cost`): the price plus road km × the freight rate, from the lot as the buyer sees
it (an anonymous producer's site rounded to ~1 km) to each of the buyer's own sites.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from litestar import Request, Response, post
from litestar.datastructures import State
from litestar.params import FromPath
from litestar.response import Redirect
from pydantic import BaseModel, ValidationError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from geodata.distance import geodesic_km
from market.accounts.models import Organization, Site
from market.accounts.web_session import Member, Viewer, rollback
from market.catalogue import service as catalogue
from market.core.deps import AppSettings, Db
from market.core.errors import Problem
from market.core.settings import Settings
from market.offers import web_lookups as lookups
from market.offers.matches import match_settings
from market.offers.models import Listing
from market.offers.schemas import ListingOut
from market.offers.web_listings import render_listing
from market.trading import answers, tenders
from market.trading import bids as bid_svc
from market.trading.answers import _responder
from market.trading.buying import BuyInput, buy
from market.trading.deals import list_deals, open_tender
from market.trading.models import Bid, Deal, Tender
from market.trading.schemas import AcceptIn, BidIn, BidOut, BuyIn, CounterIn, DealOut, TenderIn
from market.trading.views import bid_views, deal_views
from market.trading.web_forms import (
    Posted,
    body,
    china_local,
    form_values,
    helpers,
    local_input,
    problem_messages,
    pydantic_messages,
)
from market.web import panels
from market.web.i18n import current_locale
from matching.explain import delivered_cost

#: Rows of offers and deals a panel or list shows (newest first).
ROWS = 200


# --- what the panel shows ------------------------------------------------------------------


@dataclass(frozen=True)
class SiteCost:
    """One of the buyer's sites and what the lot costs delivered there."""

    site: Site
    org: Organization
    road_km: Decimal
    freight_cny_t: Decimal
    delivered_cny_t: Decimal


@dataclass(frozen=True)
class OfferRow:
    """A bid or counter-offer as the viewer acts on it."""

    offer: BidOut
    listing_title: str
    material_code: str
    i_buy: bool
    offered_by_me: bool
    #: The viewer's organisation is the one to answer it (the seller for a bid, the buyer
    #: for a counter-offer); a regulator reads offers but answers none.
    i_answer: bool
    buyer_name: str
    #: The deal an accepted offer made (the viewer is a party to it).
    deal_id: int | None = None

    @property
    def pending(self) -> bool:
        return self.offer.status == "pending"

    @property
    def can_answer(self) -> bool:
        return self.pending and self.i_answer and self.offer.tender_id is None

    @property
    def can_withdraw(self) -> bool:
        return self.pending and self.offered_by_me


@dataclass
class ListingTrade:
    """The ``trade`` context of the listing page."""

    role: str  # "owner", "buyer" or "reader" (a regulator, or a user with no organisation)
    listing: ListingOut
    #: A monthly listing, which a buyer may also take as a standing contract.
    monthly: bool
    tradable: bool
    tender: Tender | None
    #: The latest closed tender of the lot, for its outcome (awarded or unsold).
    last_tender: Tender | None
    sites: list[SiteCost]
    chosen_site_id: int | None
    offers: list[OfferRow]
    deals: list[DealOut]
    uses: list[tuple[str, str]]
    posted: Posted | None
    tender_closes_default: str
    #: Labels, money, times and material names for the template (``web_forms.helpers``).
    h: dict[str, Any] = field(default_factory=dict)

    def posted_for(self, name: str, key: int | None = None) -> Posted | None:
        return self.posted if self.posted is not None and self.posted.is_(name, key) else None

    def value(self, name: str, key: int | None, input_name: str, default: str = "") -> str:
        p = self.posted_for(name, key)
        return p.value(input_name, default) if p is not None else default


async def site_costs(
    db: AsyncSession, member: Viewer, view: ListingOut, settings: Settings
) -> list[SiteCost]:
    """Every own site with the lot's delivered cost there, cheapest first."""
    ms = match_settings(settings)
    out = []
    for site, org in await lookups.my_sites(db, member):
        road = geodesic_km(view.site.lon, view.site.lat, site.lon, site.lat) * ms.circuity
        km, freight, delivered = delivered_cost(view.price_cny_t, road, ms)
        out.append(SiteCost(site, org, km, freight, delivered))
    return sorted(out, key=lambda c: (c.delivered_cny_t, c.site.id or 0))


async def offer_rows(
    db: AsyncSession, member: Viewer, rows: list[tuple[Bid, Tender | None]]
) -> list[OfferRow]:
    """Offers with their listing's title and the buyer's name, as the viewer acts on them."""
    views = await bid_views(db, member.user, rows)
    listing_ids = {b.listing_id for b, _ in rows}
    listings = {
        x.id: x
        for x in (await db.exec(select(Listing).where(col(Listing.id).in_(listing_ids)))).all()
    }
    buyer_ids = {b.buyer_org_id for b, _ in rows}
    names = {
        o.id: o.name
        for o in (
            await db.exec(select(Organization).where(col(Organization.id).in_(buyer_ids)))
        ).all()
    }
    bid_ids = [b.id for b, _ in rows]
    made = {
        d.bid_id: d.id
        for d in (await db.exec(select(Deal).where(col(Deal.bid_id).in_(bid_ids)))).all()
    }
    mine = set(member.org_ids)
    out = []
    for (bid, _tender), view in zip(rows, views, strict=True):
        lot = listings.get(bid.listing_id)
        out.append(
            OfferRow(
                offer=view,
                listing_title=(lot.title if lot else "") or "",
                material_code=lot.material_code if lot else "",
                i_buy=bid.buyer_org_id in mine,
                offered_by_me=bid.offered_by_org_id in mine,
                i_answer=_responder(bid) in mine,
                buyer_name=names.get(bid.buyer_org_id, ""),
                deal_id=made.get(bid.id),
            )
        )
    return out


def material_uses(material: Any) -> list[tuple[str, str]]:
    zh = current_locale() == "zh"
    uses = []
    for u in material.typical_uses or []:
        key = str(u.get("key", ""))
        label = u.get("name_zh" if zh else "name_en") or u.get("name_zh") or key
        uses.append((key, str(label)))
    return uses


async def listing_panel(
    *,
    db: AsyncSession,
    member: Viewer,
    listing: Listing,
    view: ListingOut,
    settings: Settings,
    posted: Any = None,
    **_ignored: Any,
) -> dict[str, Any]:
    """The ``trade`` context of ``/listings/{id}`` (registered with :mod:`market.web.panels`)."""
    assert listing.id is not None
    mine = set(member.org_ids)
    owner = listing.organization_id in mine
    role = "owner" if owner else ("buyer" if mine and not member.regulator else "reader")
    tender = await open_tender(db, listing.id)
    closed = (
        select(Tender)
        .where(Tender.listing_id == listing.id, Tender.status == "closed")
        .order_by(col(Tender.id).desc())
    )
    last_tender = (await db.exec(closed)).first()
    sites = await site_costs(db, member, view, settings) if role == "buyer" else []
    offers: list[OfferRow] = []
    deals: list[DealOut] = []
    if role != "reader" or member.regulator:
        rows, _n = await bid_svc.list_bids(
            db, member.user, listing_id=listing.id, status=None, page=1, page_size=ROWS
        )
        offers = await offer_rows(db, member, rows)
        found, _n = await list_deals(
            db, member.user, status=None, listing_id=listing.id, page=1, page_size=ROWS
        )
        deals = await deal_views(db, found)
    chosen = sites[0].site.id if sites else None
    if isinstance(posted, Posted) and posted.value("site_id").isdigit():
        chosen = int(posted.value("site_id"))
    material = await catalogue.get_material(db, listing.material_code)
    closes = local_input(datetime.now(UTC) + timedelta(days=3))
    return {
        "trade": ListingTrade(
            role=role,
            listing=view,
            monthly=view.cadence == "monthly",
            tradable=view.status == "open" and view.available_t > 0,
            tender=tender,
            last_tender=last_tender,
            sites=sites,
            chosen_site_id=chosen,
            offers=offers,
            deals=deals,
            uses=material_uses(material),
            posted=posted if isinstance(posted, Posted) else None,
            tender_closes_default=closes,
            h=helpers({material.code: material}),
        )
    }


panels.register("listing", listing_panel)


# --- the forms -----------------------------------------------------------------------------


async def _org_of_site(db: AsyncSession, member: Viewer, site_id: str) -> int | None:
    """The buying organisation: the one whose site was chosen (if it is the viewer's)."""
    for site, org in await lookups.my_sites(db, member):
        if str(site.id) == site_id:
            return org.id
    return None


Action = Callable[[dict[str, str]], Awaitable[str]]


async def run_form(
    request: Request[Any, Any, Any],
    member: Member,
    db: AsyncSession,
    posted: Posted,
    action: Action,
    show_again: Callable[[Viewer, Posted], Awaitable[Response[Any]]],
) -> Response[Any]:
    """Validate and act (``action`` returns where to go next), or show the form again.

    Nothing a failed form did is kept: a service's refusal rolls the transaction back.
    """
    posted.values = form_values(await request.form())
    try:
        target = await action(posted.values)
    except ValidationError as exc:
        posted.errors = pydantic_messages(exc)
        member = await rollback(db, member)
        return await show_again(member, posted)
    except Problem as exc:
        if exc.status == 404:
            raise
        posted.errors = problem_messages(exc)
        posted.status = exc.status if exc.status in (403, 409) else 422
        member = await rollback(db, member)
        return await show_again(member, posted)
    return Redirect(target, status_code=303)


def validate(model: type[BaseModel], data: dict[str, Any]) -> Any:
    return model.model_validate(data)


def _listing_again(
    db: AsyncSession, listing_id: int, settings: Settings, state: State
) -> Callable[[Viewer, Posted], Awaitable[Response[Any]]]:
    async def again(member: Viewer, posted: Posted) -> Response[Any]:
        return await render_listing(
            db, member, listing_id, settings, state, status=posted.status, posted=posted
        )

    return again


BUYER_INPUTS = ("site_id", "quantity_t", "tonnes_per_month", "term_months", "use")
BUYER_NUMBERS = ("quantity_t", "tonnes_per_month", "term_months")


@post("/listings/{listing_id:int}/bid", name="web-trade-bid")
async def bid_form(
    request: Request[Any, Any, Any],
    listing_id: FromPath[int],
    member: Member,
    db: Db,
    settings: AppSettings,
    state: State,
) -> Response[Any]:
    async def act(values: dict[str, str]) -> str:
        data = body(values, (*BUYER_INPUTS, "price_cny_t", "note"), (*BUYER_NUMBERS, "price_cny_t"))
        if (org := await _org_of_site(db, member, values.get("site_id", ""))) is not None:
            data["organization_id"] = org
        bid_in: BidIn = validate(BidIn, data)
        await bid_svc.place_bid(
            db, member.user, listing_id, bid_svc.BidInput(**bid_in.model_dump())
        )
        return "/my/bids"

    again = _listing_again(db, listing_id, settings, state)
    return await run_form(request, member, db, Posted("bid"), act, again)


@post("/listings/{listing_id:int}/buy", name="web-trade-buy")
async def buy_form(
    request: Request[Any, Any, Any],
    listing_id: FromPath[int],
    member: Member,
    db: Db,
    settings: AppSettings,
    state: State,
) -> Response[Any]:
    async def act(values: dict[str, str]) -> str:
        data = body(values, BUYER_INPUTS, BUYER_NUMBERS)
        if (org := await _org_of_site(db, member, values.get("site_id", ""))) is not None:
            data["organization_id"] = org
        buy_in: BuyIn = validate(BuyIn, data)
        deal = await buy(db, member.user, listing_id, BuyInput(**buy_in.model_dump()))
        return f"/deals/{deal.id}"

    again = _listing_again(db, listing_id, settings, state)
    return await run_form(request, member, db, Posted("buy"), act, again)


@post("/listings/{listing_id:int}/tender", name="web-trade-tender")
async def tender_form(
    request: Request[Any, Any, Any],
    listing_id: FromPath[int],
    member: Member,
    db: Db,
    settings: AppSettings,
    state: State,
) -> Response[Any]:
    async def act(values: dict[str, str]) -> str:
        data = body(values, ("reserve_price_cny_t",), ("reserve_price_cny_t",))
        if (closes := china_local(values.get("closes_at"))) is not None:
            data["closes_at"] = closes
        tender_in: TenderIn = validate(TenderIn, data)
        await tenders.open_new_tender(
            db, member.user, listing_id, tenders.TenderInput(**tender_in.model_dump())
        )
        return f"/listings/{listing_id}#trade"

    again = _listing_again(db, listing_id, settings, state)
    return await run_form(request, member, db, Posted("tender"), act, again)


# --- answering an offer (from the listing page or from /my/bids) ---------------------------

#: Where an answer came from, to go back to (and to show a failed form on).
BACK_TO_BIDS = "bids"


def _offer_again(
    db: AsyncSession, bid: Bid, settings: Settings, state: State, back: str
) -> Callable[[Viewer, Posted], Awaitable[Response[Any]]]:
    if back == BACK_TO_BIDS:
        from market.trading.web_deals import render_my_bids

        async def again(member: Viewer, posted: Posted) -> Response[Any]:
            return await render_my_bids(db, member, posted=posted)

        return again
    return _listing_again(db, bid.listing_id, settings, state)


def _back(values: dict[str, str], bid: Bid, default: str) -> str:
    return "/my/bids" if values.get("back") == BACK_TO_BIDS else default.format(bid=bid)


async def _answer(
    request: Request[Any, Any, Any],
    bid_id: int,
    member: Viewer,
    db: AsyncSession,
    settings: Settings,
    state: State,
    name: str,
    act: Callable[[Bid, dict[str, str]], Awaitable[str]],
) -> Response[Any]:
    bid = await bid_svc.visible_bid(db, member.user, bid_id)
    form = await request.form()
    back = str(form.get("back") or "")

    async def action(values: dict[str, str]) -> str:
        return await act(bid, values)

    again = _offer_again(db, bid, settings, state, back)
    return await run_form(request, member, db, Posted(name, bid_id), action, again)


@post("/bids/{bid_id:int}/accept", name="web-trade-accept")
async def accept_form(
    request: Request[Any, Any, Any],
    bid_id: FromPath[int],
    member: Member,
    db: Db,
    settings: AppSettings,
    state: State,
) -> Response[Any]:
    async def act(bid: Bid, values: dict[str, str]) -> str:
        qty = ("quantity_t", "tonnes_per_month")
        accept_in: AcceptIn = validate(AcceptIn, body(values, qty, qty))
        _bid, deal = await answers.accept(
            db, member.user, bid.id or 0, answers.AcceptInput(**accept_in.model_dump())
        )
        return f"/deals/{deal.id}"

    return await _answer(request, bid_id, member, db, settings, state, "accept", act)


@post("/bids/{bid_id:int}/reject", name="web-trade-reject")
async def reject_form(
    request: Request[Any, Any, Any],
    bid_id: FromPath[int],
    member: Member,
    db: Db,
    settings: AppSettings,
    state: State,
) -> Response[Any]:
    async def act(bid: Bid, values: dict[str, str]) -> str:
        await answers.reject(db, member.user, bid.id or 0)
        return _back(values, bid, "/listings/{bid.listing_id}#trade")

    return await _answer(request, bid_id, member, db, settings, state, "reject", act)


@post("/bids/{bid_id:int}/withdraw", name="web-trade-withdraw")
async def withdraw_form(
    request: Request[Any, Any, Any],
    bid_id: FromPath[int],
    member: Member,
    db: Db,
    settings: AppSettings,
    state: State,
) -> Response[Any]:
    async def act(bid: Bid, values: dict[str, str]) -> str:
        await answers.withdraw(db, member.user, bid.id or 0)
        return _back(values, bid, "/listings/{bid.listing_id}#trade")

    return await _answer(request, bid_id, member, db, settings, state, "withdraw", act)


@post("/bids/{bid_id:int}/counter", name="web-trade-counter")
async def counter_form(
    request: Request[Any, Any, Any],
    bid_id: FromPath[int],
    member: Member,
    db: Db,
    settings: AppSettings,
    state: State,
) -> Response[Any]:
    async def act(bid: Bid, values: dict[str, str]) -> str:
        numbers = ("price_cny_t", "quantity_t", "tonnes_per_month")
        data = body(values, (*numbers, "note"), numbers)
        counter_in: CounterIn = validate(CounterIn, data)
        await answers.counter(
            db, member.user, bid.id or 0, answers.CounterInput(**counter_in.model_dump())
        )
        return _back(values, bid, "/listings/{bid.listing_id}#trade")

    return await _answer(request, bid_id, member, db, settings, state, "counter", act)


routes = [
    bid_form,
    buy_form,
    tender_form,
    accept_form,
    reject_form,
    withdraw_form,
    counter_form,
]
