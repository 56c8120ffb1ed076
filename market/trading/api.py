"""Trading API: bids and counters, buying at the asking price, sealed tenders."""

from __future__ import annotations

from typing import Annotated

from litestar import get, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlmodel.ext.asyncio.session import AsyncSession

from market.accounts.deps import CurrentUser
from market.accounts.models import User
from market.core.deps import Db
from market.core.openapi import problems
from market.core.schemas import Page
from market.trading import answers, tenders
from market.trading import bids as svc
from market.trading.buying import BuyInput, buy
from market.trading.models import Bid, Tender
from market.trading.schemas import (
    AcceptedOut,
    AcceptIn,
    BidIn,
    BidOut,
    BuyIn,
    CounterIn,
    DealOut,
    PageNumber,
    PageSize,
    TenderIn,
    TenderOut,
)
from market.trading.views import bid_views, deal_views, tender_view

BidStatus = Annotated[str | None, QueryParameter(description="pending, accepted, rejected, …")]


async def _bid(db: AsyncSession, user: User, bid: Bid) -> BidOut:
    tender = await db.get(Tender, bid.tender_id) if bid.tender_id else None
    return (await bid_views(db, user, [(bid, tender)]))[0]


@post(
    "/listings/{listing_id:int}/bids",
    tags=["trading"],
    summary="Bid on an open listing",
    responses=problems(403, 409),
)
async def place_bid(
    listing_id: FromPath[int], data: JSONBody[BidIn], user: CurrentUser, db: Db
) -> BidOut:
    bid = await svc.place_bid(db, user, listing_id, svc.BidInput(**data.model_dump()))
    return await _bid(db, user, bid)


@get("/bids", tags=["trading"], summary="Bids and counters you are a party to")
async def list_bids(
    user: CurrentUser,
    db: Db,
    listing_id: FromQuery[int | None] = None,
    status: BidStatus = None,
    page: PageNumber = 1,
    page_size: PageSize = 50,
) -> Page[BidOut]:
    rows, total = await svc.list_bids(
        db, user, listing_id=listing_id, status=status, page=page, page_size=page_size
    )
    items = await bid_views(db, user, rows)
    return Page[BidOut](items=items, total=total, page=page, page_size=page_size)


@get("/bids/{bid_id:int}", tags=["trading"])
async def get_bid(bid_id: FromPath[int], user: CurrentUser, db: Db) -> BidOut:
    return await _bid(db, user, await svc.visible_bid(db, user, bid_id))


@post("/bids/{bid_id:int}/accept", tags=["trading"], status_code=200, responses=problems(403, 409))
async def accept_bid(
    bid_id: FromPath[int], user: CurrentUser, db: Db, data: JSONBody[AcceptIn | None] = None
) -> AcceptedOut:
    """Accept all of an offer, or part with ``quantity_t`` (``tonnes_per_month`` for a
    standing contract): creates the deal and reserves its tonnes."""
    body = data or AcceptIn()
    bid, deal = await answers.accept(db, user, bid_id, answers.AcceptInput(**body.model_dump()))
    return AcceptedOut(bid=await _bid(db, user, bid), deal=(await deal_views(db, [deal]))[0])


@post("/bids/{bid_id:int}/reject", tags=["trading"], status_code=200, responses=problems(403, 409))
async def reject_bid(bid_id: FromPath[int], user: CurrentUser, db: Db) -> BidOut:
    return await _bid(db, user, await answers.reject(db, user, bid_id))


@post(
    "/bids/{bid_id:int}/withdraw", tags=["trading"], status_code=200, responses=problems(403, 409)
)
async def withdraw_bid(bid_id: FromPath[int], user: CurrentUser, db: Db) -> BidOut:
    return await _bid(db, user, await answers.withdraw(db, user, bid_id))


@post(
    "/bids/{bid_id:int}/counter",
    tags=["trading"],
    summary="Answer an offer with a new one",
    responses=problems(403, 409),
)
async def counter_bid(
    bid_id: FromPath[int], data: JSONBody[CounterIn], user: CurrentUser, db: Db
) -> BidOut:
    offer = await answers.counter(db, user, bid_id, answers.CounterInput(**data.model_dump()))
    return await _bid(db, user, offer)


@post(
    "/listings/{listing_id:int}/buy",
    tags=["trading"],
    summary="Take a listing at its price",
    responses=problems(403, 409),
)
async def buy_listing(
    listing_id: FromPath[int], data: JSONBody[BuyIn], user: CurrentUser, db: Db
) -> DealOut:
    deal = await buy(db, user, listing_id, BuyInput(**data.model_dump()))
    return (await deal_views(db, [deal]))[0]


@post(
    "/listings/{listing_id:int}/tender",
    tags=["trading"],
    summary="Put a lot to sealed tender",
    responses=problems(403, 409),
)
async def open_tender(
    listing_id: FromPath[int], data: JSONBody[TenderIn], user: CurrentUser, db: Db
) -> TenderOut:
    tender = await tenders.open_new_tender(
        db, user, listing_id, tenders.TenderInput(**data.model_dump())
    )
    return tender_view(tender, with_reserve=True)


@get("/tenders/{tender_id:int}", tags=["trading"], summary="A tender (reserve: producer only)")
async def get_tender(tender_id: FromPath[int], user: CurrentUser, db: Db) -> TenderOut:
    tender = await tenders.readable_tender(db, user, tender_id)
    return tender_view(tender, with_reserve=await tenders.sees_reserve(db, user, tender))


routes = [
    place_bid,
    list_bids,
    get_bid,
    accept_bid,
    reject_bid,
    withdraw_bid,
    counter_bid,
    buy_listing,
    open_tender,
    get_tender,
]
