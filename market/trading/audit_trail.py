"""Reading the audit trail: regulators and the parties see an entity's events, through a
lens that keeps a producer anonymous and other buyers' moves private.

Recording lives in ``market.core.audit``, which every service calls; this reader knows the
trading tables, so it sits in trading, and nothing that records imports it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from market.accounts.access import member_org_ids, sees_everything
from market.accounts.models import User
from market.core.audit_model import AUDITED_ENTITIES, AuditEvent
from market.core.errors import Forbidden, Invalid, NotFound
from market.offers.models import Listing
from market.trading.bids import visible_bid
from market.trading.models import Bid, Deal, Shipment, Tender
from market.trading.parties import dealt_listing_ids
from market.trading.schemas import AuditEventOut


async def _parties(session: AsyncSession, entity: str, entity_id: int) -> set[int]:
    """Organisations that are a party to the entity (404 when it does not exist)."""
    if entity == "listing":
        listing = await session.get(Listing, entity_id)
        if listing is None:
            raise NotFound(f"listing {entity_id} does not exist")
        buyers = await session.exec(
            select(Deal.buyer_org_id).where(Deal.listing_id == entity_id).distinct()
        )
        return {listing.organization_id, *buyers.all()}
    if entity == "bid":
        bid = await session.get(Bid, entity_id)
        if bid is None:
            raise NotFound(f"bid {entity_id} does not exist")
        return {bid.seller_org_id, bid.buyer_org_id}
    if entity == "tender":
        tender = await session.get(Tender, entity_id)
        if tender is None:
            raise NotFound(f"tender {entity_id} does not exist")
        return {tender.seller_org_id}
    deal_id = entity_id
    if entity == "shipment":
        shipment = await session.get(Shipment, entity_id)
        if shipment is None:
            raise NotFound(f"shipment {entity_id} does not exist")
        deal_id = shipment.deal_id
    deal = await session.get(Deal, deal_id)
    if deal is None:
        raise NotFound(f"{entity} {entity_id} does not exist")
    return {deal.seller_org_id, deal.buyer_org_id}


async def _bid_chain(session: AsyncSession, deal_id: int) -> list[int]:
    """The accepted offer of a deal and every offer it answered, back to the first bid."""
    deal = await session.get(Deal, deal_id)
    chain: list[int] = []
    bid_id = deal.bid_id if deal else None
    while bid_id is not None and bid_id not in chain:
        chain.append(bid_id)
        bid = await session.get(Bid, bid_id)
        bid_id = bid.parent_id if bid else None
    return chain


async def _listing_of(session: AsyncSession, entity: str, entity_id: int) -> Listing | None:
    """The listing an entity trades (every audited entity belongs to one)."""
    listing_id: int | None = None
    if entity == "listing":
        listing_id = entity_id
    elif entity == "bid":
        bid = await session.get(Bid, entity_id)
        listing_id = bid.listing_id if bid else None
    elif entity == "tender":
        tender = await session.get(Tender, entity_id)
        listing_id = tender.listing_id if tender else None
    else:
        deal_id: int | None = entity_id
        if entity == "shipment":
            shipment = await session.get(Shipment, entity_id)
            deal_id = shipment.deal_id if shipment else None
        deal = await session.get(Deal, deal_id) if deal_id is not None else None
        listing_id = deal.listing_id if deal else None
    return await session.get(Listing, listing_id) if listing_id is not None else None


#: Fields of an event's before/after that name the producer (or an offer it made).
_SELLER_FIELDS = ("seller_org_id", "offered_by_org_id")


@dataclass(frozen=True)
class _Lens:
    """What one viewer may see of a trail: the producer stays anonymous to a bidder until
    the two have a deal (as on the listing), and a buyer never sees what other buyers did."""

    seller_org_id: int | None
    #: Regulators, members of the producer and buyers with a deal on the listing.
    sees_seller: bool
    #: Organisations whose listing events this viewer may see; None: all of them.
    listing_actors: set[int] | None

    def shows(self, event: AuditEvent) -> bool:
        if event.entity != "listing" or self.listing_actors is None:
            return True
        return event.actor_org_id is None or event.actor_org_id in self.listing_actors

    def view(self, event: AuditEvent) -> AuditEventOut:
        view = event_view(event)
        if self.sees_seller or self.seller_org_id is None:
            return AuditEventOut.model_validate(view)
        if event.actor_org_id == self.seller_org_id:
            view["actor_org_id"] = view["actor_user_id"] = None
        for side in ("before", "after"):
            data = view[side]
            if isinstance(data, dict):
                view[side] = {
                    k: (None if k in _SELLER_FIELDS and v == self.seller_org_id else v)
                    for k, v in data.items()
                }
        return AuditEventOut.model_validate(view)


async def _lens(session: AsyncSession, viewer: User, entity: str, entity_id: int) -> _Lens:
    listing = await _listing_of(session, entity, entity_id)
    seller = listing.organization_id if listing else None
    if sees_everything(viewer) or listing is None:
        return _Lens(seller, True, None)
    mine = await member_org_ids(session, viewer)
    if seller in mine:
        return _Lens(seller, True, None)
    dealt = await dealt_listing_ids(session, mine, [listing.id or 0])
    return _Lens(seller, bool(dealt), {listing.organization_id, *mine})


async def trail(
    session: AsyncSession, viewer: User, entity: str, entity_id: int
) -> list[AuditEventOut]:
    """The events of one entity, oldest first, as the viewer may see them; for regulators
    and the parties only.

    A deal's trail also holds the events of the offers that led to it and of its shipments,
    so it tells the whole story. A bid's trail is readable exactly when the bid is
    (:func:`market.trading.bids.visible_bid`: a sealed tender bid only by its bidder while
    the tender is open), so the audit is no back door to the sealed prices. Until they have
    a deal, a bidder sees neither the producer's organisation nor who acted for it; on a
    listing's trail, anyone but the producer and regulators sees only the producer's, the
    system's and their own events (not other buyers' reservations).
    """
    if entity not in AUDITED_ENTITIES:
        raise Invalid("entity", f"must be one of {', '.join(AUDITED_ENTITIES)}")
    parties = await _parties(session, entity, entity_id)
    if not sees_everything(viewer) and not parties & await member_org_ids(session, viewer):
        raise Forbidden(f"only the parties and regulators can read the audit trail of a {entity}")
    if entity == "bid":
        await visible_bid(session, viewer, entity_id)
    cond: Any = (col(AuditEvent.entity) == entity) & (col(AuditEvent.entity_id) == entity_id)
    if entity == "deal":
        shipment_ids = select(Shipment.id).where(Shipment.deal_id == entity_id)
        cond = or_(
            cond,
            (col(AuditEvent.entity) == "bid")
            & col(AuditEvent.entity_id).in_(await _bid_chain(session, entity_id)),
            (col(AuditEvent.entity) == "shipment") & col(AuditEvent.entity_id).in_(shipment_ids),
        )
    stmt = select(AuditEvent).where(cond).order_by(col(AuditEvent.id))
    lens = await _lens(session, viewer, entity, entity_id)
    return [lens.view(e) for e in (await session.exec(stmt)).all() if lens.shows(e)]


def event_view(event: AuditEvent) -> dict[str, Any]:
    """An event's fields as the API shows them to those who may see all of it (a dict: the
    lens blanks the producer's fields in it before it becomes an :class:`AuditEventOut`)."""
    return {
        "id": event.id,
        "entity": event.entity,
        "entity_id": event.entity_id,
        "action": event.action,
        "actor_user_id": event.actor_user_id,
        "actor_org_id": event.actor_org_id,
        "at": event.at,
        "before": event.before,
        "after": event.after,
    }
