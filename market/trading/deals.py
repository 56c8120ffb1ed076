"""Deals: the agreed trades, created by accepting a bid, buying outright or winning a tender.

Creating a deal reserves its tonnes on the listing in the same transaction
(:func:`market.trading.stock.reserve`), so a deal exists exactly when its tonnes are held.
A standing contract (monthly cadence) reserves ``tonnes_per_month × term_months``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from market.accounts.access import member_org_ids, sees_everything
from market.accounts.models import User
from market.accounts.verification import check_deal_parties
from market.catalogue import service as catalogue
from market.core import decimals as dec
from market.core.audit import Actor, record, snapshot
from market.core.errors import Conflict, Forbidden, Invalid, NotFound
from market.offers.listings import listing_to_trade
from market.offers.models import Listing
from market.trading import notices, packs
from market.trading.eligibility import Take, check_eligible
from market.trading.models import DEAL_STATUSES, Deal, Shipment, Tender
from market.trading.parties import Buyer
from market.trading.schedule import DEFAULT_SHORTFALL
from market.trading.stock import release, reserve

DEAL_FIELDS = (
    "listing_id",
    "bid_id",
    "tender_id",
    "demand_id",
    "seller_org_id",
    "buyer_org_id",
    "buyer_site_id",
    "material_code",
    "use",
    "quantity_t",
    "price_cny_t",
    "tonnes_per_month",
    "term_months",
    "shortfall",
    "delivery_from",
    "delivery_until",
    "status",
)


#: Listings' dates (``available_until``) are dates in Jingmen, i.e. China Standard Time.
CHINA = ZoneInfo("Asia/Shanghai")


def china_date(now: datetime | None = None) -> date:
    """The calendar date in China at ``now`` (default: this instant). Between 16:00 and
    24:00 UTC it is already tomorrow there, so the UTC date would keep a lot that expired
    "yesterday" for the producer tradable for eight more hours."""
    return (now or _utcnow()).astimezone(CHINA).date()


def _utcnow() -> datetime:
    """This instant (a seam for tests of the date rules)."""
    return datetime.now(UTC)


def check_tradable(listing: Listing, today: date | None = None) -> None:
    """409 unless the listing can be traded now: open and not past its availability
    (``today`` is China's date, see :func:`china_date`)."""
    today = today or china_date()
    if listing.status != "open":
        raise Conflict(
            f"listing {listing.id} is {listing.status}; only an open listing can be traded"
        )
    if listing.available_until is not None and listing.available_until < today:
        raise Conflict(f"listing {listing.id} expired on {listing.available_until}")


async def tradable_listing(session: AsyncSession, viewer: User, listing_id: int) -> Listing:
    """The listing a buyer wants to trade, or why not: 404 for a listing the viewer never
    could read (another organisation's draft or withdrawn lot: its state is nobody else's
    business), otherwise 409 naming its state (reserved, closed, expired, …)."""
    listing = await listing_to_trade(session, viewer, listing_id)
    check_tradable(listing)
    return listing


async def open_tender(session: AsyncSession, listing_id: int) -> Tender | None:
    stmt = select(Tender).where(Tender.listing_id == listing_id, Tender.status == "open")
    return (await session.exec(stmt)).first()


async def refuse_if_tendered(session: AsyncSession, listing_id: int) -> None:
    tender = await open_tender(session, listing_id)
    if tender is not None:
        raise Conflict(
            f"listing {listing_id} is under sealed tender {tender.id} until "
            f"{tender.closes_at.isoformat()}; bid in the tender instead"
        )


@dataclass(frozen=True)
class Quantity:
    """A one-off quantity, or a standing contract of tonnes per month for a term (and what
    becomes of a month's shortfall: :mod:`market.trading.schedule`)."""

    total_t: Decimal
    tonnes_per_month: Decimal | None = None
    term_months: int | None = None
    shortfall: str | None = None


def quantity_of(
    listing: Listing,
    quantity_t: Decimal | None,
    tonnes_per_month: Decimal | None,
    term_months: int | None,
    shortfall: str | None = None,
) -> Quantity:
    """Either ``quantity_t`` or (``tonnes_per_month``, ``term_months`` and the shortfall
    policy, default "lapse"), checked (422)."""
    standing = tonnes_per_month is not None or term_months is not None
    if standing:
        if tonnes_per_month is None or term_months is None:
            missing = "term_months" if term_months is None else "tonnes_per_month"
            raise Invalid(missing, "a standing contract needs tonnes_per_month and term_months")
        if listing.cadence != "monthly":
            raise Invalid(
                "tonnes_per_month", "only a monthly listing can be taken as a standing contract"
            )
        total = tonnes_per_month * term_months
        if quantity_t is not None and quantity_t != total:
            raise Invalid(
                "quantity_t", f"must equal tonnes_per_month × term_months = {dec.t(total)}"
            )
        return Quantity(total, tonnes_per_month, term_months, shortfall or DEFAULT_SHORTFALL)
    if shortfall is not None:
        raise Invalid("shortfall", "only a standing contract has a shortfall policy")
    if quantity_t is None:
        raise Invalid("quantity_t", "give quantity_t, or tonnes_per_month and term_months")
    return Quantity(quantity_t)


@dataclass(frozen=True)
class Terms:
    price_cny_t: Decimal
    quantity: Quantity
    delivery_from: date | None = None
    delivery_until: date | None = None
    extra: dict[str, Any] = field(default_factory=dict)


async def create_deal(
    session: AsyncSession,
    actor: Actor,
    listing: Listing,
    buyer: Buyer,
    terms: Terms,
    *,
    bid_id: int | None = None,
    tender_id: int | None = None,
    at: datetime | None = None,
) -> Deal:
    """Check both parties are verified for a large deal (:mod:`market.accounts.verification`,
    403) and the buyer may take the lot (:mod:`market.trading.eligibility`, 403/409), record
    the deal and reserve the tonnes (409 if they are gone: the caller's transaction then
    rolls back the deal with it), both audited.

    The reservation comes last: its conditional ``UPDATE`` locks the lot's row until the
    transaction commits, and every other buyer of the lot waits for that lock, so the deal's
    row, its audit event and the parties' notices are written before it, not under it (the
    deal's foreign key takes a share lock that the update does not wait for). Under the mixed
    trading load (bench/bench_trading_mix.py) buys queued ≈ 1.2 s on their lot's lock.
    """
    q = terms.quantity
    take = Take(q.total_t, q.tonnes_per_month, q.term_months, terms.delivery_from)
    await check_deal_parties(session, listing.organization_id, buyer.org_id, q.total_t)
    await check_eligible(session, buyer.org_id, listing, take, at)
    source = terms.extra.get("source", "deal")
    deal = Deal(
        listing_id=listing.id or 0,
        bid_id=bid_id,
        tender_id=tender_id,
        demand_id=buyer.demand_id,
        seller_org_id=listing.organization_id,
        buyer_org_id=buyer.org_id,
        seller_site_id=listing.site_id,
        buyer_site_id=buyer.site_id,
        material_code=listing.material_code,
        use=buyer.use,
        quantity_t=terms.quantity.total_t,
        price_cny_t=terms.price_cny_t,
        tonnes_per_month=terms.quantity.tonnes_per_month,
        term_months=terms.quantity.term_months,
        shortfall=terms.quantity.shortfall,
        delivery_from=terms.delivery_from,
        delivery_until=terms.delivery_until,
        terms=dict(terms.extra),
        created_by_user_id=actor.user_id,
    )
    session.add(deal)
    await session.flush()
    await record(session, "deal", deal.id, "created", actor, None, snapshot(deal, DEAL_FIELDS))
    await notices.deal_created(session, deal)
    battery = (await catalogue.get_material(session, listing.material_code)).battery
    await reserve(session, listing, terms.quantity.total_t, actor, source)
    if battery:  # only a battery lot has packs; after the lot's lock, as on every path
        await packs.claim_for_deal(session, listing, deal.id or 0, buyer.org_id, actor.user_id, at)
    return deal


async def readable_deal(session: AsyncSession, viewer: User, deal_id: int) -> Deal:
    """A deal the viewer is a party to (or any, for regulators); otherwise 404."""
    deal = await session.get(Deal, deal_id)
    if deal is not None and (
        sees_everything(viewer)
        or {deal.seller_org_id, deal.buyer_org_id} & await member_org_ids(session, viewer)
    ):
        return deal
    raise NotFound(f"deal {deal_id} does not exist")


async def list_deals(
    session: AsyncSession,
    viewer: User,
    *,
    status: str | None,
    listing_id: int | None,
    page: int,
    page_size: int,
) -> tuple[list[Deal], int]:
    """One page of the deals the viewer is a party to (regulators: all), newest first, and
    how many there are in all."""
    if status is not None and status not in DEAL_STATUSES:
        raise Invalid("status", f"must be one of {', '.join(DEAL_STATUSES)}")
    conds: list[Any] = []
    if not sees_everything(viewer):
        mine = await member_org_ids(session, viewer)
        conds.append(or_(col(Deal.seller_org_id).in_(mine), col(Deal.buyer_org_id).in_(mine)))
    if status is not None:
        conds.append(Deal.status == status)
    if listing_id is not None:
        conds.append(Deal.listing_id == listing_id)
    stmt = (
        select(Deal)
        .where(*conds)
        .order_by(col(Deal.id).desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    )
    total = (await session.exec(select(func.count()).select_from(Deal).where(*conds))).one()
    return list((await session.exec(stmt)).all()), total


async def settle_short(
    session: AsyncSession, user: User, deal_id: int, now: datetime | None = None
) -> Deal:
    """End a deal before all its tonnes arrived, by either party (members of the seller or
    the buyer; regulators read deals but do not trade). Either side may find it cannot
    deliver or take the rest; whose call it was is in the audit trail, and any compensation
    is between the parties. The deal becomes ``completed`` with what was delivered, or
    ``cancelled`` when nothing was, and the tonnes it still held go back to the listing in
    the same transaction. 409 while a load is in transit: receive it first, so no tonne is
    released that is on a lorry. The deal row is locked, as by a dispatch, so the two
    cannot interleave."""
    now = now or datetime.now(UTC)
    deal = await readable_deal(session, user, deal_id)
    mine = await member_org_ids(session, user)
    if not {deal.seller_org_id, deal.buyer_org_id} & mine:
        raise Forbidden("only the seller or the buyer can close a deal")
    org = deal.seller_org_id if deal.seller_org_id in mine else deal.buyer_org_id
    locked = select(Deal).where(Deal.id == deal_id).with_for_update()
    deal = (await session.exec(locked.execution_options(populate_existing=True))).one()
    if deal.status != "active":
        raise Conflict(f"deal {deal_id} is already {deal.status}")
    in_transit = (
        await session.exec(
            select(Shipment.id).where(Shipment.deal_id == deal_id, Shipment.status == "dispatched")
        )
    ).all()
    if in_transit:
        raise Conflict(
            f"deal {deal_id} has {len(in_transit)} load(s) in transit; "
            "confirm their receipt before closing it"
        )
    actor = Actor(user.id, org)
    held = max(deal.quantity_t - deal.delivered_t, Decimal(0))
    await release(session, deal.listing_id, held, actor, f"deal {deal_id} closed")
    await packs.release_for_deal(
        session, deal_id, deal.listing_id, deal.seller_org_id, actor.user_id
    )
    before = {"status": deal.status, "delivered_t": deal.delivered_t}
    deal.status = "completed" if deal.delivered_t > 0 else "cancelled"
    deal.completed_at = now if deal.status == "completed" else None
    session.add(deal)
    await session.flush()
    after = {"status": deal.status, "delivered_t": deal.delivered_t, "released_t": held}
    await record(session, "deal", deal_id, "closed_short", actor, before, after)
    return deal
