"""Disputed receipts and how they are settled.

A receipt whose two weighbridges differ beyond ``receipt_tolerance_pct`` is ``disputed``
(:func:`market.trading.shipments.receive`); :func:`open_dispute` then records what the deal
was credited (``min(received, dispatched)``) and tells both parties (notification and
webhook ``shipment.disputed``).

It is settled in one of two ways, each step audited on the shipment:

* **agreed**: either party proposes a tonnage (:func:`propose`; a new proposal replaces the
  pending one) and the *other* party accepts it (:func:`accept`);
* **regulator**: a regulator decides one (:func:`decide`), e.g. when the parties cannot agree.

The settled tonnes can never exceed the dispatched tonnes (the producer cannot have handed
over more than it weighed out: 422). Once settled they replace the credited tonnes in the
deal and the listing (:func:`_recount`) and in every statistic (``market.trading.receipts``
reads them); the shipment keeps status ``disputed`` and its weighbridge figures, which are
what was measured. Both parties are told (``shipment.settled``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from market.accounts.access import member_org_ids, sees_everything
from market.accounts.models import User
from market.alerts.events import SHIPMENT_DISPUTED, SHIPMENT_SETTLED, notify_all
from market.core import decimals as dec
from market.core.audit import Actor, record
from market.core.db import metadata, tonnes
from market.core.errors import Conflict, Forbidden, Invalid, NotFound
from market.offers.models import Listing
from market.trading.models import Deal, Shipment, ShipmentDispute
from market.trading.receipts import count_receipt

_LISTINGS = metadata.tables["listings"]
FIELD = "settled_t"


def _t(value: Decimal) -> sa.BindParameter[Decimal]:
    return sa.literal(value, tonnes())


def event_payload(shipment: Shipment, dispute: ShipmentDispute | None) -> dict[str, Any]:
    """What a ``shipment.*`` notification says (exact decimal strings)."""

    def text(value: Decimal | None) -> str | None:
        return None if value is None else str(dec.t(value))

    return {
        "shipment_id": shipment.id,
        "deal_id": shipment.deal_id,
        "dispute_id": dispute.id if dispute else None,
        "status": shipment.status,
        "dispatched_t": text(shipment.dispatched_t),
        "received_t": text(shipment.received_t),
        "discrepancy_pct": None
        if shipment.discrepancy_pct is None
        else str(shipment.discrepancy_pct),
        "settled_t": text(dispute.settled_t) if dispute else None,
        "method": dispute.method if dispute else None,
    }


async def open_dispute(
    session: AsyncSession, shipment: Shipment, deal: Deal, credited_t: Decimal, actor: Actor
) -> ShipmentDispute:
    """Record the dispute of a receipt just confirmed as ``disputed`` and notify both parties."""
    dispute = ShipmentDispute(
        shipment_id=shipment.id or 0, deal_id=deal.id or 0, credited_t=credited_t
    )
    session.add(dispute)
    await session.flush()
    after = {"dispute_id": dispute.id, "credited_t": credited_t, "status": "open"}
    await record(session, "shipment", shipment.id, "dispute_opened", actor, None, after)
    payload = event_payload(shipment, dispute)
    await notify_all(session, (deal.seller_org_id, deal.buyer_org_id), SHIPMENT_DISPUTED, payload)
    return dispute


async def _dispute_of(
    session: AsyncSession, viewer: User, shipment_id: int
) -> tuple[ShipmentDispute, Shipment, Deal]:
    """The shipment's dispute, if the viewer may read the shipment (404 otherwise)."""
    shipment = await session.get(Shipment, shipment_id)
    deal = await session.get(Deal, shipment.deal_id) if shipment else None
    if (
        shipment is None
        or deal is None
        or not (
            sees_everything(viewer)
            or {deal.seller_org_id, deal.buyer_org_id} & await member_org_ids(session, viewer)
        )
    ):
        raise NotFound(f"shipment {shipment_id} does not exist")
    stmt = (
        select(ShipmentDispute)
        .where(ShipmentDispute.shipment_id == shipment_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    dispute = (await session.exec(stmt)).first()
    if dispute is None:
        raise NotFound(f"shipment {shipment_id} is not disputed ({shipment.status})")
    return dispute, shipment, deal


async def get_dispute(
    session: AsyncSession, viewer: User, shipment_id: int
) -> tuple[ShipmentDispute, Shipment]:
    dispute, shipment, _ = await _dispute_of(session, viewer, shipment_id)
    return dispute, shipment


def _check_tonnes(shipment: Shipment, settled_t: Decimal) -> None:
    if settled_t > shipment.dispatched_t:
        raise Invalid(
            FIELD,
            f"{dec.t(settled_t)} t is more than the {dec.t(shipment.dispatched_t)} t dispatched; "
            "a settlement cannot exceed what left the producer",
        )


def _open(dispute: ShipmentDispute) -> None:
    if dispute.status != "open":
        raise Conflict(
            f"the dispute of shipment {dispute.shipment_id} was already settled at "
            f"{dec.t(dispute.settled_t or Decimal(0))} t"
        )


async def _party_org(session: AsyncSession, user: User, deal: Deal) -> int:
    mine = await member_org_ids(session, user)
    if deal.seller_org_id in mine:
        return deal.seller_org_id
    if deal.buyer_org_id in mine:
        return deal.buyer_org_id
    raise Forbidden("only the producer or the receiver can propose or accept a settlement")


async def propose(
    session: AsyncSession,
    user: User,
    shipment_id: int,
    settled_t: Decimal,
    note: str = "",
    now: datetime | None = None,
) -> tuple[ShipmentDispute, Shipment]:
    """A party proposes the tonnes that count; replaces any pending proposal."""
    dispute, shipment, deal = await _dispute_of(session, user, shipment_id)
    org = await _party_org(session, user, deal)
    _open(dispute)
    _check_tonnes(shipment, settled_t)
    before = {"proposed_t": dispute.proposed_t, "proposed_by_org_id": dispute.proposed_by_org_id}
    dispute.proposed_t = settled_t
    dispute.proposed_by_org_id = org
    dispute.proposed_at = now or datetime.now(UTC)
    dispute.note = note
    session.add(dispute)
    await session.flush()
    after = {"proposed_t": settled_t, "proposed_by_org_id": org, "note": note}
    actor = Actor(user.id, org)
    await record(session, "shipment", shipment_id, "settlement_proposed", actor, before, after)
    return dispute, shipment


async def accept(
    session: AsyncSession,
    user: User,
    shipment_id: int,
    expected_t: Decimal | None = None,
    now: datetime | None = None,
) -> tuple[ShipmentDispute, Shipment]:
    """The other party accepts the pending proposal; the dispute is settled at it."""
    dispute, shipment, deal = await _dispute_of(session, user, shipment_id)
    org = await _party_org(session, user, deal)
    _open(dispute)
    if dispute.proposed_t is None or dispute.proposed_by_org_id is None:
        raise Conflict(f"nobody has proposed a settlement of shipment {shipment_id} yet")
    if dispute.proposed_by_org_id == org:
        raise Forbidden("the other party must accept your proposal")
    if expected_t is not None and expected_t != dispute.proposed_t:
        raise Conflict(
            f"the proposal is now {dec.t(dispute.proposed_t)} t, not {dec.t(expected_t)} t",
            errors=[{"field": FIELD, "reason": "the proposal changed"}],
        )
    await _settle(
        session, Actor(user.id, org), dispute, shipment, deal, dispute.proposed_t, "agreed", now
    )
    return dispute, shipment


async def decide(
    session: AsyncSession,
    user: User,
    shipment_id: int,
    settled_t: Decimal,
    note: str = "",
    now: datetime | None = None,
) -> tuple[ShipmentDispute, Shipment]:
    """A regulator settles the dispute (the API's guard admits regulators only)."""
    if not sees_everything(user):
        raise Forbidden("only regulators can decide a dispute")
    dispute, shipment, deal = await _dispute_of(session, user, shipment_id)
    _open(dispute)
    _check_tonnes(shipment, settled_t)
    dispute.note = note or dispute.note
    await _settle(
        session, Actor(user.id, None), dispute, shipment, deal, settled_t, "regulator", now
    )
    return dispute, shipment


async def _settle(
    session: AsyncSession,
    actor: Actor,
    dispute: ShipmentDispute,
    shipment: Shipment,
    deal: Deal,
    settled_t: Decimal,
    method: str,
    now: datetime | None,
) -> None:
    now = now or datetime.now(UTC)
    before = {"status": "open", "credited_t": dispute.credited_t}
    dispute.status = "settled"
    dispute.settled_t = settled_t
    dispute.method = method
    dispute.settled_by_user_id = actor.user_id
    dispute.settled_at = now
    session.add(dispute)
    await session.flush()
    after = {"status": "settled", "settled_t": settled_t, "method": method}
    await record(session, "shipment", shipment.id, "settled", actor, before, after)
    # The statistics count the settled tonnes instead of the receiver's weighbridge.
    assert shipment.received_t is not None and shipment.received_at is not None
    await count_receipt(
        session,
        deal.listing_id,
        deal.material_code,
        shipment.received_at,
        settled_t - shipment.received_t,
    )
    await _recount(
        session, deal.id or 0, settled_t - dispute.credited_t, actor, shipment.id or 0, now
    )
    payload = event_payload(shipment, dispute)
    await notify_all(session, (deal.seller_org_id, deal.buyer_org_id), SHIPMENT_SETTLED, payload)


async def _recount(
    session: AsyncSession,
    deal_id: int,
    delta: Decimal,
    actor: Actor,
    shipment_id: int,
    now: datetime,
) -> None:
    """Replace a load's credited tonnes by its settled tonnes in the deal and the listing.

    The deal's ``delivered_t`` moves by ``delta``. The listing counts at most the deal's
    quantity as delivered for it, so it moves by the change of ``min(delivered, quantity)``:
    for an active deal those tonnes move between reserved and delivered (the deal still holds
    them); for a deal already completed or closed they move between available and delivered.
    An active deal that now has all its tonnes completes.
    """
    if delta == 0:
        return
    locked = select(Deal).where(Deal.id == deal_id).with_for_update()
    deal = (await session.exec(locked.execution_options(populate_existing=True))).one()
    old, new = deal.delivered_t, deal.delivered_t + delta
    shift = min(new, deal.quantity_t) - min(old, deal.quantity_t)
    await _shift_listing(
        session, deal.listing_id, shift, deal.status == "active", actor, shipment_id
    )
    before = {"status": deal.status, "delivered_t": old}
    deal.delivered_t = new
    if deal.status == "active" and new >= deal.quantity_t:
        deal.status = "completed"
        deal.completed_at = now
    session.add(deal)
    await session.flush()
    after = {"status": deal.status, "delivered_t": new, "shipment_id": shipment_id}
    await record(session, "deal", deal_id, "settled", actor, before, after)


async def _shift_listing(
    session: AsyncSession,
    listing_id: int,
    shift: Decimal,
    held: bool,
    actor: Actor,
    shipment_id: int,
) -> None:
    """Move ``shift`` tonnes into (or, negative, out of) the listing's delivered tonnes, from
    its reserved tonnes when ``held`` (else from what is available), in one conditional
    UPDATE; the status follows (closed when all is delivered, reserved when nothing is
    available, open otherwise; a withdrawn or expired lot keeps its status)."""
    if shift == 0:
        return
    c = _LISTINGS.c
    row = select(Listing).where(Listing.id == listing_id).with_for_update()
    listing = (await session.exec(row.execution_options(populate_existing=True))).one()
    before = {
        "status": listing.status,
        "reserved_t": listing.reserved_t,
        "delivered_t": listing.delivered_t,
    }
    delivered = c.delivered_t + _t(shift)
    reserved = c.reserved_t - _t(shift) if held else c.reserved_t
    status = sa.case(
        (c.status.not_in(("open", "reserved", "closed")), c.status),
        (sa.and_(delivered == c.quantity_t, reserved == _t(Decimal(0))), "closed"),
        (c.quantity_t - reserved - delivered == _t(Decimal(0)), "reserved"),
        else_="open",
    )
    guard = (
        reserved >= _t(Decimal(0))
        if held
        else c.quantity_t - reserved - delivered >= _t(Decimal(0))
    )
    result = await session.exec(
        sa.update(_LISTINGS)
        .where(c.id == listing_id, delivered >= _t(Decimal(0)), guard)
        .values(
            delivered_t=delivered, reserved_t=reserved, status=status, updated_at=datetime.now(UTC)
        )
    )
    if result.rowcount != 1:
        raise Conflict(
            f"listing {listing_id} has no {dec.t(abs(shift))} t left to count for this settlement"
        )
    await session.refresh(listing)
    after = {
        "status": listing.status,
        "reserved_t": listing.reserved_t,
        "delivered_t": listing.delivered_t,
        "for": f"shipment {shipment_id} settled",
    }
    await record(session, "listing", listing_id, "settled", actor, before, after)
