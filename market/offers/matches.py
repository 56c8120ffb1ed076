"""Matching for the service: database rows in, ``matching`` results out (compliance of one
listing is in :mod:`market.offers.compliance`).

The pure matcher needs a spatial index of the open rows of one material. Building it costs
a query over those rows, so each process keeps the index per material and side in a
:class:`BookCache`. Every request asks a cheap version query (count, latest change, tonnes
taken); when it says the rows changed, the cache fetches only the rows changed since the
latest ``updated_at`` its book has seen and applies them to the book (new and changed rows
added or replaced, rows no longer open removed: :meth:`matching.engine.DemandBook.apply`),
so a change is matched on every worker at its next request without rebuilding the index.
Once the changes applied pass ``rebuild_fraction`` of its rows they are merged into new
trees in memory (:meth:`matching.engine.DemandBook.compacted`). The book is rebuilt from the
database after ``ttl`` seconds (the MIIT flag carries no timestamp) or when rows disappeared
(the count fell). For a hazardous or battery material the version also covers permits recorded and
deals made (:func:`market.accounts.permit_use.version`), and a change there rebuilds the
book, since those decide who may take the lot: the demands' permit kinds are the
eligibility rule's own data (valid on China's date, capacity left this year), so the
matcher proposes nothing :mod:`market.trading.eligibility` refuses. Requests then touch
only the candidates the index returns.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from market.accounts import permit_use
from market.accounts.access import member_org_ids, sees_everything
from market.accounts.models import Organization, Site, User
from market.catalogue import service as catalogue
from market.catalogue.models import Material
from market.core import decimals as dec
from market.core.errors import Forbidden, Invalid
from market.core.settings import Settings
from market.offers.common import DEMANDS, LISTINGS, OfferKind, readable
from market.offers.compliance import (
    compliance_view,
    limits_of_requirements,
    requirement_limits,
)
from market.offers.listings import spec_from_json
from market.offers.models import Demand, Listing
from market.offers.privacy import OfferT, approximate, demand_views, listing_views
from market.offers.schemas import DemandMatchOut, ListingMatchOut
from matching.compliance import combine
from matching.engine import DemandBook, SupplyBook
from matching.model import Demand as MDemand
from matching.model import Match
from matching.model import Supply as MSupply
from matching.scoring import DemandColumns, MatchSettings, permit_masks_by_org

MAX_LIMIT = 100


def match_settings(settings: Settings) -> MatchSettings:
    return MatchSettings(
        freight_cny_per_t_km=settings.freight_cny_per_t_km, circuity=float(settings.circuity)
    )


# --- rows → matching's plain data ----------------------------------------------------


def to_supply(
    listing: Listing, site: Site, material: Material, *, rounded: bool = False
) -> MSupply:
    """``rounded``: place the lot where other organisations see it (0.01°, about 1 km), so
    distances and delivered costs shown to buyers cannot pin an anonymous site down."""
    assert listing.id is not None
    lon, lat = approximate(site.lon, site.lat) if rounded else (site.lon, site.lat)
    return MSupply(
        id=listing.id,
        org_id=listing.organization_id,
        material=listing.material_code,
        lon=lon,
        lat=lat,
        quantity_t=listing.available_t,
        price_cny_t=listing.price_cny_t,
        values=spec_from_json(listing.spec),
        hazardous=material.hazardous,
        # A traction-battery lot is a recycling lot (only MIIT-listed recyclers) unless it
        # says cascade use (only MIIT-listed cascade-use firms): market.trading.eligibility.
        battery_recycling=material.battery and listing.battery_use != "cascade",
        battery_cascade=material.battery and listing.battery_use == "cascade",
        hazard_code=material.hazard_code,
    )


async def _demand_objects(
    session: AsyncSession, material: str, ids: list[int] | None = None, *, rounded: bool = False
) -> list[MDemand]:
    """The demands as the matcher takes them; ``rounded``: placed where other organisations
    see them (0.01°), as :func:`to_supply` places lots, so a seller's distances cannot pin an
    anonymous buyer's site down."""
    stmt = (
        select(Demand, Site, Organization)
        .join(Site, col(Site.id) == col(Demand.site_id))
        .join(Organization, col(Organization.id) == col(Demand.organization_id))
        .where(col(Demand.material_code) == material)
    )
    stmt = (
        stmt.where(col(Demand.id).in_(ids))
        if ids is not None
        else stmt.where(col(Demand.status) == "open")
    )
    rows = (await session.exec(stmt)).all()
    # The eligibility rule's own data: valid on China's date, with capacity left this year.
    # Permits open hazardous lots only (matching.scoring.score_supplies), so a material that
    # is not hazardous needs none; grade presets only rows that name a grade. Each is a read
    # of every permit (and this year's deals) or of the material's grades, per request.
    hazardous = (await catalogue.get_material(session, material)).hazardous
    permits = await permit_use.usable_permit_kinds(session, datetime.now(UTC)) if hazardous else {}
    preset_limits = (
        {g.key: g.limits for g in await catalogue.matching_grades(session, material)}
        if any(d.grade_key for d, _, _ in rows)
        else {}
    )
    out = []
    for d, site, org in rows:
        assert d.id is not None
        limits = requirement_limits(d)
        if d.grade_key in preset_limits:
            limits = combine(preset_limits[d.grade_key], limits)
        lon, lat = approximate(site.lon, site.lat) if rounded else (site.lon, site.lat)
        out.append(
            MDemand(
                id=d.id,
                org_id=d.organization_id,
                material=d.material_code,
                lon=lon,
                lat=lat,
                quantity_t=d.quantity_t,
                max_price_cny_t=d.max_price_cny_t,
                max_haul_km=d.max_haul_km,
                limits=limits,
                permits=permits.get(d.organization_id, frozenset()),
                miit_listed=org.miit_listed,
                miit_cascade_listed=org.miit_cascade_listed,
            )
        )
    return out


