"""Bids and counter-offers on a listing, and their answers.

A buyer bids; the seller accepts (all or part), rejects or counters; a counter is a new
offer the buyer may accept, reject or counter in turn; whoever made an offer may withdraw it
while it is pending. Every change of status is a conditional ``UPDATE … WHERE status =
'pending'`` so that two clicks on "accept" make one deal, and is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from market.accounts.access import member_org_ids, sees_everything
from market.accounts.models import User
from market.core import decimals as dec
from market.core.audit import SYSTEM, Actor, record, snapshot
from market.core.db import metadata
from market.core.errors import Conflict, Forbidden, Invalid, NotFound
from market.offers.common import check_window
from market.offers.listings import get_listing
from market.trading.deals import (
    Quantity,
    Terms,
    check_tradable,
    china_date,
    create_deal,
    open_tender,
    quantity_of,
    refuse_if_tendered,
    tradable_listing,
)
from market.trading.models import BID_STATUSES, Bid, Tender
from market.trading.parties import Buyer, resolve_buyer

#: A bid with no expiry given stays open this long.
DEFAULT_BID_DAYS = 7
BID_FIELDS = (
    "listing_id",
    "tender_id",
    "parent_id",
    "buyer_org_id",
    "seller_org_id",
    "offered_by_org_id",
    "buyer_site_id",
    "demand_id",
    "use",
    "quantity_t",
    "price_cny_t",
    "tonnes_per_month",
    "term_months",
    "delivery_from",
    "delivery_until",
    "expires_at",
    "status",
)
_BIDS = metadata.tables["bids"]


@dataclass(frozen=True)
class BidInput:
    price_cny_t: Decimal
    organization_id: int | None = None
    site_id: int | None = None
    demand_id: int | None = None
    use: str | None = None
    quantity_t: Decimal | None = None
    tonnes_per_month: Decimal | None = None
    term_months: int | None = None
    delivery_from: date | None = None
    delivery_until: date | None = None
    expires_at: datetime | None = None
    note: str = ""


def _check_expiry(expires_at: datetime | None, now: datetime) -> None:
    if expires_at is not None and expires_at <= now:
        raise Invalid("expires_at", "must be in the future")


def _check_available(available: Decimal, quantity: Decimal, listing_id: int | None) -> None:
    if quantity > available:
        raise Conflict(
            f"only {dec.t(available)} t of listing {listing_id} are available, "
            f"{dec.t(quantity)} t asked",
            errors=[{"field": "quantity_t", "reason": "more than is available"}],
        )


async def place_bid(
    session: AsyncSession, user: User, listing_id: int, data: BidInput, now: datetime | None = None
) -> Bid:
    """A buyer's bid; on a listing under tender it becomes a sealed tender bid."""
    now = now or datetime.now(UTC)
    listing = await tradable_listing(session, user, listing_id)
    buyer = await resolve_buyer(
        session,
        user,
        listing,
        organization_id=data.organization_id,
        site_id=data.site_id,
        demand_id=data.demand_id,
        use=data.use,
    )
    qty = quantity_of(listing, data.quantity_t, data.tonnes_per_month, data.term_months)
    check_window(data.delivery_from, data.delivery_until, "delivery_from", "delivery_until")
    _check_expiry(data.expires_at, now)
    _check_available(listing.available_t, qty.total_t, listing.id)
    tender = await open_tender(session, listing_id)
    if tender is not None and tender.closes_at <= now:
        # Due but not yet closed by the job: a bid now would be a bid after the deadline.
        raise Conflict(
            f"the tender closed at {tender.closes_at.isoformat()}; bids are no longer accepted"
        )
    if tender is not None and data.expires_at is not None and data.expires_at < tender.closes_at:
        raise Invalid("expires_at", "a tender bid must stay valid until the tender closes")
    default_expiry = tender.closes_at if tender else now + timedelta(days=DEFAULT_BID_DAYS)
    bid = Bid(
        listing_id=listing_id,
        tender_id=tender.id if tender else None,
        seller_org_id=listing.organization_id,
        buyer_org_id=buyer.org_id,
        offered_by_org_id=buyer.org_id,
        buyer_site_id=buyer.site_id,
        demand_id=buyer.demand_id,
        use=buyer.use,
        quantity_t=qty.total_t,
        price_cny_t=data.price_cny_t,
        tonnes_per_month=qty.tonnes_per_month,
        term_months=qty.term_months,
        delivery_from=data.delivery_from,
        delivery_until=data.delivery_until,
        expires_at=data.expires_at or default_expiry,
        note=data.note.strip(),
        created_by_user_id=user.id or 0,
    )
    session.add(bid)
    await session.flush()
    action = "placed_in_tender" if tender else "placed"
    await record(
        session,
        "bid",
        bid.id,
        action,
        Actor(user.id, buyer.org_id),
        None,
        snapshot(bid, BID_FIELDS),
    )
    return bid


def is_sealed(bid: Bid, tender: Tender | None) -> bool:
    return bid.tender_id is not None and tender is not None and tender.status == "open"


