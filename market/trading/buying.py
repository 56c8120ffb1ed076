"""Taking a listing at its asking price: a deal at once, no negotiation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlmodel.ext.asyncio.session import AsyncSession

from market.accounts.models import User
from market.core.audit import Actor
from market.offers.common import check_window
from market.trading.deals import (
    Terms,
    create_deal,
    quantity_of,
    refuse_if_tendered,
    tradable_listing,
)
from market.trading.models import Deal
from market.trading.parties import resolve_buyer


@dataclass(frozen=True)
class BuyInput:
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


async def buy(session: AsyncSession, user: User, listing_id: int, data: BuyInput) -> Deal:
    """A deal at the listing's price for the quantity asked (409 if it is no longer there)."""
    listing = await tradable_listing(session, user, listing_id)
    await refuse_if_tendered(session, listing_id)
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
    terms = Terms(
        price_cny_t=listing.price_cny_t,
        quantity=qty,
        delivery_from=data.delivery_from,
        delivery_until=data.delivery_until,
        extra={"source": "buy"},
    )
    return await create_deal(session, Actor(user.id, buyer.org_id), listing, buyer, terms)
