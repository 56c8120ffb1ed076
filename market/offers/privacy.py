"""Who sees whom: the one place that turns a listing or a demand into what a viewer is shown.

Until a deal, other organisations see a listing's producer as anonymous and its site rounded
to 0.01° (about 1 km) with its district; distances from an anonymous site are measured from
that rounded point and shown in whole km, so narrowing searches cannot pin the site down.
Members of the producer, regulators (and platform admins) and buyers with a deal on the
listing see it in full.

Buyers are private the same way: a demand's organisation is anonymous and its site rounded to
other organisations, until a deal. The rule mirrors the listing side exactly: members of the
buyer, regulators, and sellers with a deal *on that demand* (a deal whose buyer named the
demand when buying or bidding) see it in full. A deal between the two organisations on
something else does not lift it: the seller knows the buyer from that deal, but not that this
request is theirs, just as a buyer with one deal does not see the producer's other lots.

The API, the pages, the matches, the map, the saved-search notifications and the bid views
all use :class:`ViewerContext`, :func:`public_listing` and :func:`public_demand`, so the rule
is written once.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import TypeVar

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from geodata.districts import DISTRICT_NAMES
from market.accounts.access import member_org_ids, sees_everything
from market.accounts.models import Organization, Site, User
from market.core import decimals as dec
from market.core import hooks
from market.offers.models import Demand, Listing
from market.offers.schemas import DemandOut, ListingOut, OrganizationRef, SiteRef

#: Decimal places of a degree an anonymous site is shown to (0.01° ≈ 1.1 km north–south).
COORD_DECIMALS = 2
ANONYMOUS_PRODUCER = "匿名生产企业 (anonymous producer)"
ANONYMOUS_BUYER = "匿名求购企业 (anonymous buyer)"

OfferT = TypeVar("OfferT", Listing, Demand)


@dataclass(frozen=True)
class ViewerContext:
    """What a viewer's view depends on: seeing everything (regulators, admins), their
    organisations, the listings one of them has a deal on as the buyer, and the demands one
    of them has a deal on as the seller."""

    everything: bool = False
    org_ids: frozenset[int] = frozenset()
    dealt_listing_ids: frozenset[int] = frozenset()
    dealt_demand_ids: frozenset[int] = frozenset()

    def sees_in_full(self, org_id: int, listing_id: int | None = None) -> bool:
        """Whether this viewer sees the organisation ``org_id``'s listing in full."""
        return self.everything or org_id in self.org_ids or listing_id in self.dealt_listing_ids

    def sees_demand_in_full(self, org_id: int, demand_id: int | None) -> bool:
        """Whether this viewer sees the organisation ``org_id``'s demand in full."""
        return self.everything or org_id in self.org_ids or demand_id in self.dealt_demand_ids

    def sees_offer_in_full(self, row: Listing | Demand) -> bool:
        """Whether this viewer sees this listing or demand in full."""
        if isinstance(row, Listing):
            return self.sees_in_full(row.organization_id, row.id)
        return self.sees_demand_in_full(row.organization_id, row.id)


#: Any other organisation without a deal: how a lot is described to a searching buyer.
ANYONE_ELSE = ViewerContext()


async def viewer_context(
    session: AsyncSession,
    viewer: User,
    listing_ids: Collection[int] = (),
    demand_ids: Collection[int] = (),
) -> ViewerContext:
    """The viewer's context for these listings and demands (the deal lookups cover only
    ``listing_ids`` and ``demand_ids``)."""
    if sees_everything(viewer):
        return ViewerContext(everything=True)
    mine = await member_org_ids(session, viewer)
    dealt = await hooks.dealt_listing_ids(session, mine, listing_ids) if listing_ids else set()
    sold = await hooks.dealt_demand_ids(session, mine, demand_ids) if demand_ids else set()
    return ViewerContext(
        org_ids=frozenset(mine),
        dealt_listing_ids=frozenset(dealt),
        dealt_demand_ids=frozenset(sold),
    )


async def offer_context(
    session: AsyncSession, viewer: User, row: Listing | Demand
) -> ViewerContext:
    """The viewer's context for this one listing or demand."""
    ids = [row.id] if row.id is not None else []
    if isinstance(row, Listing):
        return await viewer_context(session, viewer, listing_ids=ids)
    return await viewer_context(session, viewer, demand_ids=ids)


def approximate(lon: float, lat: float) -> tuple[float, float]:
    """An anonymous site's point as others are shown it."""
    return round(lon, COORD_DECIMALS), round(lat, COORD_DECIMALS)


def _organization(org: Organization) -> OrganizationRef:
    return OrganizationRef.model_validate(
        {"id": org.id, "name": org.name, "kind": org.kind, "verified": org.verified}
    )


