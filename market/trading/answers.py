"""Answering an offer: accept it (all or part), reject it, counter it, or withdraw one's own.

A bid is answered by the seller, a counter-offer by the buyer (:func:`_responder`); a
counter is a new offer the other side may answer in turn, so a negotiation is a chain of
bids linked by ``parent_id``. Sealed tender bids are never answered here: the tender's
closer decides them. Every answer claims the pending offer through
:func:`market.trading.bids.claim`, so of two concurrent answers exactly one wins (409 for
the other), and accepting creates the deal with its tonnes reserved in the same
transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlmodel.ext.asyncio.session import AsyncSession

from market.accounts.access import member_org_ids
from market.accounts.models import User
from market.alerts.events import BID_ACCEPTED, BID_COUNTERED, BID_REJECTED
from market.core import decimals as dec
from market.core.audit import Actor, record, snapshot
from market.core.errors import Conflict, Forbidden, Invalid
from market.offers.common import check_window
from market.offers.listings import get_listing
from market.trading import notices
from market.trading.bids import (
    BID_FIELDS,
    DEFAULT_BID_DAYS,
    check_available,
    check_expiry,
    claim,
    visible_bid,
)
from market.trading.deals import (
    Quantity,
    Terms,
    check_tradable,
    china_date,
    create_deal,
    quantity_of,
    refuse_if_tendered,
)
from market.trading.eligibility import Take, check_eligible
from market.trading.models import Bid, Deal
from market.trading.parties import Buyer


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


@dataclass(frozen=True)
class AcceptInput:
    """How much of an offer is accepted: all of it (both None), or ``quantity_t`` of a
    one-off offer, or ``tonnes_per_month`` of a standing one (for the offer's whole term)."""

    quantity_t: Decimal | None = None
    tonnes_per_month: Decimal | None = None


async def accept(
    session: AsyncSession,
    user: User,
    bid_id: int,
    data: AcceptInput,
    now: datetime | None = None,
) -> tuple[Bid, Deal]:
    """Accept all of an offer or part of it: a deal, with its tonnes reserved (409 if gone)."""
    now = now or datetime.now(UTC)
    bid = await _answerable(session, user, bid_id, now)
    qty = _accepted_quantity(bid, data)
    actor = Actor(user.id, _responder(bid))
    await claim(session, bid, "accepted", actor, "accepted", now)
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
    deal = await create_deal(session, actor, listing, _buyer_of(bid), terms, bid_id=bid.id, at=now)
    await notices.bid_answered(session, bid, BID_ACCEPTED, deal_id=deal.id)
    return bid, deal


def _buyer_of(bid: Bid) -> Buyer:
    return Buyer(bid.buyer_org_id, bid.buyer_site_id, bid.demand_id, bid.use)


def _accepted_quantity(bid: Bid, data: AcceptInput) -> Quantity:
    """All of the offer, or the part named (≤ the offer; per month for a standing one)."""
    quantity_t, tonnes_per_month = data.quantity_t, data.tonnes_per_month
    if bid.term_months is not None and bid.tonnes_per_month is not None:
        if quantity_t is not None:
            raise Invalid("quantity_t", "a standing offer is accepted by tonnes_per_month")
        tpm = tonnes_per_month or bid.tonnes_per_month
        if tpm > bid.tonnes_per_month:
            raise Invalid(
                "tonnes_per_month", f"must not exceed the {dec.t(bid.tonnes_per_month)} t offered"
            )
        return Quantity(tpm * bid.term_months, tpm, bid.term_months, bid.shortfall)
    if tonnes_per_month is not None:
        raise Invalid("tonnes_per_month", "this offer is not a standing contract")
    quantity = quantity_t or bid.quantity_t
    if quantity > bid.quantity_t:
        raise Invalid("quantity_t", f"must not exceed the {dec.t(bid.quantity_t)} t offered")
    return Quantity(quantity)


async def reject(session: AsyncSession, user: User, bid_id: int) -> Bid:
    now = datetime.now(UTC)
    bid = await _answerable(session, user, bid_id, now)
    await claim(session, bid, "rejected", Actor(user.id, _responder(bid)), "rejected", now)
    await notices.bid_answered(session, bid, BID_REJECTED)
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
    await claim(session, bid, "withdrawn", actor, "withdrawn", now)
    return bid


@dataclass(frozen=True)
class CounterInput:
    """A new offer in answer to one: the price, and any of quantity (per month for a standing
    offer), delivery window, expiry and note that differ from the offer answered."""

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
    check_expiry(data.expires_at, now)
    listing = await get_listing(session, bid.listing_id)
    check_tradable(listing, china_date(now))
    await refuse_if_tendered(session, listing.id or 0)
    if bid.term_months is not None:
        if data.quantity_t is not None:
            raise Invalid("quantity_t", "a standing offer is countered by tonnes_per_month")
        tpm = data.tonnes_per_month or bid.tonnes_per_month
        qty = quantity_of(listing, None, tpm, bid.term_months, bid.shortfall)
    elif data.tonnes_per_month is not None:
        raise Invalid("tonnes_per_month", "this offer is not a standing contract")
    else:
        qty = Quantity(data.quantity_t or bid.quantity_t)
    check_available(listing.available_t, qty.total_t, listing.id)
    delivery_from = data.delivery_from or bid.delivery_from
    delivery_until = data.delivery_until or bid.delivery_until
    check_window(delivery_from, delivery_until, "delivery_from", "delivery_until")
    take = Take(qty.total_t, qty.tonnes_per_month, qty.term_months, delivery_from)
    await check_eligible(session, bid.buyer_org_id, listing, take, now)
    responder = _responder(bid)
    actor = Actor(user.id, responder)
    await claim(session, bid, "countered", actor, "countered", now)
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
        shortfall=qty.shortfall,
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
    await notices.bid_answered(session, bid, BID_COUNTERED, offer)
    return offer