def _float(v: Any) -> float:
    return np.nan if v is None else float(v)


def _column(columns: dict[str, Any], key: str, n: int) -> Any:
    """``columns[key]``, first made as ``n`` NaNs (no bound)."""
    column = columns.get(key)
    if column is None:
        column = columns[key] = np.full(n, np.nan)
    return column


async def _demand_columns(session: AsyncSession, material: str) -> DemandColumns:
    """The open demands of ``material`` as the matcher's columns, placed as other
    organisations see them (as :func:`_demand_objects` with ``rounded``), built from the
    selected columns without an ORM object or a Demand per row; the Demand of a row is made
    from its database row only when a query returns it."""
    stmt = (
        sa.select(
            *(
                col(c)
                for c in (
                    Demand.id,
                    Demand.organization_id,
                    Demand.quantity_t,
                    Demand.max_price_cny_t,
                    Demand.max_haul_km,
                    Demand.requirements,
                    Demand.grade_key,
                    Site.lon,
                    Site.lat,
                    Organization.miit_listed,
                    Organization.miit_cascade_listed,
                )
            )
        )
        .join(Site, col(Site.id) == col(Demand.site_id))
        .join(Organization, col(Organization.id) == col(Demand.organization_id))
        .where(col(Demand.material_code) == material, col(Demand.status) == "open")
    )
    rows = list((await (await session.connection()).execute(stmt)).all())
    # The eligibility rule's own data: valid on China's date, with capacity left this year.
    permits = await permit_use.usable_permit_kinds(session, datetime.now(UTC))
    presets = {g.key: g.limits for g in await catalogue.matching_grades(session, material)}
    n = len(rows)
    ids, orgs, qty, price, haul, reqs, grades, lons, lats, miit, cascade = (
        (tuple(c) for c in zip(*rows, strict=True)) if n else ((),) * 11
    )
    placed = [approximate(lon, lat) for lon, lat in zip(lons, lats, strict=True)]
    lo: dict[str, Any] = {}
    hi: dict[str, Any] = {}
    for i, req in enumerate(reqs):
        for key, b in req.items():
            for side, bound in ((lo, b.get("min")), (hi, b.get("max"))):
                if bound is not None:
                    _column(side, key, n)[i] = float(str(bound))
    grade_col = np.asarray(grades, dtype=object)
    for grade, limits in presets.items():
        rows_of = np.flatnonzero(grade_col == grade)
        if not rows_of.size:
            continue
        for key, lim in limits.items():  # the tighter bound wins (matching.compliance.combine)
            for side, bound, tighter in ((lo, lim.min, np.fmax), (hi, lim.max, np.fmin)):
                if bound is not None:
                    column = _column(side, key, n)
                    column[rows_of] = tighter(column[rows_of], float(bound))
    org_ids = np.asarray(orgs, dtype=np.int64)

    def make(row: Any) -> MDemand:
        limits = limits_of_requirements(row.requirements)
        if row.grade_key in presets:
            limits = combine(presets[row.grade_key], limits)
        lon, lat = approximate(row.lon, row.lat)
        return MDemand(
            id=row.id,
            org_id=row.organization_id,
            material=material,
            lon=lon,
            lat=lat,
            quantity_t=row.quantity_t,
            max_price_cny_t=row.max_price_cny_t,
            max_haul_km=row.max_haul_km,
            limits=limits,
            permits=permits.get(row.organization_id, frozenset()),
            miit_listed=row.miit_listed,
            miit_cascade_listed=row.miit_cascade_listed,
        )

    return DemandColumns.from_arrays(
        ids=np.asarray(ids, dtype=np.int64),
        org_ids=org_ids,
        materials=(material,),
        material_codes=np.zeros(n, dtype=np.int32),
        lons=np.fromiter((p[0] for p in placed), dtype=np.float64, count=n),
        lats=np.fromiter((p[1] for p in placed), dtype=np.float64, count=n),
        quantity=np.fromiter(map(float, qty), dtype=np.float64, count=n),
        max_price=np.fromiter(map(_float, price), dtype=np.float64, count=n),
        max_haul=np.fromiter(map(_float, haul), dtype=np.float64, count=n),
        lo=lo,
        hi=hi,
        miit=np.asarray(miit, dtype=bool),
        cascade=np.asarray(cascade, dtype=bool),
        permit_masks=permit_masks_by_org(org_ids, permits),
        records=np.fromiter(rows, dtype=object, count=n),
        make=make,
    )


