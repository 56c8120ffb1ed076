"""Who sees whom: the one place that turns a listing or a demand into what a viewer is shown.

Until a deal, other organisations see a listing's producer as anonymous and its site rounded
to 0.01° (about 1 km) with its district; distances from an anonymous site are measured from
that rounded point and shown in whole km, so narrowing searches cannot pin the site down.
Members of the producer, regulators (and platform admins) and buyers with a deal on the
listing see it in full. A demand is never anonymous: the buyer is the one asking.

The API, the pages, the matches, the saved-search notifications and the bid views all use
:class:`ViewerContext` and :func:`public_listing`, so the rule is written once.
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

OfferT = TypeVar("OfferT", Listing, Demand)


@dataclass(frozen=True)
class ViewerContext:
    """What a viewer's view depends on: seeing everything (regulators, admins), their
    organisations, and the listings one of them has a deal on as the buyer."""

    everything: bool = False
    org_ids: frozenset[int] = frozenset()
    dealt_listing_ids: frozenset[int] = frozenset()

    def sees_in_full(self, org_id: int, listing_id: int | None = None) -> bool:
        """Whether this viewer sees the organisation ``org_id``'s listing (or demand) in full."""
        return self.everything or org_id in self.org_ids or listing_id in self.dealt_listing_ids


#: Any other organisation without a deal: how a lot is described to a searching buyer.
ANYONE_ELSE = ViewerContext()


async def viewer_context(
    session: AsyncSession, viewer: User, listing_ids: Collection[int] = ()
) -> ViewerContext:
    """The viewer's context for these listings (the deal lookup covers only ``listing_ids``)."""
    if sees_everything(viewer):
        return ViewerContext(everything=True)
    mine = await member_org_ids(session, viewer)
    dealt = await hooks.dealt_listing_ids(session, mine, listing_ids) if listing_ids else set()
    return ViewerContext(org_ids=frozenset(mine), dealt_listing_ids=frozenset(dealt))


def approximate(lon: float, lat: float) -> tuple[float, float]:
    """An anonymous site's point as others are shown it."""
    return round(lon, COORD_DECIMALS), round(lat, COORD_DECIMALS)


def _organization(org: Organization) -> OrganizationRef:
    return OrganizationRef.model_validate({"id": org.id, "name": org.name, "kind": org.kind})


def _anonymous(org: Organization) -> OrganizationRef:
    return OrganizationRef.model_validate(
        {"id": None, "name": ANONYMOUS_PRODUCER, "kind": org.kind}
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
    """The fields listings and demands show alike."""
    return {
        "id": row.id,
        "title": row.title,
        "material_code": row.material_code,
        "quantity_t": dec.t(row.quantity_t),
        "cadence": row.cadence,
        "status": row.status,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "organization": _organization(org) if exact else _anonymous(org),
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
    if distance_km is not None and not full:
        distance_km = float(round(distance_km))
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
    demand: Demand, site: Site, org: Organization, *, distance_km: float | None = None
) -> DemandOut:
    """A demand request as everybody who may read it sees it: in full."""
    return DemandOut.model_validate(
        _shared(demand, site, org, exact=True, distance_km=distance_km)
        | {
            "use": demand.use,
            "requirements": dict(demand.requirements),
            "grade": demand.grade_key,
            "max_haul_km": dec.opt_km(demand.max_haul_km),
            "max_price_cny_t": dec.opt_cny(demand.max_price_cny_t),
            "needed_from": demand.needed_from,
            "needed_until": demand.needed_until,
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
    session: AsyncSession, ids: list[int], distances: Mapping[int, float] | None = None
) -> list[DemandOut]:
    """The demand requests, in the given order."""
    rows = await rows_in_order(session, Demand, ids)
    distances = distances or {}
    return [public_demand(*row, distance_km=distances.get(row[0].id or 0)) for row in rows]
