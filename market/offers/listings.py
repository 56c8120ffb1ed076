"""Supply listings: what producers offer, checked against the catalogue, and audited.

What others may see of a listing (the anonymous producer, the rounded site) is decided in
:mod:`market.offers.privacy`; the steps listings share with demands are in
:mod:`market.offers.common`. Every change is audited, and saved searches that match are
notified in the same transaction (webhooks are only queued).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from market.accounts.models import User
from market.catalogue import service as catalogue
from market.core import decimals as dec
from market.core import hooks
from market.core.audit import LISTING_FIELDS, Actor, changed, record, snapshot
from market.core.errors import Conflict, Invalid
from market.core.settings import Settings
from market.offers.common import (
    LISTINGS,
    begin_update,
    change_status,
    fetch,
    finish_update,
    offer_columns,
    owned,
    posted_from,
    readable,
    stamp,
    withdrawable,
)
from market.offers.models import LISTING_TRANSITIONS, Listing
from market.offers.privacy import listing_views
from market.offers.schemas import ListingIn, ListingOut, ListingPatch
from market.offers.search import OfferQuery, search_ids

#: Changed as given once the checks pass (spec and quantity are checked first).
PLAIN_FIELDS = ("title", "cadence", "price_cny_t", "available_from", "available_until")


def spec_to_json(values: Mapping[str, Decimal]) -> dict[str, str]:
    """Spec values as exact decimal strings (JSON numbers would round-trip through float)."""
    return {k: catalogue.fmt(v) for k, v in values.items()}


def spec_from_json(raw: Mapping[str, Any]) -> dict[str, Decimal]:
    return {k: Decimal(str(v)) for k, v in raw.items()}


def _actor(user: User, listing: Listing) -> Actor:
    return Actor(user.id, listing.organization_id)


async def create_listing(session: AsyncSession, actor: User, data: ListingIn) -> Listing:
    """Post a listing from one of the actor's sites; its spec values must fit the catalogue."""
    site, _ = await posted_from(session, actor, data)
    catalogue.check_values(
        data.spec, await catalogue.parameters(session, data.material_code), "spec"
    )
    LISTINGS.check_window(data)
    listing = Listing(
        **offer_columns(site, data),
        spec=spec_to_json(data.spec),
        price_cny_t=data.price_cny_t,
        available_from=data.available_from,
        available_until=data.available_until,
    )
    session.add(listing)
    await session.flush()
    after = snapshot(listing, LISTING_FIELDS)
    await record(session, "listing", listing.id, "created", _actor(actor, listing), None, after)
    await hooks.listing_changed(session, listing)
    return listing


async def get_listing(session: AsyncSession, listing_id: int) -> Listing:
    return await fetch(session, LISTINGS, listing_id)


async def readable_listing(session: AsyncSession, viewer: User, listing_id: int) -> Listing:
    """A listing the viewer may read: open ones for everybody, others for those who see it in
    full (members of the producer, regulators, buyers with a deal on it)."""
    return await readable(session, LISTINGS, viewer, listing_id)


#: States a listing reaches only from ``open`` (deals took its last tonne, the producer closed
#: it, or let it expire): everybody could see it then, so its state is no secret.
PAST_OPEN = frozenset({"reserved", "closed", "expired"})
_NOT_FOR_SALE = {
    "reserved": ("已售罄（全部吨数已被预订）", "sold out"),
    "closed": ("已关闭", "no longer on offer"),
    "expired": ("已过期", "no longer on offer"),
}


def not_for_sale(listing: Listing) -> Conflict:
    """The 409 a would-be buyer gets for a lot that is no longer on offer, in both languages."""
    zh, en = _NOT_FOR_SALE[listing.status]
    return Conflict(
        f"挂牌 {listing.id} {zh} · listing {listing.id} is {listing.status}: {en}",
        errors=[{"field": "status", "reason": listing.status}],
    )


