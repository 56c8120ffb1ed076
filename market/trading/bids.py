"""Bids on a listing: placing one, who may see it, the list, and expiry.

A buyer bids; on a listing under sealed tender the bid is a tender bid, decided by the
closer (``market.trading.tenders``). Answering an offer (accept, reject, counter, withdraw)
is ``market.trading.answers``. Every change of status goes through :func:`claim`, a
conditional ``UPDATE … WHERE status = 'pending'`` so that two clicks on "accept" make one
deal, and is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from market.accounts.access import member_org_ids, sees_everything
from market.accounts.models import User
from market.core import decimals as dec
from market.core.audit import SYSTEM, Actor, record, snapshot
from market.core.db import metadata
from market.core.errors import Conflict, Invalid, NotFound
from market.offers.common import check_window
from market.trading import notices
from market.trading.deals import open_tender, quantity_of, tradable_listing
from market.trading.eligibility import Take, check_eligible
from market.trading.models import BID_STATUSES, Bid, Tender
from market.trading.parties import resolve_buyer

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
    "shortfall",
    "delivery_from",
    "delivery_until",
    "expires_at",
    "status",
)
_BIDS = metadata.tables["bids"]


@dataclass(frozen=True)
class BidInput:
    """A buyer's bid: the price, who buys for which site or demand, how much, until when."""

    price_cny_t: Decimal
    organization_id: int | None = None
    site_id: int | None = None
    demand_id: int | None = None
    use: str | None = None
    quantity_t: Decimal | None = None
    tonnes_per_month: Decimal | None = None
    term_months: int | None = None
    shortfall: str | None = None
    delivery_from: date | None = None
    delivery_until: date | None = None
    expires_at: datetime | None = None
    note: str = ""


def check_expiry(expires_at: datetime | None, now: datetime) -> None:
    if expires_at is not None and expires_at <= now:
        raise Invalid("expires_at", "must be in the future")


def check_available(available: Decimal, quantity: Decimal, listing_id: int | None) -> None:
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
    qty = quantity_of(
        listing, data.quantity_t, data.tonnes_per_month, data.term_months, data.shortfall
    )
    check_window(data.delivery_from, data.delivery_until, "delivery_from", "delivery_until")
    check_expiry(data.expires_at, now)
    take = Take(qty.total_t, qty.tonnes_per_month, qty.term_months, data.delivery_from)
    await check_eligible(session, buyer.org_id, listing, take, now)
    check_available(listing.available_t, qty.total_t, listing.id)
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
        shortfall=qty.shortfall,
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
    await notices.bid_received(session, bid)
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


async def claim(
    session: AsyncSession, bid: Bid, status: str, actor: Actor, action: str, now: datetime
) -> None:
    """Move a pending bid to ``status``; exactly one concurrent caller succeeds (409 for the
    others). Every answer and the expiry job go through here."""
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


async def list_bids(
    session: AsyncSession,
    user: User,
    *,
    listing_id: int | None,
    status: str | None,
    page: int,
    page_size: int,
) -> tuple[list[tuple[Bid, Tender | None]], int]:
    """One page of the bids the user may see (see :func:`visible_bid`), newest first, each
    with its tender, and how many there are in all."""
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
    of_tender = col(Tender.id) == col(Bid.tender_id)
    stmt = (
        select(Bid, Tender)
        .outerjoin(Tender, of_tender)
        .where(*conds)
        .order_by(col(Bid.id).desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    )
    count = select(func.count()).select_from(Bid).outerjoin(Tender, of_tender).where(*conds)
    total = (await session.exec(count)).one()
    return [(b, t) for b, t in (await session.exec(stmt)).all()], total


async def expire_due_bids(session: AsyncSession, now: datetime) -> list[int]:
    """Mark pending offers past their expiry as ``expired`` (tender bids are left to the
    closer). Run by the periodic job."""
    stmt = select(Bid).where(
        Bid.status == "pending", col(Bid.tender_id).is_(None), Bid.expires_at <= now
    )
    expired: list[int] = []
    for bid in (await session.exec(stmt)).all():
        try:
            await claim(session, bid, "expired", SYSTEM, "expired", now)
        except Conflict:
            continue
        expired.append(bid.id or 0)
    return expired
