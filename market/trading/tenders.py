"""Sealed tenders: a producer puts a listing's lot to tender; at the closing time the best
bid at or above the reserve price wins.

"Best" is the highest price per tonne. Prices are signed (negative: the producer pays a fee
to have the material taken), so the highest price is also the lowest fee asked; ties go to
the earliest bid. Closing is claimed with a conditional UPDATE on the tender's status, so
however many closers race (the app's background task in every process, cron running
``market tenders close-due``), each tender closes exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from market.accounts.access import member_org_ids, sees_everything
from market.accounts.models import User
from market.accounts.verification import check_deal_parties
from market.core.audit import SYSTEM, Actor, record, snapshot
from market.core.db import metadata
from market.core.errors import Conflict, Forbidden, Invalid, NotFound
from market.offers.listings import owned_listing, readable_listing
from market.offers.models import Listing
from market.trading import notices
from market.trading.deals import (
    Quantity,
    Terms,
    check_tradable,
    china_date,
    create_deal,
    open_tender,
)
from market.trading.eligibility import Take, refusal
from market.trading.models import Bid, Deal, Tender
from market.trading.parties import Buyer

TENDER_FIELDS = (
    "listing_id",
    "quantity_t",
    "reserve_price_cny_t",
    "closes_at",
    "status",
    "outcome",
    "winning_bid_id",
    "deal_id",
)
_TENDERS = metadata.tables["tenders"]
_BIDS = metadata.tables["bids"]


@dataclass(frozen=True)
class TenderInput:
    """Opening a tender: when it closes and the lowest price per tonne the producer takes
    (negative: the highest fee it pays)."""

    closes_at: datetime
    reserve_price_cny_t: Decimal


async def open_new_tender(
    session: AsyncSession,
    user: User,
    listing_id: int,
    data: TenderInput,
    now: datetime | None = None,
) -> Tender:
    """Put what is available of an open listing to sealed tender (members of the producer)."""
    now = now or datetime.now(UTC)
    listing = await owned_listing(session, user, listing_id)
    check_tradable(listing, china_date(now))
    if data.closes_at <= now:
        raise Invalid("closes_at", "must be in the future")
    if listing.available_t <= 0:
        raise Conflict(f"listing {listing_id} has nothing left to put to tender")
    existing = await open_tender(session, listing_id)
    if existing is not None:
        raise Conflict(f"listing {listing_id} is already under tender {existing.id}")
    tender = Tender(
        listing_id=listing_id,
        seller_org_id=listing.organization_id,
        quantity_t=listing.available_t,
        reserve_price_cny_t=data.reserve_price_cny_t,
        closes_at=data.closes_at,
        created_by_user_id=user.id or 0,
    )
    session.add(tender)
    await session.flush()
    actor = Actor(user.id, listing.organization_id)
    await record(
        session, "tender", tender.id, "opened", actor, None, snapshot(tender, TENDER_FIELDS)
    )
    return tender


async def readable_tender(session: AsyncSession, user: User, tender_id: int) -> Tender:
    tender = await session.get(Tender, tender_id)
    if tender is None:
        raise NotFound(f"tender {tender_id} does not exist")
    await readable_listing(session, user, tender.listing_id)
    return tender


async def sees_reserve(session: AsyncSession, user: User, tender: Tender) -> bool:
    """The reserve price is the producer's secret (and the regulator's)."""
    return sees_everything(user) or tender.seller_org_id in await member_org_ids(session, user)


async def close_tender(
    session: AsyncSession, tender_id: int, now: datetime | None = None
) -> Tender | None:
    """Close a due tender and award it; None when it was not open and due (someone else
    closed it, or it is not time yet). Runs as the system, in the caller's transaction."""
    now = now or datetime.now(UTC)
    c = _TENDERS.c
    claimed = await session.exec(
        sa.update(_TENDERS)
        .where(c.id == tender_id, c.status == "open", c.closes_at <= now)
        .values(status="closed", closed_at=now)
    )
    if claimed.rowcount != 1:
        return None
    tender = (
        await session.exec(
            select(Tender).where(Tender.id == tender_id).execution_options(populate_existing=True)
        )
    ).one()
    ranked = (
        await session.exec(
            select(Bid)
            .where(Bid.tender_id == tender_id, Bid.status == "pending")
            .order_by(col(Bid.price_cny_t).desc(), col(Bid.created_at), col(Bid.id))
        )
    ).all()
    deal = await _award(session, tender, list(ranked), now)
    tender.outcome = "awarded" if deal else "unsold"
    tender.deal_id = deal.id if deal else None
    tender.winning_bid_id = deal.bid_id if deal else None
    session.add(tender)
    await session.flush()
    await record(
        session,
        "tender",
        tender.id,
        "closed",
        SYSTEM,
        {"status": "open"},
        snapshot(tender, ("status", "outcome", "winning_bid_id", "deal_id", "closed_at")),
    )
    for bid in ranked:
        await notices.tender_result(session, tender, bid, deal)
    return tender