async def visible_bid(session: AsyncSession, user: User, bid_id: int) -> Bid:
    """The two parties see a bid, regulators too; a sealed tender bid only its bidder."""
    bid = await session.get(Bid, bid_id)
    if bid is None:
        raise NotFound(f"bid {bid_id} does not exist")
    mine = await member_org_ids(session, user)
    tender = await session.get(Tender, bid.tender_id) if bid.tender_id else None
    if is_sealed(bid, tender):
        if bid.buyer_org_id in mine:
            return bid
    elif sees_everything(user) or {bid.buyer_org_id, bid.seller_org_id} & mine:
        return bid
    raise NotFound(f"bid {bid_id} does not exist")


def _responder(bid: Bid) -> int:
    """The organisation that answers an offer: the seller for a bid, the buyer for a counter."""
    return bid.seller_org_id if bid.offered_by_org_id == bid.buyer_org_id else bid.buyer_org_id


async def _answerable(session: AsyncSession, user: User, bid_id: int, now: datetime) -> Bid:
    """A pending, unexpired, non-tender offer that this user may answer, else 403/409."""
    bid = await visible_bid(session, user, bid_id)
    responder = _responder(bid)
    if responder not in await member_org_ids(session, user):
        who = "seller" if responder == bid.seller_org_id else "buyer"
        raise Forbidden(f"only the {who} can answer this offer")
    if bid.tender_id is not None:
        raise Conflict(f"bid {bid_id} is a sealed tender bid; the tender decides it at close")
    if bid.status != "pending":
        raise Conflict(f"bid {bid_id} is already {bid.status}")
    if bid.expires_at <= now:
        raise Conflict(f"bid {bid_id} expired at {bid.expires_at.isoformat()}")
    return bid


async def _claim(
    session: AsyncSession, bid: Bid, status: str, actor: Actor, action: str, now: datetime
) -> None:
    """Move a pending bid to ``status``; exactly one concurrent caller succeeds (409 for the
    others)."""
    c = _BIDS.c
    result = await session.exec(
        sa.update(_BIDS)
        .where(c.id == bid.id, c.status == "pending")
        .values(status=status, updated_at=now)
    )
    await session.refresh(bid)
    if result.rowcount != 1:
        raise Conflict(f"bid {bid.id} is already {bid.status}")
    await record(session, "bid", bid.id, action, actor, {"status": "pending"}, {"status": status})


async def accept(
    session: AsyncSession,
    user: User,
    bid_id: int,
    *,
    quantity_t: Decimal | None = None,
    tonnes_per_month: Decimal | None = None,
    now: datetime | None = None,
) -> tuple[Bid, Any]:
    """Accept all of an offer or part of it: a deal, with its tonnes reserved (409 if gone)."""
    now = now or datetime.now(UTC)
    bid = await _answerable(session, user, bid_id, now)
    qty = _accepted_quantity(bid, quantity_t, tonnes_per_month)
    actor = Actor(user.id, _responder(bid))
    await _claim(session, bid, "accepted", actor, "accepted", now)
    listing = await get_listing(session, bid.listing_id)
    await refuse_if_tendered(session, listing.id or 0)
    check_tradable(listing, china_date(now))
    terms = Terms(
        price_cny_t=bid.price_cny_t,
        quantity=qty,
        delivery_from=bid.delivery_from,
        delivery_until=bid.delivery_until,
        extra={"source": "counter" if bid.parent_id else "bid", "bid_id": bid.id},
    )
    deal = await create_deal(session, actor, listing, _buyer_of(bid), terms, bid_id=bid.id)
    return bid, deal


def _buyer_of(bid: Bid) -> Buyer:
    return Buyer(bid.buyer_org_id, bid.buyer_site_id, bid.demand_id, bid.use)


def _accepted_quantity(
    bid: Bid, quantity_t: Decimal | None, tonnes_per_month: Decimal | None
) -> Quantity:
    """All of the offer, or the part named (≤ the offer; per month for a standing one)."""
    if bid.term_months is not None and bid.tonnes_per_month is not None:
        if quantity_t is not None:
            raise Invalid("quantity_t", "a standing offer is accepted by tonnes_per_month")
        tpm = tonnes_per_month or bid.tonnes_per_month
        if tpm > bid.tonnes_per_month:
            raise Invalid(
                "tonnes_per_month", f"must not exceed the {dec.t(bid.tonnes_per_month)} t offered"
            )
        return Quantity(tpm * bid.term_months, tpm, bid.term_months)
    if tonnes_per_month is not None:
        raise Invalid("tonnes_per_month", "this offer is not a standing contract")
    quantity = quantity_t or bid.quantity_t
    if quantity > bid.quantity_t:
        raise Invalid("quantity_t", f"must not exceed the {dec.t(bid.quantity_t)} t offered")
    return Quantity(quantity)


async def reject(session: AsyncSession, user: User, bid_id: int) -> Bid:
    now = datetime.now(UTC)
    bid = await _answerable(session, user, bid_id, now)
    await _claim(session, bid, "rejected", Actor(user.id, _responder(bid)), "rejected", now)
    return bid