async def _supply_objects(
    session: AsyncSession, material: str, ids: list[int] | None = None
) -> list[MSupply]:
    """The open lots with tonnes left (of ``ids`` only, when given), placed as others see them."""
    mat = await catalogue.get_material(session, material)
    stmt = (
        select(Listing, Site)
        .join(Site, col(Site.id) == col(Listing.site_id))
        .where(col(Listing.material_code) == material, col(Listing.status) == "open")
    )
    if ids is not None:
        stmt = stmt.where(col(Listing.id).in_(ids))
    rows = (await session.exec(stmt)).all()
    return [to_supply(lst, site, mat, rounded=True) for lst, site in rows if lst.available_t > 0]


# --- the per-process index cache ----------------------------------------------------------


@dataclass
class _Entry:
    #: The latest updated_at of the material's rows when last seen.
    version: datetime | None
    #: Eligibility data (permits, deals) the book was built with: a change rebuilds it.
    gated: tuple[Any, ...]
    built: float
    book: Any


@dataclass
class BookCache:
    """Spatial indexes of open demands / listings per material, reused across requests and
    kept current by applying the rows changed since the book last looked."""

    ttl: float = 30.0
    #: Merge the changes into a book's trees once they exceed this share of its rows.
    rebuild_fraction: float = 0.05
    #: … and this many changes.
    rebuild_min: int = 256
    _entries: dict[tuple[str, str], _Entry] = field(default_factory=dict)
    #: Whole books built from the database, change sets applied to a book instead, and
    #: books whose changes were merged into their trees.
    builds: int = 0
    updates: int = 0
    compactions: int = 0

    async def demand_book(self, session: AsyncSession, material: str) -> DemandBook:
        version = (
            await session.exec(
                select(func.max(Demand.updated_at)).where(col(Demand.material_code) == material)
            )
        ).one()
        mat = await catalogue.get_material(session, material)
        # Permits and deals decide who may take a hazardous or battery lot (capacity used up).
        gated = await permit_use.version(session) if mat.hazardous or mat.battery else ()
        return await self._get(
            ("demand", material),
            version,
            tuple(gated),
            lambda: self._build_demands(session, material),
            lambda book, since: self._update_demands(session, material, book, since),
        )

    async def supply_book(self, session: AsyncSession, material: str) -> SupplyBook:
        version = (
            await session.exec(
                select(func.max(Listing.updated_at)).where(col(Listing.material_code) == material)
            )
        ).one()
        return await self._get(
            ("supply", material),
            version,
            (),
            lambda: self._build_supplies(session, material),
            lambda book, since: self._update_supplies(session, material, book, since),
        )

    async def _get(
        self,
        key: tuple[str, str],
        version: datetime | None,
        gated: tuple[Any, ...],
        build: Callable[[], Awaitable[Any]],
        update: Callable[[Any, datetime | None], Awaitable[None]],
    ) -> Any:
        """``version``: the latest ``updated_at`` of the material's rows.

        Every write to a listing or demand (the services, the trading's stock updates, the
        dispute settlements, imports) sets ``updated_at``, so its latest value — one step down
        the (material, updated_at) index, not a count over the material's rows — tells
        whether anything changed. Rows are never deleted but by the demo purge; a deletion
        reaches the book with the ttl's rebuild, as a change the version misses does.
        """
        entry = self._entries.get(key)
        now = time.monotonic()
        if entry is not None and entry.gated == gated and now - entry.built <= self.ttl:
            if entry.version == version:
                return entry.book
            # Rows written after the latest instant seen (strictly: a bulk import writes
            # thousands in one instant). A row of that very microsecond committed after the
            # look is left to the ttl's rebuild, as a change the version misses is.
            await update(entry.book, entry.version)
            entry.version = version
            self.updates += 1
            book = entry.book
            if book.pending > max(self.rebuild_min, self.rebuild_fraction * len(book)):
                # Merge the changes into new columns and trees, in memory.
                entry.book = book.compacted()
                self.compactions += 1
            return entry.book
        entry = _Entry(version, gated, now, await build())
        self._entries[key] = entry
        self.builds += 1
        return entry.book

    async def _build_demands(self, session: AsyncSession, material: str) -> DemandBook:
        params = await catalogue.matching_parameters(session, material)
        return DemandBook(await _demand_columns(session, material), params)

    async def _build_supplies(self, session: AsyncSession, material: str) -> SupplyBook:
        params = await catalogue.matching_parameters(session, material)
        return SupplyBook(await _supply_objects(session, material), params)

    async def _update_demands(
        self, session: AsyncSession, material: str, book: DemandBook, since: datetime | None
    ) -> None:
        stmt = select(Demand.id, Demand.status).where(col(Demand.material_code) == material)
        if since is not None:
            stmt = stmt.where(col(Demand.updated_at) > since)
        changed = (await session.exec(stmt)).all()
        open_ids = [i for i, status in changed if status == "open" and i is not None]
        found = await _demand_objects(session, material, open_ids, rounded=True) if open_ids else []
        book.apply(found, [i for i, status in changed if status != "open" and i is not None])

    async def _update_supplies(
        self, session: AsyncSession, material: str, book: SupplyBook, since: datetime | None
    ) -> None:
        stmt = select(Listing.id).where(col(Listing.material_code) == material)
        if since is not None:
            stmt = stmt.where(col(Listing.updated_at) > since)
        ids = [i for i in (await session.exec(stmt)).all() if i is not None]
        found = await _supply_objects(session, material, ids) if ids else []
        kept = {s.id for s in found}
        book.apply(found, [i for i in ids if i not in kept])


