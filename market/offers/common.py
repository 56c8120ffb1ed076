"""What supply listings and demand requests share: the posting site, reading and owning,
status changes, and the steps of posting, changing and withdrawing (the nearest-first search
both offer is in :mod:`market.offers.search`).

Where the two differ (the noun in messages, the status transitions, the date window) an
:class:`OfferKind` says so; both posters are private until a deal (:mod:`market.offers.privacy`); :data:`LISTINGS` and :data:`DEMANDS`
are the two kinds. The services in ``listings.py`` and ``demands.py`` add only what is their
own (spec values and the audit trail; requirements, grade and declared use).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Generic

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Mapped
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from market.accounts.access import member_org_ids, require_member
from market.accounts.models import Site, User
from market.catalogue import service as catalogue
from market.catalogue.models import Material
from market.core.errors import Conflict, Forbidden, Invalid, NotFound
from market.offers.models import DEMAND_TRANSITIONS, LISTING_TRANSITIONS, Demand, Listing
from market.offers.privacy import OfferT, offer_context
from market.offers.schemas import OfferIn, OfferPatch


async def posting_site(session: AsyncSession, actor: User, site_id: int) -> Site:
    """The site a listing or demand is posted from; the actor must belong to its owner."""
    site = await session.get(Site, site_id)
    if site is None:
        raise Invalid("site_id", f"site {site_id} does not exist")
    await require_member(session, actor, site.organization_id)
    return site


def change_status(
    current: str, new: str, transitions: Mapping[str, frozenset[str]], what: str
) -> str:
    """Validate a status change against the allowed transitions (409 naming both states)."""
    if new not in transitions:
        raise Invalid("status", f"must be one of {', '.join(transitions)}")
    if new == current:
        return new
    if new not in transitions[current]:
        allowed = ", ".join(sorted(transitions[current])) or "none (final state)"
        raise Conflict(
            f"a {what} cannot change from {current} to {new}; allowed from {current}: {allowed}",
            errors=[{"field": "status", "reason": f"{current} → {new} is not allowed"}],
        )
    return new


def reject_nulls(changes: Mapping[str, Any], required: Sequence[str]) -> None:
    """A PATCH may omit a required field but not set it to null."""
    for name in required:
        if name in changes and changes[name] is None:
            raise Invalid(name, "may not be null")


def check_window(start: Any, end: Any, start_field: str, end_field: str) -> None:
    if start is not None and end is not None and end < start:
        raise Invalid(end_field, f"must not be before {start_field}")


KM_PER_DEG_LAT = 111.32


@dataclass(frozen=True)
class GeoFilter:
    """Nearest-first filter: a centre (WGS84) and an optional radius in km."""

    lon: float
    lat: float
    radius_km: float | None

    def bbox(self, margin_km: float = 0.0) -> tuple[float, float, float, float] | None:
        """(min lon, min lat, max lon, max lat) enclosing the radius, for an indexed pre-filter."""
        if self.radius_km is None:
            return None
        radius = self.radius_km + margin_km
        dlat = radius / KM_PER_DEG_LAT
        cos = max(math.cos(math.radians(self.lat)), 0.01)
        dlon = radius / (KM_PER_DEG_LAT * cos)
        return (self.lon - dlon, self.lat - dlat, self.lon + dlon, self.lat + dlat)


# --- the two kinds of offer ---------------------------------------------------------------


@dataclass(frozen=True)
class OfferKind(Generic[OfferT]):
    """How listings and demands differ where their services otherwise do the same."""

    model: type[OfferT]
    noun: str
    #: Whose members may change one: "only members of the {owner} can change this {noun}".
    owner: str
    transitions: Mapping[str, frozenset[str]]
    #: The (start, end) date fields; the end may not be before the start.
    window: tuple[str, str]
    #: Fields a change may leave out but not set to null.
    required: tuple[str, ...]
    #: The tonnes a minimum-quantity search compares.
    quantity: Callable[[], ColumnElement[Decimal] | Mapped[Decimal]]

    def check_window(self, row: Any) -> None:
        start, end = self.window
        check_window(getattr(row, start), getattr(row, end), start, end)


LISTINGS = OfferKind(
    model=Listing,
    noun="listing",
    owner="producer",
    transitions=LISTING_TRANSITIONS,
    window=("available_from", "available_until"),
    required=("title", "quantity_t", "cadence", "spec", "price_cny_t", "status"),
    quantity=Listing.available_sql,
)
DEMANDS = OfferKind(
    model=Demand,
    noun="demand",
    owner="requesting organisation",
    transitions=DEMAND_TRANSITIONS,
    window=("needed_from", "needed_until"),
    required=("title", "quantity_t", "cadence", "requirements", "status"),
    quantity=lambda: col(Demand.quantity_t),
)


async def fetch(session: AsyncSession, kind: OfferKind[OfferT], row_id: int) -> OfferT:
    row = await session.get(kind.model, row_id)
    if row is None:
        raise NotFound(f"{kind.noun} {row_id} does not exist")
    return row


async def readable(
    session: AsyncSession, kind: OfferKind[OfferT], viewer: User, row_id: int
) -> OfferT:
    """One the viewer may read: open ones for everybody, others for those who see it in full
    (members, regulators, and the other party of a deal on it); else 404."""
    row = await fetch(session, kind, row_id)
    if row.status == "open":
        return row
    if (await offer_context(session, viewer, row)).sees_offer_in_full(row):
        return row
    raise NotFound(f"{kind.noun} {row_id} does not exist")


async def owned(session: AsyncSession, kind: OfferKind[OfferT], actor: User, row_id: int) -> OfferT:
    """One the actor's organisation posted (403 for others who may read it)."""
    row = await readable(session, kind, actor, row_id)
    if row.organization_id not in await member_org_ids(session, actor):
        raise Forbidden(f"only members of the {kind.owner} can change this {kind.noun}")
    return row