async def _award(
    session: AsyncSession, tender: Tender, ranked: list[Bid], now: datetime
) -> Deal | None:
    """The first bid at or above the reserve whose tonnes can still be reserved wins; every
    other pending bid loses. A bid placed after ``closes_at`` (a request that slipped past
    :func:`market.trading.bids.place_bid`'s check while the clock ticked) is not ranked:
    it loses, whatever its price, because the others could not have answered it."""
    listing = await session.get(Listing, tender.listing_id)
    assert listing is not None
    deal: Deal | None = None
    for bid in ranked:
        wins = (
            deal is None
            and bid.created_at <= tender.closes_at
            and bid.price_cny_t >= tender.reserve_price_cny_t
            and bid.expires_at >= tender.closes_at
            and listing.status == "open"
            and bid.quantity_t <= listing.available_t
            and await _eligible(session, bid, listing, now)
        )
        status = "accepted" if wins else "lost"
        await session.exec(
            sa.update(_BIDS)
            .where(_BIDS.c.id == bid.id, _BIDS.c.status == "pending")
            .values(status=status, updated_at=now)
        )
        await record(
            session, "bid", bid.id, status, SYSTEM, {"status": "pending"}, {"status": status}
        )
        if wins:
            terms = Terms(
                price_cny_t=bid.price_cny_t,
                quantity=Quantity(
                    bid.quantity_t, bid.tonnes_per_month, bid.term_months, bid.shortfall
                ),
                delivery_from=bid.delivery_from,
                delivery_until=bid.delivery_until,
                extra={"source": "tender", "tender_id": tender.id, "bid_id": bid.id},
            )
            buyer = Buyer(bid.buyer_org_id, bid.buyer_site_id, bid.demand_id, bid.use)
            deal = await create_deal(
                session, SYSTEM, listing, buyer, terms, bid_id=bid.id, tender_id=tender.id, at=now
            )
    return deal


async def _eligible(session: AsyncSession, bid: Bid, listing: Listing, now: datetime) -> bool:
    """Whether the bidder may still take the lot at the close (a permit may have expired or
    its capacity been used since the bid, or an unverified party is above the deal limit);
    an ineligible bid loses and the next best wins.
    The refusal is kept in the audit trail."""
    take = Take(bid.quantity_t, bid.tonnes_per_month, bid.term_months, bid.delivery_from)
    why = await refusal(session, bid.buyer_org_id, listing, take, now)
    rule, detail = (why.rule, why.detail) if why is not None else (None, None)
    if why is None:
        # An unverified bidder above the deal limit loses too, rather than failing the close.
        try:
            await check_deal_parties(
                session, listing.organization_id, bid.buyer_org_id, take.total_t
            )
        except Forbidden as exc:
            rule, detail = "verified_required", exc.detail
    if rule is not None:
        await record(
            session, "bid", bid.id, "ineligible", SYSTEM, None, {"rule": rule, "detail": detail}
        )
    return rule is None


async def close_due_tenders(session: AsyncSession, now: datetime | None = None) -> list[int]:
    """Close every tender whose time has come, oldest first; the ids this call closed."""
    now = now or datetime.now(UTC)
    closed: list[int] = []
    for tender_id in await due_tender_ids(session, now):
        if await close_tender(session, tender_id, now):
            closed.append(tender_id)
    return closed


async def due_tender_ids(session: AsyncSession, now: datetime) -> list[int]:
    """Open tenders past their closing time, oldest first (a read; closing claims each)."""
    stmt = (
        select(Tender.id)
        .where(Tender.status == "open", Tender.closes_at <= now)
        .order_by(col(Tender.id))
    )
    return [i for i in (await session.exec(stmt)).all() if i is not None]