# --- stamps of kept answers (market.core.response_cache) -----------------------------------


def _ungated(material_code: Any) -> Any:
    """The material is neither hazardous nor a battery: its matches hang on no permit or deal
    elsewhere (those books are rebuilt on ``permit_use.version``), so a stamp can vouch."""
    return sa.exists().where(
        col(Material.code) == material_code,
        col(Material.hazardous) == False,  # noqa: E712
        col(Material.battery) == False,  # noqa: E712
    )


def _stamp_statement(own: Any, other: Any) -> Any:
    """One row's latest change and the latest change of the other side's rows of its
    material, for one bound ``id``; no row when the material is gated."""
    book = (
        sa.select(func.max(col(other.updated_at)))
        .where(col(other.material_code) == col(own.material_code))
        .scalar_subquery()
    )
    return sa.select(col(own.updated_at), book).where(
        col(own.id) == sa.bindparam("id"), _ungated(col(own.material_code))
    )


#: Built once: they run on every match request (see _USER_FOR_TOKEN in accounts.service).
_LISTING_STAMP = _stamp_statement(Listing, Demand)
_DEMAND_STAMP = _stamp_statement(Demand, Listing)


async def listing_stamp(session: AsyncSession, listing_id: int) -> tuple[Any, ...] | None:
    """What a listing's matches were computed from, in one statement: the listing's and its
    material's demands' latest change; None when there is no such (ungated) listing."""
    row = (await session.exec(_LISTING_STAMP, params={"id": listing_id})).first()
    return None if row is None else tuple(row)


