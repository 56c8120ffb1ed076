"""Hook points where a lower domain lets a higher one act, without importing it.

Offers must tell alerts when a listing changes (saved searches are notified in the same
transaction), and a listing's (or demand's) privacy depends on whether the viewer has a deal
on it, which trading knows. Importing either from offers would make a circle (alerts and trading both
build on offers), so offers calls a hook here and the higher domain connects to it when its
package is imported (``market.tables`` imports every domain, and the app and CLI import it).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

ListingChanged = Callable[[AsyncSession, Any], Awaitable[object]]
DealtListings = Callable[[AsyncSession, Collection[int], Collection[int]], Awaitable[set[int]]]
DealtDemands = DealtListings
BidListings = DealtListings

_listing_changed: list[ListingChanged] = []
_dealt_listings: list[DealtListings] = []
_dealt_demands: list[DealtDemands] = []
_bid_listings: list[BidListings] = []


def on_listing_changed(fn: ListingChanged) -> ListingChanged:
    """Register ``fn(session, listing)``, awaited after a listing is created or changed."""
    if fn not in _listing_changed:
        _listing_changed.append(fn)
    return fn


def provide_dealt_listings(fn: DealtListings) -> DealtListings:
    """Register ``fn(session, org_ids, listing_ids)``: the listings the orgs have a deal on."""
    if fn not in _dealt_listings:
        _dealt_listings.append(fn)
    return fn


def provide_dealt_demands(fn: DealtDemands) -> DealtDemands:
    """Register ``fn(session, org_ids, demand_ids)``: the demands the orgs have a deal on as
    the seller."""
    if fn not in _dealt_demands:
        _dealt_demands.append(fn)
    return fn


def provide_bid_listings(fn: BidListings) -> BidListings:
    """Register ``fn(session, org_ids, listing_ids)``: the listings the orgs have bid on."""
    if fn not in _bid_listings:
        _bid_listings.append(fn)
    return fn


async def listing_changed(session: AsyncSession, listing: Any) -> None:
    for fn in _listing_changed:
        await fn(session, listing)


async def dealt_listing_ids(
    session: AsyncSession, org_ids: Collection[int], listing_ids: Collection[int]
) -> set[int]:
    """Listings among ``listing_ids`` on which one of ``org_ids`` has a deal as the buyer.

    With no provider connected nobody has a deal, which errs towards anonymity.
    """
    found: set[int] = set()
    for fn in _dealt_listings:
        found |= await fn(session, org_ids, listing_ids)
    return found


async def dealt_demand_ids(
    session: AsyncSession, org_ids: Collection[int], demand_ids: Collection[int]
) -> set[int]:
    """Demands among ``demand_ids`` on which one of ``org_ids`` has a deal as the seller.

    With no provider connected nobody has a deal, which errs towards anonymity.
    """
    found: set[int] = set()
    for fn in _dealt_demands:
        found |= await fn(session, org_ids, demand_ids)
    return found


async def bid_listing_ids(
    session: AsyncSession, org_ids: Collection[int], listing_ids: Collection[int]
) -> set[int]:
    """Listings among ``listing_ids`` on which one of ``org_ids`` has bid as the buyer (any
    bid, whatever became of it): such a buyer is a party to the listing's lab reports.

    With no provider connected nobody has bid, which errs towards showing less.
    """
    found: set[int] = set()
    for fn in _bid_listings:
        found |= await fn(session, org_ids, listing_ids)
    return found