async def posted_from(session: AsyncSession, actor: User, data: OfferIn) -> tuple[Site, Material]:
    """The site a new offer is posted from (the actor's) and its catalogue material."""
    site = await posting_site(session, actor, data.site_id)
    return site, await catalogue.material_for_input(session, data.material_code)


def offer_columns(site: Site, data: OfferIn) -> dict[str, Any]:
    """The columns every new listing and demand fills the same way."""
    return {
        "organization_id": site.organization_id,
        "site_id": data.site_id,
        "material_code": data.material_code,
        "title": data.title.strip(),
        "quantity_t": data.quantity_t,
        "cadence": data.cadence,
        "status": data.status,
    }


async def stamp(session: AsyncSession, row: Listing | Demand) -> None:
    """Mark the row changed now and write it."""
    row.updated_at = datetime.now(UTC)
    session.add(row)
    await session.flush()


async def begin_update(
    session: AsyncSession, kind: OfferKind[OfferT], actor: User, row_id: int, data: OfferPatch
) -> tuple[OfferT, dict[str, Any]]:
    """The actor's row and the fields the change sets, once the change may be made at all."""
    row = await owned(session, kind, actor, row_id)
    changes = data.model_dump(exclude_unset=True)
    reject_nulls(changes, kind.required)
    if row.status in ("closed", "withdrawn"):
        raise Invalid("status", f"a {row.status} {kind.noun} can no longer be changed")
    return row, changes


async def finish_update(
    session: AsyncSession,
    kind: OfferKind[OfferT],
    row: OfferT,
    changes: Mapping[str, Any],
    plain: Sequence[str],
    status_rule: Callable[[OfferT, str], None] | None = None,
) -> None:
    """Copy the ``plain`` fields, check the window and the status change, and write.

    ``status_rule(row, new_status)`` may refuse a change the transitions allow (a listing's
    producer may not claim what only trading decides)."""
    for name in plain:
        if name in changes:
            setattr(row, name, changes[name])
    kind.check_window(row)
    if "status" in changes:
        if status_rule is not None and changes["status"] != row.status:
            status_rule(row, changes["status"])
        row.status = change_status(row.status, changes["status"], kind.transitions, kind.noun)
    await stamp(session, row)


async def withdrawable(
    session: AsyncSession, kind: OfferKind[OfferT], actor: User, row_id: int
) -> OfferT:
    row = await owned(session, kind, actor, row_id)
    if row.status == "withdrawn":
        raise Conflict(f"{kind.noun} {row_id} is already withdrawn")
    return row
