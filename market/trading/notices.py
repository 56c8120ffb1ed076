"""What each trading event tells whom: the payloads of the ``bid.*``, ``tender.*``,
``deal.created`` and ``shipment.*`` notifications, raised through
:func:`market.alerts.events.notify` by the service where the event happens, in its
transaction (the webhook is only queued there, never sent).

Payloads carry ids, tonnes and prices as exact decimal strings, and dates as ISO text. They
never name an organisation: a bidder must not learn the producer from a ``bid.*`` or
``tender.*`` event before a deal, so the listing in them is described as any other
organisation sees it (:func:`market.offers.privacy.public_listing` with ``ANYONE_ELSE``:
producer anonymous, site to about 1 km). Who is told:

* ``bid.received``: the seller, for an open (not sealed tender) bid;
* ``bid.accepted`` / ``bid.rejected`` / ``bid.countered``: whoever made the offer answered
  (the bidder, or for a counter-offer its maker), so a counter reaches its receiver;
* ``tender.won`` / ``tender.lost``: each bidder of a closed tender;
* ``deal.created``: both parties; ``shipment.dispatched``: the buyer; ``shipment.received``:
  the producer (``shipment.disputed`` / ``settled``: :mod:`market.trading.disputes`).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from market.accounts.models import Organization, Site
from market.alerts import events
from market.core import decimals as dec
from market.offers.models import Listing
from market.offers.privacy import ANYONE_ELSE, public_listing
from market.trading.disputes import event_payload
from market.trading.models import Bid, Deal, Shipment, Tender


def _t(value: Decimal | None) -> str | None:
    return None if value is None else str(dec.t(value))


def _cny(value: Decimal) -> str:
    return str(dec.cny(value))


def _iso(value: date | datetime | None) -> str | None:
    return None if value is None else value.isoformat()


async def listing_brief(session: AsyncSession, listing_id: int) -> dict[str, Any]:
    """The listing as any other organisation sees it (no producer, site rounded)."""
    listing = await session.get(Listing, listing_id)
    assert listing is not None
    site = await session.get(Site, listing.site_id)
    org = await session.get(Organization, listing.organization_id)
    assert site is not None and org is not None
    shown = public_listing(listing, site, org, ANYONE_ELSE)
    return {
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
    }


async def bid_payload(
    session: AsyncSession, bid: Bid, deal_id: int | None = None
) -> dict[str, Any]:
    """What a ``bid.*`` event says about the offer ``bid`` (for a counter: the new offer)."""
    return {
        "bid_id": bid.id,
        "parent_id": bid.parent_id,
        "listing_id": bid.listing_id,
        "status": bid.status,
        "offered_by": "buyer" if bid.offered_by_org_id == bid.buyer_org_id else "seller",
        "quantity_t": _t(bid.quantity_t),
        "price_cny_t": _cny(bid.price_cny_t),
        "tonnes_per_month": _t(bid.tonnes_per_month),
        "term_months": bid.term_months,
        "delivery_from": _iso(bid.delivery_from),
        "delivery_until": _iso(bid.delivery_until),
        "expires_at": _iso(bid.expires_at),
        "deal_id": deal_id,
        "listing": await listing_brief(session, bid.listing_id),
    }


async def bid_received(session: AsyncSession, bid: Bid) -> None:
    """Tell the seller of a new open bid (a sealed tender bid stays sealed until the close)."""
    if bid.tender_id is None:
        payload = await bid_payload(session, bid)
        await events.notify(session, bid.seller_org_id, events.BID_RECEIVED, payload)


async def bid_answered(
    session: AsyncSession, bid: Bid, kind: str, offer: Bid | None = None, deal_id: int | None = None
) -> None:
    """Tell the maker of ``bid`` it was accepted, rejected or countered (by ``offer``)."""
    payload = await bid_payload(session, offer or bid, deal_id)
    await events.notify(session, bid.offered_by_org_id, kind, payload)


async def tender_result(session: AsyncSession, tender: Tender, bid: Bid, deal: Deal | None) -> None:
    """Tell a tender's bidder whether its bid won (with the deal) or lost; never the other
    bids' prices."""
    won = deal is not None and deal.bid_id == bid.id
    payload = {
        "tender_id": tender.id,
        "bid_id": bid.id,
        "listing_id": tender.listing_id,
        "result": "won" if won else "lost",
        "quantity_t": _t(bid.quantity_t),
        "price_cny_t": _cny(bid.price_cny_t),
        "deal_id": deal.id if won and deal else None,
        "closed_at": _iso(tender.closed_at),
        "listing": await listing_brief(session, tender.listing_id),
    }
    kind = events.TENDER_WON if won else events.TENDER_LOST
    await events.notify(session, bid.buyer_org_id, kind, payload)


async def deal_created(session: AsyncSession, deal: Deal) -> None:
    """Tell both parties of a new deal and its terms."""
    payload = {
        "deal_id": deal.id,
        "listing_id": deal.listing_id,
        "bid_id": deal.bid_id,
        "tender_id": deal.tender_id,
        "source": str(deal.terms.get("source", "deal")),
        "material_code": deal.material_code,
        "quantity_t": _t(deal.quantity_t),
        "price_cny_t": _cny(deal.price_cny_t),
        "tonnes_per_month": _t(deal.tonnes_per_month),
        "term_months": deal.term_months,
        "delivery_from": _iso(deal.delivery_from),
        "delivery_until": _iso(deal.delivery_until),
    }
    orgs = (deal.seller_org_id, deal.buyer_org_id)
    await events.notify_all(session, orgs, events.DEAL_CREATED, payload)


async def shipment_dispatched(session: AsyncSession, shipment: Shipment, deal: Deal) -> None:
    """Tell the receiver (the buyer) a load is on its way."""
    payload = event_payload(shipment, None)
    await events.notify(session, deal.buyer_org_id, events.SHIPMENT_DISPATCHED, payload)


async def shipment_received(session: AsyncSession, shipment: Shipment, deal: Deal) -> None:
    """Tell the producer its load arrived (status ``received`` or ``disputed``; a dispute
    also raises ``shipment.disputed`` to both parties)."""
    payload = event_payload(shipment, None)
    await events.notify(session, deal.seller_org_id, events.SHIPMENT_RECEIVED, payload)