def _anonymous(org: Organization, name: str) -> OrganizationRef:
    """Anonymous, but still marked verified or not: whether the unnamed counterparty is who
    it claims to be is what a buyer must know before trusting the lot."""
    return OrganizationRef.model_validate(
        {"id": None, "name": name, "kind": org.kind, "verified": org.verified}
    )


def _site(site: Site, org: Organization, *, exact: bool) -> SiteRef:
    district = site.district_code or org.district_code
    lon, lat = (
        (round(site.lon, 6), round(site.lat, 6)) if exact else approximate(site.lon, site.lat)
    )
    return SiteRef(
        id=site.id if exact else None,
        name=site.name if exact else None,
        address=site.address if exact else None,
        lon=lon,
        lat=lat,
        district_code=district,
        district_name=DISTRICT_NAMES.get(district or ""),
        park_code=site.park_code,
        approximate=not exact,
    )


def _shared(
    row: Listing | Demand, site: Site, org: Organization, *, exact: bool, distance_km: float | None
) -> dict[str, object]:
    """The fields listings and demands show alike; a distance to an anonymous site (measured
    from its rounded point by the search) is shown in whole km."""
    if distance_km is not None and not exact:
        distance_km = float(round(distance_km))
    anonymous = ANONYMOUS_PRODUCER if isinstance(row, Listing) else ANONYMOUS_BUYER
    return {
        "id": row.id,
        "title": row.title,
        "material_code": row.material_code,
        "quantity_t": dec.t(row.quantity_t),
        "cadence": row.cadence,
        "status": row.status,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "organization": _organization(org) if exact else _anonymous(org, anonymous),
        "site": _site(site, org, exact=exact),
        "distance_km": dec.opt_km(distance_km),
    }


def public_listing(
    listing: Listing,
    site: Site,
    org: Organization,
    viewer_context: ViewerContext,
    *,
    distance_km: float | None = None,
) -> ListingOut:
    """The listing as this viewer may see it; ``distance_km`` from a search centre."""
    full = viewer_context.sees_in_full(listing.organization_id, listing.id)
    return ListingOut.model_validate(
        _shared(listing, site, org, exact=full, distance_km=distance_km)
        | {
            "available_t": dec.t(listing.available_t),
            "reserved_t": dec.t(listing.reserved_t),
            "delivered_t": dec.t(listing.delivered_t),
            "spec": dict(listing.spec),
            "price_cny_t": dec.cny(listing.price_cny_t),
            "available_from": listing.available_from,
            "available_until": listing.available_until,
            "anonymous": not full,
        }
    )


def public_demand(
    demand: Demand,
    site: Site,
    org: Organization,
    viewer_context: ViewerContext,
    *,
    distance_km: float | None = None,
) -> DemandOut:
    """The demand request as this viewer may see it; ``distance_km`` from a search centre."""
    full = viewer_context.sees_demand_in_full(demand.organization_id, demand.id)
    return DemandOut.model_validate(
        _shared(demand, site, org, exact=full, distance_km=distance_km)
        | {
            "use": demand.use,
            "requirements": dict(demand.requirements),
            "grade": demand.grade_key,
            "max_haul_km": dec.opt_km(demand.max_haul_km),
            "max_price_cny_t": dec.opt_cny(demand.max_price_cny_t),
            "needed_from": demand.needed_from,
            "needed_until": demand.needed_until,
            "anonymous": not full,
        }
    )


async def rows_in_order(
    session: AsyncSession, model: type[OfferT], ids: list[int]
) -> list[tuple[OfferT, Site, Organization]]:
    """The rows with their site and organisation, in the order of ``ids`` (missing skipped)."""
    if not ids:
        return []
    rows = (
        await session.exec(
            select(model, Site, Organization)
            .join(Site, col(Site.id) == col(model.site_id))
            .join(Organization, col(Organization.id) == col(model.organization_id))
            .where(col(model.id).in_(ids))
        )
    ).all()
    by_id = {row[0].id: row for row in rows}
    return [by_id[i] for i in ids if i in by_id]


async def listing_views(
    session: AsyncSession,
    viewer: User,
    ids: list[int],
    distances: Mapping[int, float] | None = None,
) -> list[ListingOut]:
    """The listings as the viewer may see them, in the given order."""
    if not ids:
        return []
    rows = await rows_in_order(session, Listing, ids)
    context = await viewer_context(session, viewer, ids)
    distances = distances or {}
    return [
        public_listing(*row, context, distance_km=distances.get(row[0].id or 0)) for row in rows
    ]


async def demand_views(
    session: AsyncSession,
    viewer: User,
    ids: list[int],
    distances: Mapping[int, float] | None = None,
) -> list[DemandOut]:
    """The demand requests as the viewer may see them, in the given order."""
    if not ids:
        return []
    rows = await rows_in_order(session, Demand, ids)
    context = await viewer_context(session, viewer, demand_ids=ids)
    distances = distances or {}
    return [public_demand(*row, context, distance_km=distances.get(row[0].id or 0)) for row in rows]