async def demand_stamp(session: AsyncSession, demand_id: int) -> tuple[Any, ...] | None:
    """As :func:`listing_stamp` for a demand's matches: the demand's and its material's
    listings' latest change (deals and deliveries change a listing's ``updated_at``)."""
    row = (await session.exec(_DEMAND_STAMP, params={"id": demand_id})).first()
    return None if row is None else tuple(row)


# --- views ------------------------------------------------------------------------------------


def match_figures(m: Match) -> dict[str, Any]:
    return {
        "road_km": dec.km(m.road_km),
        "road_distance_method": "estimate: geodesic × circuity",
        "freight_cny_t": dec.cny(m.freight_cny_t),
        "delivered_cny_t": dec.cny(m.delivered_cny_t),
        "volume_fit": m.volume_fit,
        "spec_margin": m.spec_margin,
        "score": m.score,
        "compliance": compliance_view(m.compliance),
        "explanation_zh": m.explanation_zh,
        "explanation_en": m.explanation_en,
    }


async def _party_row(
    session: AsyncSession, kind: OfferKind[OfferT], viewer: User, row_id: int, limit: int
) -> OfferT:
    """The listing or demand whose matches are asked for: only its own organisation (or
    regulators) may see them, since they reveal who else is trading."""
    if not 1 <= limit <= MAX_LIMIT:
        raise Invalid("limit", f"must be between 1 and {MAX_LIMIT}")
    row = await readable(session, kind, viewer, row_id)
    if not sees_everything(viewer) and row.organization_id not in await member_org_ids(
        session, viewer
    ):
        raise Forbidden(
            f"only members of the {kind.noun}'s organisation (or regulators) see its matches"
        )
    return row


@dataclass(frozen=True)
class MatchQuery:
    """How many matches, with whose freight rate, from which per-process index cache."""

    limit: int
    settings: Settings
    cache: BookCache


async def listing_matches(
    session: AsyncSession, viewer: User, listing_id: int, q: MatchQuery
) -> list[DemandMatchOut]:
    """The best open demand requests for a listing, best first, with why (buyers anonymised)."""
    listing = await _party_row(session, LISTINGS, viewer, listing_id, q.limit)
    site = await session.get(Site, listing.site_id)
    assert site is not None
    # Held until the book is fetched: the session's identity map holds objects weakly, and
    # the book's own look-up of the material would otherwise query it a second time.
    material = await catalogue.get_material(session, listing.material_code)
    supply = to_supply(listing, site, material)
    book = await q.cache.demand_book(session, listing.material_code)
    found = book.matches_for_supply(supply, match_settings(q.settings), q.limit)
    ids = [m.demand_id for m in found]
    views = {v.id: v for v in await demand_views(session, viewer, ids)}
    return [
        DemandMatchOut(demand=views[m.demand_id], **match_figures(m))
        for m in found
        if m.demand_id in views
    ]


async def demand_matches(
    session: AsyncSession, viewer: User, demand_id: int, q: MatchQuery
) -> list[ListingMatchOut]:
    """The best open listings for a demand request, best first, with why (producers anonymised)."""
    demand = await _party_row(session, DEMANDS, viewer, demand_id, q.limit)
    (wanted,) = await _demand_objects(session, demand.material_code, [demand_id])
    book = await q.cache.supply_book(session, demand.material_code)
    found = book.matches_for_demand(wanted, match_settings(q.settings), q.limit)
    views = {v.id: v for v in await listing_views(session, viewer, [m.supply_id for m in found])}
    return [
        ListingMatchOut(listing=views[m.supply_id], **match_figures(m))
        for m in found
        if m.supply_id in views
    ]
