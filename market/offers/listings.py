"""Supply listings: what producers offer, and who may see whom.

Privacy: until a deal, other organisations see a listing's producer as anonymous, the site
rounded to about 1 km (0.01°) and its district; members of the producer, regulators and
buyers with a deal on the listing see it in full. Every change is audited.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from geodata.districts import DISTRICT_NAMES
from market.accounts.access import member_org_ids, sees_everything
from market.accounts.models import Organization, Site, User
from market.catalogue import service as catalogue
from market.core import decimals as dec
from market.core import hooks
from market.core.audit import LISTING_FIELDS, Actor, changed, record, snapshot
from market.core.errors import Conflict, Forbidden, Invalid, NotFound
from market.offers.common import (
    GeoFilter,
    change_status,
    check_window,
    nearest_page,
    posting_site,
    reject_nulls,
)
from market.offers.models import CADENCES, LISTING_TRANSITIONS, Listing

INITIAL_STATUSES = ("draft", "open")


def spec_to_json(values: Mapping[str, Decimal]) -> dict[str, str]:
    """Spec values as exact decimal strings (JSON numbers would round-trip through float)."""
    return {k: catalogue.fmt(v) for k, v in values.items()}


def spec_from_json(raw: Mapping[str, Any]) -> dict[str, Decimal]:
    return {k: Decimal(str(v)) for k, v in raw.items()}


async def create_listing(
    session: AsyncSession,
    actor: User,
    *,
    site_id: int,
    material_code: str,
    quantity_t: Decimal,
    cadence: str,
    spec: Mapping[str, Decimal],
    price_cny_t: Decimal,
    available_from: date | None = None,
    available_until: date | None = None,
    status: str = "open",
    title: str = "",
) -> Listing:
    site = await posting_site(session, actor, site_id)
    await catalogue.material_for_input(session, material_code)
    catalogue.check_values(spec, await catalogue.parameters(session, material_code), "spec")
    if cadence not in CADENCES:
        raise Invalid("cadence", f"must be one of {', '.join(CADENCES)}")
    if status not in INITIAL_STATUSES:
        raise Invalid("status", "a new listing starts as draft or open")
    check_window(available_from, available_until, "available_from", "available_until")
    listing = Listing(
        organization_id=site.organization_id,
        site_id=site_id,
        material_code=material_code,
        title=title.strip(),
        quantity_t=quantity_t,
        cadence=cadence,
        spec=spec_to_json(spec),
        price_cny_t=price_cny_t,
        available_from=available_from,
        available_until=available_until,
        status=status,
    )
    session.add(listing)
    await session.flush()
    after = snapshot(listing, LISTING_FIELDS)
    await record(session, "listing", listing.id, "created", _actor(actor, listing), None, after)
    # Saved searches that match are notified in this transaction; webhooks are only queued.
    await hooks.listing_changed(session, listing)
    return listing


def _actor(user: User, listing: Listing) -> Actor:
    return Actor(user.id, listing.organization_id)


async def get_listing(session: AsyncSession, listing_id: int) -> Listing:
    listing = await session.get(Listing, listing_id)
    if listing is None:
        raise NotFound(f"listing {listing_id} does not exist")
    return listing


async def readable_listing(session: AsyncSession, viewer: User, listing_id: int) -> Listing:
    """A listing the viewer may read: open ones for everybody, others for owners/regulators."""
    listing = await get_listing(session, listing_id)
    if listing.status == "open" or sees_everything(viewer):
        return listing
    mine = await member_org_ids(session, viewer)
    if listing.organization_id in mine or await hooks.dealt_listing_ids(
        session, mine, [listing_id]
    ):
        return listing
    raise NotFound(f"listing {listing_id} does not exist")


async def owned_listing(session: AsyncSession, actor: User, listing_id: int) -> Listing:
    listing = await readable_listing(session, actor, listing_id)
    if listing.organization_id not in await member_org_ids(session, actor):
        raise Forbidden("only members of the producer can change this listing")
    return listing


async def update_listing(
    session: AsyncSession, actor: User, listing_id: int, changes: Mapping[str, Any]
) -> Listing:
    """Apply a partial update; quantity may not drop below what deals already took, and the
    status may not claim what only trading decides (see the status checks below)."""
    listing = await owned_listing(session, actor, listing_id)
    before = snapshot(listing, LISTING_FIELDS)
    reject_nulls(changes, ("title", "quantity_t", "cadence", "spec", "price_cny_t", "status"))
    if listing.status in ("closed", "withdrawn"):
        raise Invalid("status", f"a {listing.status} listing can no longer be changed")
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
    if "cadence" in changes:
        if changes["cadence"] not in CADENCES:
            raise Invalid("cadence", f"must be one of {', '.join(CADENCES)}")
        listing.cadence = changes["cadence"]
    for name in ("title", "price_cny_t", "available_from", "available_until"):
        if name in changes:
            setattr(listing, name, changes[name])
    check_window(
        listing.available_from, listing.available_until, "available_from", "available_until"
    )
    if "status" in changes and changes["status"] != listing.status:
        # "reserved" means deals hold every tonne: only trading sets it, or available tonnes
        # would vanish from buyers' searches. Closing early is the producer's right while no
        # deal holds tonnes (what is still available simply stops being offered); with
        # tonnes reserved the deals must be delivered or settled first.
        if changes["status"] == "reserved":
            raise Conflict(
                f"listing {listing.id} becomes reserved only when deals take its last tonnes",
                errors=[{"field": "status", "reason": "reserved is set by trading"}],
            )
        if changes["status"] == "closed" and listing.reserved_t > 0:
            raise Conflict(
                f"listing {listing.id} has {dec.t(listing.reserved_t)} t reserved by deals; "
                "it can be closed once they are delivered or settled",
                errors=[{"field": "status", "reason": "tonnes are reserved"}],
            )
    if "status" in changes:
        listing.status = change_status(
            listing.status, changes["status"], LISTING_TRANSITIONS, "listing"
        )
    listing.updated_at = datetime.now(UTC)
    session.add(listing)
    await session.flush()
    old, new = changed(before, snapshot(listing, LISTING_FIELDS))
    await record(session, "listing", listing.id, "updated", _actor(actor, listing), old, new)
    await hooks.listing_changed(session, listing)
    return listing


async def withdraw_listing(session: AsyncSession, actor: User, listing_id: int) -> Listing:
    listing = await owned_listing(session, actor, listing_id)
    if listing.status == "withdrawn":
        raise Conflict(f"listing {listing_id} is already withdrawn")
    before = {"status": listing.status}
    listing.status = change_status(listing.status, "withdrawn", LISTING_TRANSITIONS, "listing")
    listing.updated_at = datetime.now(UTC)
    session.add(listing)
    await session.flush()
    after = {"status": listing.status}
    await record(session, "listing", listing.id, "withdrawn", _actor(actor, listing), before, after)
    return listing


@dataclass(frozen=True)
class ListingQuery:
    material: str | None
    geo: GeoFilter | None
    min_quantity_t: Decimal | None
    mine: bool
    page: int
    page_size: int


async def search_listings(
    session: AsyncSession, viewer: User, q: ListingQuery
) -> tuple[list[dict[str, Any]], int]:
    """Open listings (or, with ``mine``, all of the viewer's), nearest first when located."""
    conds: list[Any] = []
    if q.mine:
        conds.append(Listing.organization_id.in_(await member_org_ids(session, viewer)))  # type: ignore[attr-defined]
    else:
        conds.append(Listing.status == "open")
    if q.material:
        conds.append(Listing.material_code == q.material)
    if q.min_quantity_t is not None:
        conds.append(Listing.available_sql() >= q.min_quantity_t)
    ids, dist, total = await nearest_page(
        session,
        Listing.id,
        conds,
        q.geo,
        Listing.created_at,
        q.page,
        q.page_size,
        owner_column=Listing.organization_id,
        exact_orgs=None if sees_everything(viewer) else await member_org_ids(session, viewer),
    )
    views = await listing_views(session, viewer, ids, dist)
    return views, total


async def listing_views(
    session: AsyncSession,
    viewer: User,
    ids: list[int],
    distances: Mapping[int, float] | None = None,
) -> list[dict[str, Any]]:
    """Views of the given listings, in the given order, with privacy applied."""
    if not ids:
        return []
    rows = (
        await session.exec(
            select(Listing, Site, Organization)
            .join(Site, Site.id == Listing.site_id)  # type: ignore[arg-type]
            .join(Organization, Organization.id == Listing.organization_id)  # type: ignore[arg-type]
            .where(Listing.id.in_(ids))  # type: ignore[union-attr]
        )
    ).all()
    mine = await member_org_ids(session, viewer)
    everything = sees_everything(viewer)
    dealt = await hooks.dealt_listing_ids(session, mine, ids)
    by_id = {
        row[0].id: listing_view(
            *row,
            full=everything or row[0].organization_id in mine or row[0].id in dealt,
            distance_km=(distances or {}).get(row[0].id or 0),
        )
        for row in rows
    }
    return [by_id[i] for i in ids if i in by_id]


def listing_view(
    listing: Listing, site: Site, org: Organization, *, full: bool, distance_km: float | None = None
) -> dict[str, Any]:
    district = site.district_code or org.district_code
    view: dict[str, Any] = {
        "id": listing.id,
        "title": listing.title,
        "material_code": listing.material_code,
        "quantity_t": dec.t(listing.quantity_t),
        "available_t": dec.t(listing.available_t),
        "reserved_t": dec.t(listing.reserved_t),
        "delivered_t": dec.t(listing.delivered_t),
        "cadence": listing.cadence,
        "spec": dict(listing.spec),
        "price_cny_t": dec.cny(listing.price_cny_t),
        "available_from": listing.available_from,
        "available_until": listing.available_until,
        "status": listing.status,
        "created_at": listing.created_at,
        "updated_at": listing.updated_at,
        "anonymous": not full,
    }
    if full:
        view["organization"] = {"id": org.id, "name": org.name, "kind": org.kind}
        view["site"] = {
            "id": site.id,
            "name": site.name,
            "address": site.address,
            "lon": round(site.lon, 6),
            "lat": round(site.lat, 6),
            "district_code": district,
            "district_name": DISTRICT_NAMES.get(district or ""),
            "park_code": site.park_code,
        }
    else:
        view["organization"] = {
            "id": None,
            "name": "匿名生产企业 (anonymous producer)",
            "kind": org.kind,
        }
        view["site"] = {
            "id": None,
            "name": None,
            "address": None,
            "lon": round(site.lon, 2),
            "lat": round(site.lat, 2),
            "district_code": district,
            "district_name": DISTRICT_NAMES.get(district or ""),
            "park_code": site.park_code,
            "approximate": True,
        }
    if distance_km is not None:
        view["distance_km"] = dec.km(distance_km)
    return view