async def listing_to_trade(session: AsyncSession, viewer: User, listing_id: int) -> Listing:
    """The listing a would-be buyer names (buy, bid, tender bid), as :func:`readable_listing`
    gives it, except that a lot which was open to everybody and has since sold out, closed
    or expired is a 409 naming that state: "does not exist" would be untrue, and a buyer
    racing for the last tonnes must be able to tell "too late" from "wrong id". Drafts and
    withdrawn lots (and ids that never existed) stay 404 for those who cannot read them."""
    listing = await fetch(session, LISTINGS, listing_id)
    if listing.status in PAST_OPEN:
        raise not_for_sale(listing)
    return await readable(session, LISTINGS, viewer, listing_id)


async def owned_listing(session: AsyncSession, actor: User, listing_id: int) -> Listing:
    return await owned(session, LISTINGS, actor, listing_id)


async def update_listing(
    session: AsyncSession, actor: User, listing_id: int, data: ListingPatch
) -> Listing:
    """Apply a partial update; quantity may not drop below what deals already took, and the
    status may not claim what only trading decides (see the status checks below)."""
    listing, changes = await begin_update(session, LISTINGS, actor, listing_id, data)
    before = snapshot(listing, LISTING_FIELDS)
    if "spec" in changes:
        catalogue.check_values(
            changes["spec"], await catalogue.parameters(session, listing.material_code), "spec"
        )
        listing.spec = spec_to_json(changes["spec"])
    if "quantity_t" in changes:
        taken = listing.reserved_t + listing.delivered_t
        if changes["quantity_t"] < taken:
            raise Invalid(
                "quantity_t", f"must be at least the {taken} t already reserved or delivered"
            )
        listing.quantity_t = changes["quantity_t"]
    await finish_update(session, LISTINGS, listing, changes, PLAIN_FIELDS, _producer_may_set)
    old, new = changed(before, snapshot(listing, LISTING_FIELDS))
    await record(session, "listing", listing.id, "updated", _actor(actor, listing), old, new)
    await hooks.listing_changed(session, listing)
    return listing


def _producer_may_set(listing: Listing, status: str) -> None:
    """ "reserved" means deals hold every tonne: only trading sets it, or available tonnes
    would vanish from buyers' searches. Closing early is the producer's right while no deal
    holds tonnes (what is still available simply stops being offered); with tonnes reserved
    the deals must be delivered or settled first."""
    if status == "reserved":
        raise Conflict(
            f"listing {listing.id} becomes reserved only when deals take its last tonnes",
            errors=[{"field": "status", "reason": "reserved is set by trading"}],
        )
    if status == "closed" and listing.reserved_t > 0:
        raise Conflict(
            f"listing {listing.id} has {dec.t(listing.reserved_t)} t reserved by deals; "
            "it can be closed once they are delivered or settled",
            errors=[{"field": "status", "reason": "tonnes are reserved"}],
        )


async def withdraw_listing(session: AsyncSession, actor: User, listing_id: int) -> Listing:
    listing = await withdrawable(session, LISTINGS, actor, listing_id)
    before = {"status": listing.status}
    listing.status = change_status(listing.status, "withdrawn", LISTING_TRANSITIONS, "listing")
    await stamp(session, listing)
    after = {"status": listing.status}
    await record(session, "listing", listing.id, "withdrawn", _actor(actor, listing), before, after)
    return listing


def delivered_per_km(settings: Settings) -> Decimal:
    """CNY per tonne and geodesic km: the freight rate over the road, as the matcher
    estimates it (geodesic × circuity)."""
    return settings.freight_cny_per_t_km * settings.circuity


async def search_listings(
    session: AsyncSession, viewer: User, q: OfferQuery
) -> tuple[list[ListingOut], int]:
    """Open listings (or, with ``mine``, all of the viewer's), nearest first when located."""
    ids, distances, total = await search_ids(session, LISTINGS, viewer, q)
    views = await listing_views(session, viewer, ids, distances)
    if q.delivered_per_km is not None and q.geo is not None:
        rate = q.delivered_per_km
        views = [
            v
            if v.distance_km is None
            else v.model_copy(
                update={"delivered_cny_t": dec.cny(v.price_cny_t + rate * v.distance_km)}
            )
            for v in views
        ]
    return views, total
