"""What the API shows of bids, deals, shipments and tenders: the response models, built here.

Bids: the buyer is never anonymous (it is the one asking), but the seller stays anonymous to
a bidder until the two have a deal, as on the listing itself. Deals: both parties in full.
Tenders: the reserve price is the producer's secret (and the regulator's).
"""

from __future__ import annotations

from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from datetime import UTC, datetime
from decimal import Decimal

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from market.accounts.models import Organization, Site, User
from market.core import decimals as dec
from market.core.audit_model import AuditEvent
from market.offers.privacy import viewer_context
from market.trading.models import Bid, Deal, Shipment, ShipmentDispute, Tender
from market.trading.schedule import contract_of, schedule
from market.trading.schemas import (
    BidOut,
    CallOffOut,
    DealDetailOut,
    DealOut,
    DealPartyOut,
    DealSiteOut,
    ShipmentOut,
    TenderOut,
)


def _opt_t(value: Decimal | None) -> Decimal | None:
    return None if value is None else dec.t(value)


async def bid_views(
    session: AsyncSession, viewer: User, rows: Sequence[tuple[Bid, Tender | None]]
) -> list[BidOut]:
    # The same rule as the listing itself: market.offers.privacy.
    context = await viewer_context(session, viewer, {b.listing_id for b, _ in rows})
    parties = {b.buyer_org_id for b, _ in rows} | {b.seller_org_id for b, _ in rows}
    verified = set(
        (
            await session.exec(
                select(Organization.id).where(
                    col(Organization.id).in_(parties), col(Organization.verified).is_(True)
                )
            )
        ).all()
    )
    now = datetime.now(UTC)
    views = []
    for bid, tender in rows:
        full = context.sees_in_full(bid.seller_org_id, bid.listing_id)
        views.append(bid_view(bid, tender, show_seller=full, now=now, verified=verified))
    return views


def bid_view(
    bid: Bid,
    tender: Tender | None,
    *,
    show_seller: bool,
    now: datetime | None = None,
    verified: AbstractSet[int | None] = frozenset(),
) -> BidOut:
    """``verified``: the ids of the verified organisations among the bid's parties."""
    now = now or datetime.now(UTC)
    status = bid.status
    if status == "pending" and bid.tender_id is None and bid.expires_at <= now:
        status = "expired"
    return BidOut.model_validate(
        {
            "id": bid.id,
            "kind": "counter" if bid.parent_id else "bid",
            "listing_id": bid.listing_id,
            "tender_id": bid.tender_id,
            "tender_closes_at": tender.closes_at if tender else None,
            "parent_id": bid.parent_id,
            "buyer_org_id": bid.buyer_org_id,
            "seller_org_id": bid.seller_org_id if show_seller else None,
            "buyer_verified": bid.buyer_org_id in verified,
            "seller_verified": bid.seller_org_id in verified,
            "offered_by": "buyer" if bid.offered_by_org_id == bid.buyer_org_id else "seller",
            "buyer_site_id": bid.buyer_site_id,
            "demand_id": bid.demand_id,
            "use": bid.use,
            "quantity_t": dec.t(bid.quantity_t),
            "price_cny_t": dec.cny(bid.price_cny_t),
            "tonnes_per_month": _opt_t(bid.tonnes_per_month),
            "term_months": bid.term_months,
            "shortfall": bid.shortfall,
            "delivery_from": bid.delivery_from,
            "delivery_until": bid.delivery_until,
            "expires_at": bid.expires_at,
            "status": status,
            "note": bid.note,
            "created_at": bid.created_at,
            "updated_at": bid.updated_at,
        }
    )


def _org(org: Organization | None) -> DealPartyOut | None:
    return None if org is None else DealPartyOut.model_validate(org)


def _site(site: Site | None) -> DealSiteOut | None:
    if site is None:
        return None
    return DealSiteOut.model_validate(
        {
            "id": site.id,
            "name": site.name,
            "address": site.address,
            "lon": round(site.lon, 6),
            "lat": round(site.lat, 6),
            "district_code": site.district_code,
        }
    )


async def deal_views(session: AsyncSession, deals: Sequence[Deal]) -> list[DealOut]:
    """Deals with both parties and both sites in full (the viewer is a party or regulator)."""
    if not deals:
        return []
    org_ids = {d.seller_org_id for d in deals} | {d.buyer_org_id for d in deals}
    site_ids = {d.seller_site_id for d in deals} | {d.buyer_site_id for d in deals}
    orgs = {
        o.id: o
        for o in (
            await session.exec(select(Organization).where(col(Organization.id).in_(org_ids)))
        ).all()
    }
    sites = {
        s.id: s for s in (await session.exec(select(Site).where(col(Site.id).in_(site_ids)))).all()
    }
    return [
        DealOut.model_validate(
            {
                "id": d.id,
                "listing_id": d.listing_id,
                "bid_id": d.bid_id,
                "tender_id": d.tender_id,
                "demand_id": d.demand_id,
                "seller": _org(orgs.get(d.seller_org_id)),
                "buyer": _org(orgs.get(d.buyer_org_id)),
                "seller_site": _site(sites.get(d.seller_site_id)),
                "buyer_site": _site(sites.get(d.buyer_site_id)),
                "material_code": d.material_code,
                "use": d.use,
                "quantity_t": dec.t(d.quantity_t),
                "delivered_t": dec.t(d.delivered_t),
                "price_cny_t": dec.cny(d.price_cny_t),
                "tonnes_per_month": _opt_t(d.tonnes_per_month),
                "term_months": d.term_months,
                "shortfall": d.shortfall,
                "delivery_from": d.delivery_from,
                "delivery_until": d.delivery_until,
                "terms": dict(d.terms),
                "status": d.status,
                "created_at": d.created_at,
                "completed_at": d.completed_at,
            }
        )
        for d in deals
    ]


