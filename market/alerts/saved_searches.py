"""Saved searches, and turning a new or changed listing into notifications.

:func:`listing_changed` runs inside the request that posted or changed the listing, in the
same transaction: a notification exists exactly when the listing version it describes does.
It does no network I/O; webhook deliveries are only *queued* here (``pending``) and sent by
:mod:`market.alerts.delivery`, so a slow receiver can never slow the producer down.

Matching rules (a saved search matches an open listing when all hold):

* same material, search active, and the search belongs to another organisation;
* the listing's site lies within ``radius_km`` (geodesic) of the search's site: sites are
  pre-filtered in SQL by a bounding box of the largest candidate radius, then measured;
* the listing's price is at most ``max_price_cny_t`` when one is set;
* the spec does not *fail* the requirements merged with the grade's limits (tighter bound
  wins, :func:`matching.compliance.combine`). Missing values make the verdict
  ``incomplete``: that still notifies, and the payload names what is missing, because a
  buyer would rather ask for a test result than miss the lot. A grade the administrator has
  since deleted matches nothing (its limits are unknown, and guessing would spam).

A search is told about one listing *version* once: the version is a fingerprint of what a
buyer judges (site, spec, price), so editing a title or topping up the quantity does not
notify again, while a lower price or a new test result does.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from geodata.distance import geodesic_km_many
from market.accounts.access import member_org_ids, sees_everything
from market.accounts.models import Organization, Site, User
from market.alerts.models import Notification, SavedSearch, WebhookDelivery
from market.alerts.schemas import SavedSearchIn
from market.catalogue import service as catalogue
from market.core import decimals as dec
from market.core.columns import utcnow
from market.core.errors import Forbidden, NotFound
from market.offers.common import GeoFilter, posting_site
from market.offers.demands import check_requirements, requirements_from_json
from market.offers.demands import requirements_to_json as requirements_json
from market.offers.models import Listing
from market.offers.privacy import ANYONE_ELSE, approximate, public_listing
from market.offers.schemas import bounds
from matching.compliance import Compliance, check, combine
from matching.specs import Limit

LISTING_MATCH = "listing_match"
#: Source named on limits that come from the buyer's own requirements.
BUYER_SOURCE = "saved search"


# --- saved searches ---------------------------------------------------------------------


async def create_saved_search(
    session: AsyncSession, actor: User, data: SavedSearchIn
) -> SavedSearch:
    """Save a search around one of the actor's organisation's sites (422/403 as for demands)."""
    site = await posting_site(session, actor, data.site_id)
    await catalogue.material_for_input(session, data.material_code)
    requirements = bounds(data.requirements)
    await check_requirements(session, data.material_code, requirements, data.grade)
    search = SavedSearch(
        organization_id=site.organization_id,
        site_id=data.site_id,
        material_code=data.material_code,
        radius_km=data.radius_km,
        requirements=requirements_json(requirements),
        grade_key=data.grade,
        max_price_cny_t=data.max_price_cny_t,
        created_by_user_id=actor.id,
    )
    session.add(search)
    await session.flush()
    return search


async def visible_searches(session: AsyncSession, viewer: User) -> list[SavedSearch]:
    """The viewer's organisations' searches (regulators and admins: everybody's)."""
    stmt = select(SavedSearch).order_by(col(SavedSearch.id).desc())
    if not sees_everything(viewer):
        stmt = stmt.where(
            col(SavedSearch.organization_id).in_(await member_org_ids(session, viewer))
        )
    return list((await session.exec(stmt)).all())


async def delete_saved_search(session: AsyncSession, actor: User, search_id: int) -> None:
    """Members delete their organisation's searches; past notifications stay (search = null).

    A search of another organisation is reported as not existing (searches are private:
    a 403 would confirm the id); a regulator, who may read it, gets 403.
    """
    search = await session.get(SavedSearch, search_id)
    mine = await member_org_ids(session, actor)
    if search is None or (search.organization_id not in mine and not sees_everything(actor)):
        raise NotFound(f"saved search {search_id} does not exist")
    if search.organization_id not in mine:
        raise Forbidden("only members of the searching organisation can delete this search")
    await session.delete(search)
    await session.flush()


# --- evaluation -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Candidate:
    search: SavedSearch
    site: Site
    org: Organization


def listing_fingerprint(listing: Listing) -> str:
    """SHA-256 over what a buyer judges a lot by: the version notifications are deduped on."""
    basis = {
        "site_id": listing.site_id,
        "spec": {k: str(v) for k, v in sorted(listing.spec.items())},
        "price_cny_t": str(dec.cny(listing.price_cny_t)),
    }
    return hashlib.sha256(json.dumps(basis, sort_keys=True).encode()).hexdigest()


async def listing_changed(session: AsyncSession, listing: Listing) -> int:
    """Notify every saved search the (open) listing now matches; returns how many were told.

    Call after the listing is flushed, in the same transaction. Searches already told about
    this listing version are skipped, so calling it twice is harmless.
    """
    if listing.status != "open" or listing.id is None:
        return 0
    listing_site = await session.get(Site, listing.site_id)
    if listing_site is None:
        return 0
    candidates = await _nearby_candidates(session, listing, listing_site)
    if not candidates:
        return 0
    producer = await session.get(Organization, listing.organization_id)
    assert producer is not None
    fingerprint = listing_fingerprint(listing)
    told = set(
        (
            await session.exec(
                select(Notification.saved_search_id).where(
                    Notification.listing_id == listing.id,
                    Notification.listing_fingerprint == fingerprint,
                    col(Notification.saved_search_id).in_([c.search.id for c, _ in candidates]),
                )
            )
        ).all()
    )
    spec = {k: Decimal(str(v)) for k, v in listing.spec.items()}
    grades = {g.key: g for g in await catalogue.matching_grades(session, listing.material_code)}
    created = 0
    for cand, distance in candidates:
        search = cand.search
        if search.id in told:
            continue
        if search.max_price_cny_t is not None and listing.price_cny_t > search.max_price_cny_t:
            continue
        limits = search_limits(search, grades)
        if limits is None:
            continue
        compliance = check(spec, limits)
        if compliance.verdict == "fails":
            continue
        payload = match_payload(listing, listing_site, producer, search, distance, compliance)
        await _notify(session, cand.org, search, listing, fingerprint, payload)
        created += 1
    return created


async def _nearby_candidates(
    session: AsyncSession, listing: Listing, here: Site
) -> list[tuple[_Candidate, float]]:
    """Active searches of other organisations for this material whose radius reaches here."""
    base: list[ColumnElement[bool]] = [
        col(SavedSearch.material_code) == listing.material_code,
        col(SavedSearch.active).is_(True),
        col(SavedSearch.organization_id) != listing.organization_id,
    ]
    widest = (await session.exec(select(func.max(SavedSearch.radius_km)).where(*base))).one()
    if widest is None:
        return []
    box = GeoFilter(lon=here.lon, lat=here.lat, radius_km=float(widest)).bbox()
    assert box is not None
    rows = (
        await session.exec(
            select(SavedSearch, Site, Organization)
            .join(Site, col(Site.id) == SavedSearch.site_id)
            .join(Organization, col(Organization.id) == SavedSearch.organization_id)
            .where(
                *base,
                col(Site.lon).between(box[0], box[2]),
                col(Site.lat).between(box[1], box[3]),
            )
            .order_by(col(SavedSearch.id))
        )
    ).all()
    if not rows:
        return []
    lons = np.fromiter((r[1].lon for r in rows), dtype=np.float64, count=len(rows))
    lats = np.fromiter((r[1].lat for r in rows), dtype=np.float64, count=len(rows))
    # Measured from the listing's rounded point in whole km, as other organisations see it,
    # so tiny-radius searches cannot locate an anonymous site.
    dist = np.round(geodesic_km_many(*approximate(here.lon, here.lat), lons, lats))
    return [
        (_Candidate(s, site, org), float(d))
        for (s, site, org), d in zip(rows, dist, strict=True)
        if d <= float(s.radius_km)
    ]


def search_limits(search: SavedSearch, grades: Mapping[str, Any]) -> dict[str, Limit] | None:
    """The search's requirements merged with its grade's limits; None if the grade is gone."""
    own = {
        key: Limit(min=lo, max=hi, source=BUYER_SOURCE, confirmed=True)
        for key, (lo, hi) in requirements_from_json(search.requirements).items()
    }
    if search.grade_key is None:
        return own
    grade = grades.get(search.grade_key)
    if grade is None:
        return None
    return combine(grade.limits, own)


def match_payload(
    listing: Listing,
    site: Site,
    producer: Organization,
    search: SavedSearch,
    distance_km: float,
    compliance: Compliance,
) -> dict[str, Any]:
    """What the buyer is told: the lot as any other organisation may see it (producer
    anonymous, site to ~1 km: :func:`market.offers.privacy.public_listing`), the distance
    from its own site and the spec verdict."""
    shown = public_listing(listing, site, producer, ANYONE_ELSE)
    return {
        "saved_search_id": search.id,
        "distance_km": str(dec.km(distance_km)),
        "spec_verdict": compliance.verdict,
        "missing_parameters": [p.key for p in compliance.unknown],
        "unconfirmed_limits": not compliance.all_confirmed,
        "listing": {
            "id": shown.id,
            "title": shown.title,
            "material_code": shown.material_code,
            "available_t": str(shown.available_t),
            "cadence": shown.cadence,
            "price_cny_t": str(shown.price_cny_t),
            "spec": shown.spec,
            "available_from": _iso(shown.available_from),
            "available_until": _iso(shown.available_until),
            "updated_at": _iso(shown.updated_at),
            "site": shown.site.model_dump(include={"lon", "lat", "district_code", "approximate"}),
        },
    }


def _iso(value: Any) -> str | None:
    return None if value is None else str(value.isoformat())


async def _notify(
    session: AsyncSession,
    org: Organization,
    search: SavedSearch,
    listing: Listing,
    fingerprint: str,
    payload: dict[str, Any],
) -> Notification:
    assert org.id is not None
    note = Notification(
        organization_id=org.id,
        kind=LISTING_MATCH,
        listing_id=listing.id,
        saved_search_id=search.id,
        listing_fingerprint=fingerprint,
        payload=payload,
    )
    session.add(note)
    await session.flush()
    if org.webhook_url:
        assert note.id is not None
        session.add(
            WebhookDelivery(
                organization_id=org.id,
                notification_id=note.id,
                event=note.kind,
                url=org.webhook_url,
                body=webhook_body(note),
                next_attempt_at=note.created_at,
            )
        )
        await session.flush()
    return note


def webhook_body(note: Notification) -> str:
    """The JSON text POSTed (and signed) for a notification; compact, keys sorted, UTF-8."""
    doc = {
        "event": note.kind,
        "notification_id": note.id,
        "organization_id": note.organization_id,
        "created_at": note.created_at.isoformat(),
        "data": note.payload,
    }
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


# --- notifications ----------------------------------------------------------------------


async def visible_notifications(
    session: AsyncSession, viewer: User, *, unread: bool | None, page: int, page_size: int
) -> tuple[list[Notification], int]:
    """Newest first: the viewer's organisations' notifications; regulators see everybody's."""
    conds: list[Any] = []
    if not sees_everything(viewer):
        conds.append(col(Notification.organization_id).in_(await member_org_ids(session, viewer)))
    if unread is True:
        conds.append(col(Notification.read_at).is_(None))
    elif unread is False:
        conds.append(col(Notification.read_at).is_not(None))
    total = (await session.exec(select(func.count()).select_from(Notification).where(*conds))).one()
    rows = (
        await session.exec(
            select(Notification)
            .where(*conds)
            .order_by(col(Notification.created_at).desc(), col(Notification.id).desc())
            .offset((page - 1) * page_size)
            .limit(page_size)
        )
    ).all()
    return list(rows), int(total)


async def mark_read(
    session: AsyncSession, actor: User, notification_id: int, now: datetime | None = None
) -> Notification:
    """Mark read for the organisation; idempotent (the first reading time is kept).

    Regulators may read every notification but not mark another organisation's as read.
    """
    note = await session.get(Notification, notification_id)
    mine = await member_org_ids(session, actor)
    if note is None or (note.organization_id not in mine and not sees_everything(actor)):
        raise NotFound(f"notification {notification_id} does not exist")
    if note.organization_id not in mine:
        raise Forbidden("only members of the notified organisation can mark it read")
    if note.read_at is None:
        note.read_at = now or utcnow()
        session.add(note)
        await session.flush()
    return note
