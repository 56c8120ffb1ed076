"""Who the parties to a trade are: the buyer organisation acting, its receiving site, and who
has a deal on a listing or a demand (which lifts the producer's anonymity for that buyer, and
the buyer's for that seller)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from market.accounts.access import member_org_ids
from market.accounts.models import Site, User
from market.catalogue import service as catalogue
from market.core.errors import Conflict, Forbidden, Invalid
from market.offers.demands import check_use
from market.offers.models import Demand, Listing
from market.trading.models import Bid, Deal


async def dealt_listing_ids(
    session: AsyncSession, org_ids: Collection[int], listing_ids: Collection[int]
) -> set[int]:
    """Listings among ``listing_ids`` on which one of ``org_ids`` has a deal as the buyer."""
    if not org_ids or not listing_ids:
        return set()
    stmt = select(Deal.listing_id).where(
        col(Deal.buyer_org_id).in_(org_ids), col(Deal.listing_id).in_(listing_ids)
    )
    return set((await session.exec(stmt)).all())


async def bid_listing_ids(
    session: AsyncSession, org_ids: Collection[int], listing_ids: Collection[int]
) -> set[int]:
    """Listings among ``listing_ids`` on which one of ``org_ids`` has made or received a bid
    as the buyer (counters and sealed tender bids included)."""
    if not org_ids or not listing_ids:
        return set()
    stmt = select(Bid.listing_id).where(
        col(Bid.buyer_org_id).in_(org_ids), col(Bid.listing_id).in_(listing_ids)
    )
    return set((await session.exec(stmt)).all())


async def dealt_demand_ids(
    session: AsyncSession, org_ids: Collection[int], demand_ids: Collection[int]
) -> set[int]:
    """Demands among ``demand_ids`` on which one of ``org_ids`` has a deal as the seller (a
    deal whose buyer named the demand)."""
    if not org_ids or not demand_ids:
        return set()
    stmt = select(Deal.demand_id).where(
        col(Deal.seller_org_id).in_(org_ids), col(Deal.demand_id).in_(demand_ids)
    )
    return {i for i in (await session.exec(stmt)).all() if i is not None}


async def acting_org(session: AsyncSession, user: User, organization_id: int | None) -> int:
    """The organisation the user acts for: the one named, or their only one."""
    mine = await member_org_ids(session, user)
    if organization_id is not None:
        if organization_id not in mine:
            raise Forbidden(f"you are not a member of organisation {organization_id}")
        return organization_id
    if not mine:
        raise Forbidden("you are not a member of any organisation; create or join one first")
    if len(mine) > 1:
        raise Invalid(
            "organization_id", "you belong to several organisations; say which one is buying"
        )
    return next(iter(mine))


@dataclass(frozen=True)
class Buyer:
    org_id: int
    site_id: int
    demand_id: int | None
    use: str | None


async def resolve_buyer(
    session: AsyncSession,
    user: User,
    listing: Listing,
    *,
    organization_id: int | None,
    site_id: int | None,
    demand_id: int | None,
    use: str | None,
) -> Buyer:
    """The buying organisation, its receiving site and declared use, checked.

    The site is ``site_id`` or the linked demand's site; the use is the body's or the
    demand's. A producer can never buy its own listing.
    """
    org_id = await acting_org(session, user, organization_id)
    if org_id == listing.organization_id:
        raise Conflict("this is your own organisation's listing; you cannot bid on or buy it")
    if demand_id is not None:
        demand = await session.get(Demand, demand_id)
        if demand is None or demand.organization_id != org_id:
            raise Invalid("demand_id", f"demand {demand_id} is not one of your organisation's")
        if demand.material_code != listing.material_code:
            raise Invalid(
                "demand_id",
                f"demand {demand_id} is for {demand.material_code}, "
                f"the listing offers {listing.material_code}",
            )
        if demand.status != "open":
            raise Invalid("demand_id", f"demand {demand_id} is {demand.status}, not open")
        site_id = site_id if site_id is not None else demand.site_id
        use = use if use is not None else demand.use
    if site_id is None:
        raise Invalid("site_id", "give the receiving site_id or a demand_id")
    site = await session.get(Site, site_id)
    if site is None or site.organization_id != org_id:
        raise Invalid("site_id", f"site {site_id} is not a site of the buying organisation")
    check_use(await catalogue.get_material(session, listing.material_code), use)
    return Buyer(org_id=org_id, site_id=site_id, demand_id=demand_id, use=use)