async def deal_detail(
    session: AsyncSession, deal: Deal, tolerance_pct: Decimal = Decimal(0)
) -> DealDetailOut:
    """One deal as :func:`deal_views` shows it, with its shipments oldest first and, for a
    standing contract, its schedule (an overrun is beyond ``tolerance_pct``, the weighbridge
    tolerance setting)."""
    (view,) = await deal_views(session, [deal])
    stmt = select(Shipment).where(Shipment.deal_id == deal.id).order_by(col(Shipment.id))
    rows = list((await session.exec(stmt)).all())
    calls = await deal_schedule(session, deal, rows, tolerance_pct)
    return DealDetailOut(**dict(view), shipments=[shipment_view(s) for s in rows], schedule=calls)


async def deal_schedule(
    session: AsyncSession, deal: Deal, loads: Sequence[Shipment], tolerance_pct: Decimal
) -> list[CallOffOut]:
    """The call-offs of a standing contract (none for a one-off deal), from its received
    loads at the tonnes the deal was credited (settled, else as credited at receipt)."""
    contract = contract_of(deal, tolerance_pct)
    if contract is None:
        return []
    disputes = {
        d.shipment_id: d
        for d in (
            await session.exec(select(ShipmentDispute).where(ShipmentDispute.deal_id == deal.id))
        ).all()
    }
    receipts: list[tuple[datetime, Decimal]] = []
    for load in loads:
        if load.received_t is None or load.received_at is None:
            continue
        dispute = disputes.get(load.id or 0)
        credited = load.received_t
        if dispute is not None:
            credited = dispute.settled_t if dispute.settled_t is not None else dispute.credited_t
        receipts.append((load.received_at, credited))
    calls = schedule(contract, receipts, datetime.now(UTC), await _ended_at(session, deal))
    return [
        CallOffOut.model_validate(
            {
                "month": str(c.month),
                "due_t": dec.t(c.due_t),
                "delivered_t": dec.t(c.delivered_t),
                "shortfall_t": dec.t(c.shortfall_t),
                "overrun_t": dec.t(c.overrun_t),
                "carried_in_t": dec.t(c.carried_in_t),
                "remaining_t": dec.t(c.remaining_t),
                "status": c.status,
            }
        )
        for c in calls
    ]


async def _ended_at(session: AsyncSession, deal: Deal) -> datetime | None:
    """When a deal that is no longer active ended: completed, or closed with nothing
    delivered (a cancelled deal has no ``completed_at``; its closing is in the audit trail)."""
    if deal.status == "active":
        return None
    if deal.completed_at is not None:
        return deal.completed_at
    stmt = select(AuditEvent.at).where(AuditEvent.entity == "deal", AuditEvent.entity_id == deal.id)
    return (await session.exec(stmt.order_by(col(AuditEvent.id).desc()))).first()


def shipment_view(s: Shipment) -> ShipmentOut:
    return ShipmentOut.model_validate(
        {
            "id": s.id,
            "deal_id": s.deal_id,
            "vehicle_plate": s.vehicle_plate,
            "carrier": s.carrier,
            "manifest_no": s.manifest_no,
            "dispatched_t": dec.t(s.dispatched_t),
            "dispatched_at": s.dispatched_at,
            "due_at": s.due_at,
            "received_t": _opt_t(s.received_t),
            "received_at": s.received_at,
            "discrepancy_pct": s.discrepancy_pct,
            "status": s.status,
            "overdue": s.overdue,
        }
    )


def tender_view(tender: Tender, *, with_reserve: bool) -> TenderOut:
    reserve = dec.cny(tender.reserve_price_cny_t) if with_reserve else None
    return TenderOut.model_validate(
        {
            "id": tender.id,
            "listing_id": tender.listing_id,
            "quantity_t": dec.t(tender.quantity_t),
            "reserve_price_cny_t": reserve,
            "closes_at": tender.closes_at,
            "status": tender.status,
            "outcome": tender.outcome,
            "winning_bid_id": tender.winning_bid_id,
            "deal_id": tender.deal_id,
            "closed_at": tender.closed_at,
        }
    )