async def withdraw(session: AsyncSession, user: User, bid_id: int) -> Bid:
    """The party that made an offer takes it back while it is still pending."""
    now = datetime.now(UTC)
    bid = await visible_bid(session, user, bid_id)
    if bid.offered_by_org_id not in await member_org_ids(session, user):
        raise Forbidden("only the organisation that made this offer can withdraw it")
    if bid.status != "pending":
        raise Conflict(f"bid {bid_id} is already {bid.status}; only a pending offer is withdrawn")
    actor = Actor(user.id, bid.offered_by_org_id)
    await _claim(session, bid, "withdrawn", actor, "withdrawn", now)
    return bid


@dataclass(frozen=True)
class CounterInput:
    price_cny_t: Decimal
    quantity_t: Decimal | None = None
    tonnes_per_month: Decimal | None = None
    delivery_from: date | None = None
    delivery_until: date | None = None
    expires_at: datetime | None = None
    note: str = ""


async def counter(session: AsyncSession, user: User, bid_id: int, data: CounterInput) -> Bid:
    """Answer an offer with a new one; the original becomes ``countered``."""
    now = datetime.now(UTC)
    bid = await _answerable(session, user, bid_id, now)
    _check_expiry(data.expires_at, now)
    listing = await get_listing(session, bid.listing_id)
    check_tradable(listing, china_date(now))
    await refuse_if_tendered(session, listing.id or 0)
    if bid.term_months is not None:
        if data.quantity_t is not None:
            raise Invalid("quantity_t", "a standing offer is countered by tonnes_per_month")
        qty = quantity_of(
            listing, None, data.tonnes_per_month or bid.tonnes_per_month, bid.term_months
        )
    elif data.tonnes_per_month is not None:
        raise Invalid("tonnes_per_month", "this offer is not a standing contract")
    else:
        qty = Quantity(data.quantity_t or bid.quantity_t)
    _check_available(listing.available_t, qty.total_t, listing.id)
    delivery_from = data.delivery_from or bid.delivery_from
    delivery_until = data.delivery_until or bid.delivery_until
    check_window(delivery_from, delivery_until, "delivery_from", "delivery_until")
    responder = _responder(bid)
    actor = Actor(user.id, responder)
    await _claim(session, bid, "countered", actor, "countered", now)
    offer = Bid(
        listing_id=bid.listing_id,
        parent_id=bid.id,
        seller_org_id=bid.seller_org_id,
        buyer_org_id=bid.buyer_org_id,
        offered_by_org_id=responder,
        buyer_site_id=bid.buyer_site_id,
        demand_id=bid.demand_id,
        use=bid.use,
        quantity_t=qty.total_t,
        price_cny_t=data.price_cny_t,
        tonnes_per_month=qty.tonnes_per_month,
        term_months=qty.term_months,
        delivery_from=delivery_from,
        delivery_until=delivery_until,
        expires_at=data.expires_at or now + timedelta(days=DEFAULT_BID_DAYS),
        note=data.note.strip(),
        created_by_user_id=user.id or 0,
    )
    session.add(offer)
    await session.flush()
    await record(
        session, "bid", offer.id, "countered_with", actor, None, snapshot(offer, BID_FIELDS)
    )
    return offer


async def list_bids(
    session: AsyncSession,
    user: User,
    *,
    listing_id: int | None,
    status: str | None,
    page: int,
    page_size: int,
) -> list[tuple[Bid, Tender | None]]:
    """Bids the user may see (see :func:`visible_bid`), newest first."""
    if status is not None and status not in BID_STATUSES:
        raise Invalid("status", f"must be one of {', '.join(BID_STATUSES)}")
    mine = await member_org_ids(session, user)
    conds: list[Any] = [
        or_(
            col(Bid.tender_id).is_(None),
            col(Tender.status) != "open",
            col(Bid.buyer_org_id).in_(mine),
        )
    ]
    if not sees_everything(user):
        conds.append(or_(col(Bid.buyer_org_id).in_(mine), col(Bid.seller_org_id).in_(mine)))
    if listing_id is not None:
        conds.append(Bid.listing_id == listing_id)
    if status is not None:
        conds.append(Bid.status == status)
    stmt = (
        select(Bid, Tender)
        .outerjoin(Tender, col(Tender.id) == col(Bid.tender_id))
        .where(*conds)
        .order_by(col(Bid.id).desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    )
    return [(b, t) for b, t in (await session.exec(stmt)).all()]


async def expire_due_bids(session: AsyncSession, now: datetime) -> list[int]:
    """Mark pending offers past their expiry as ``expired`` (tender bids are left to the
    closer). Run by the periodic job."""
    stmt = select(Bid).where(
        Bid.status == "pending", col(Bid.tender_id).is_(None), Bid.expires_at <= now
    )
    expired: list[int] = []
    for bid in (await session.exec(stmt)).all():
        try:
            await _claim(session, bid, "expired", SYSTEM, "expired", now)
        except Conflict:
            continue
        expired.append(bid.id or 0)
    return expired
