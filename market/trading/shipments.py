"""Shipments: the producer records each load at dispatch, the receiver confirms it.

The receiver's weighbridge tonnes are what counts (see ``market.trading.models.Shipment``):
they move the listing's tonnes from reserved to delivered and complete the deal once it has
all its tonnes. A difference between the two weighbridges beyond the tolerance setting marks
the shipment ``disputed``; a load not received within the overdue setting is flagged
``overdue`` by the periodic job.

Plausibility: a lorry cannot deliver much more than it loaded, so a receipt above the
dispatched tonnes by more than :func:`max_excess_pct` (10 %, or three times the dispute
tolerance if that is larger) is refused (422) rather than recorded. For a *disputed*
receipt the deal and the listing are credited with ``min(received_t, dispatched_t)``: the
producer cannot have handed over more than it weighed out, and the buyer's heavier figure is
the very thing in dispute; within the tolerance the receiver's tonnes count as they are.
Hazardous loads get a transfer manifest (转移联单) at dispatch, numbered by the platform
unless the producer quotes the national system's number, and closed by the receipt
(:mod:`market.trading.manifests`); a disputed receipt opens a dispute that the parties or a
regulator settle (:mod:`market.trading.disputes`).
Dispatch and receipt times must lie between the deal's creation and now (each give or take
:data:`CLOCK_SKEW`), so a load cannot be booked into a month before its deal existed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from market.accounts.access import member_org_ids, sees_everything
from market.accounts.models import User
from market.catalogue import service as catalogue
from market.core import decimals as dec
from market.core.audit import SYSTEM, Actor, record, snapshot
from market.core.db import metadata
from market.core.errors import Conflict, Forbidden, Invalid, NotFound
from market.core.settings import Settings
from market.trading import disputes, manifests, notices
from market.trading.deals import readable_deal
from market.trading.models import SHIPMENT_STATUSES, Deal, Shipment
from market.trading.receipts import count_receipt
from market.trading.schedule import contract_of
from market.trading.stock import deliver

#: Clocks on lorries and weighbridges drift; a time this far ahead is still accepted.
CLOCK_SKEW = timedelta(minutes=10)
_PCT = Decimal("0.001")
#: A receipt may exceed the dispatched tonnes by at most this (or 3 × the dispute tolerance).
MAX_RECEIPT_EXCESS_PCT = Decimal("10")
SHIPMENT_FIELDS = (
    "deal_id",
    "vehicle_plate",
    "carrier",
    "manifest_no",
    "dispatched_t",
    "dispatched_at",
    "due_at",
    "status",
)
_SHIPMENTS = metadata.tables["shipments"]


@dataclass(frozen=True)
class DispatchInput:
    """A load leaving the producer: the lorry, its carrier, the manifest (hazardous waste)
    and the dispatch weighbridge's tonnes."""

    vehicle_plate: str
    carrier: str
    dispatched_t: Decimal
    manifest_no: str | None = None
    dispatched_at: datetime | None = None


async def record_shipment(
    session: AsyncSession,
    user: User,
    settings: Settings,
    deal_id: int,
    data: DispatchInput,
    now: datetime | None = None,
) -> Shipment:
    """A load leaving the producer (members of the seller only)."""
    now = now or datetime.now(UTC)
    deal = await readable_deal(session, user, deal_id)
    if deal.seller_org_id not in await member_org_ids(session, user):
        raise Forbidden("only the producer (the seller) records shipments against a deal")
    # Lock the deal (PostgreSQL) before counting what is in transit: two dispatches of one
    # deal then queue here, and the second sees the first's load instead of over-shipping.
    deal = await _locked_deal(session, deal_id)
    if deal.status != "active":
        raise Conflict(f"deal {deal_id} is {deal.status}; it takes no more shipments")
    material = await catalogue.get_material(session, deal.material_code)
    manifest = (data.manifest_no or "").strip() or None
    if manifest is not None and not material.hazardous:
        manifests.parse_number(manifest)  # the shape, at least (422 naming manifest_no)
    dispatched_at = data.dispatched_at or now
    _check_time("dispatched_at", dispatched_at, deal, now)
    _check_term(deal, dispatched_at)
    in_transit = (
        await session.exec(
            select(col(Shipment.dispatched_t)).where(
                Shipment.deal_id == deal_id, Shipment.status == "dispatched"
            )
        )
    ).all()
    remaining = deal.quantity_t - deal.delivered_t - sum(in_transit, Decimal(0))
    limit = remaining * (1 + settings.receipt_tolerance_pct / 100)
    if data.dispatched_t > limit:
        raise Conflict(
            f"only {dec.t(max(remaining, Decimal(0)))} t of deal {deal_id} remain to be shipped",
            errors=[{"field": "dispatched_t", "reason": "more than the deal has left"}],
        )
    shipment = Shipment(
        deal_id=deal_id,
        vehicle_plate=data.vehicle_plate.strip().upper(),
        carrier=data.carrier.strip(),
        manifest_no=manifest,
        dispatched_t=data.dispatched_t,
        dispatched_at=dispatched_at,
        due_at=dispatched_at + timedelta(hours=settings.shipment_overdue_hours),
        dispatched_by_user_id=user.id or 0,
    )
    session.add(shipment)
    await session.flush()
    actor = Actor(user.id, deal.seller_org_id)
    await record(
        session,
        "shipment",
        shipment.id,
        "dispatched",
        actor,
        None,
        snapshot(shipment, SHIPMENT_FIELDS),
    )
    if material.hazardous:
        await manifests.issue(session, shipment, deal, material, manifest, actor)
    await notices.shipment_dispatched(session, shipment, deal)
    return shipment


async def _locked_deal(session: AsyncSession, deal_id: int) -> Deal:
    """The deal row, locked for this transaction and re-read (not the identity map's copy)."""
    stmt = (
        select(Deal)
        .where(Deal.id == deal_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.exec(stmt)).one()


def _check_time(field: str, at: datetime, deal: Deal, now: datetime) -> None:
    """422 unless ``at`` lies between the deal's creation and now, give or take the skew."""
    if at > now + CLOCK_SKEW:
        raise Invalid(field, "is in the future")
    if at < deal.created_at - CLOCK_SKEW:
        raise Invalid(field, f"is before deal {deal.id} was made ({deal.created_at.isoformat()})")


def _check_term(deal: Deal, dispatched_at: datetime) -> None:
    """409 for a load of a standing contract dispatched after its last month (China time).
    Within the term any month may take more than its call-off: the schedule shows it as an
    overrun (:mod:`market.trading.schedule`), the deal's total still caps it."""
    contract = contract_of(deal, Decimal(0))
    if contract is not None and dispatched_at >= contract.ends_at():
        raise Conflict(
            f"deal {deal.id} is a standing contract that ended with {contract.last}; "
            "it takes no call-off after its term",
            errors=[{"field": "dispatched_at", "reason": "after the contract's term"}],
        )


def max_excess_pct(settings: Settings) -> Decimal:
    """How far (per cent) a receipt may exceed its dispatch before it is refused as
    implausible: :data:`MAX_RECEIPT_EXCESS_PCT`, or three times the dispute tolerance if
    that is larger, so there is always a band of receipts that are disputed, not refused."""
    return max(MAX_RECEIPT_EXCESS_PCT, 3 * settings.receipt_tolerance_pct)


async def visible_shipment(session: AsyncSession, user: User, shipment_id: int) -> Shipment:
    shipment = await session.get(Shipment, shipment_id)
    if shipment is None:
        raise NotFound(f"shipment {shipment_id} does not exist")
    try:
        await readable_deal(session, user, shipment.deal_id)
    except NotFound:
        raise NotFound(f"shipment {shipment_id} does not exist") from None
    return shipment


def discrepancy_pct(dispatched_t: Decimal, received_t: Decimal) -> Decimal:
    """(received − dispatched) ÷ dispatched, in per cent to three places."""
    return ((received_t - dispatched_t) / dispatched_t * 100).quantize(_PCT)


@dataclass(frozen=True)
class ReceiptInput:
    """A load's arrival: the receiving weighbridge's tonnes and when (default: now)."""

    received_t: Decimal
    received_at: datetime | None = None


async def receive(
    session: AsyncSession,
    user: User,
    settings: Settings,
    shipment_id: int,
    data: ReceiptInput,
    now: datetime | None = None,
) -> Shipment:
    """The buyer confirms a load with its own weighbridge tonnes, exactly once."""
    now = now or datetime.now(UTC)
    received_t = data.received_t
    shipment = await visible_shipment(session, user, shipment_id)
    deal = await session.get(Deal, shipment.deal_id)
    assert deal is not None
    if deal.buyer_org_id not in await member_org_ids(session, user):
        raise Forbidden("only the receiving organisation (the buyer) can confirm receipt")
    if shipment.status != "dispatched":
        raise Conflict(f"shipment {shipment_id} was already received ({shipment.status})")
    received_at = data.received_at or now
    _check_time("received_at", received_at, deal, now)
    if received_at < shipment.dispatched_at:
        raise Invalid("received_at", "is before the shipment was dispatched")
    diff = discrepancy_pct(shipment.dispatched_t, received_t)
    if diff > max_excess_pct(settings):
        limit = shipment.dispatched_t * (1 + max_excess_pct(settings) / 100)
        raise Invalid(
            "received_t",
            f"{dec.t(received_t)} t is more than {dec.t(limit)} t, the most a load dispatched "
            f"as {dec.t(shipment.dispatched_t)} t can weigh on arrival; check the weighbridge",
        )
    status = "disputed" if abs(diff) > settings.receipt_tolerance_pct else "received"
    c = _SHIPMENTS.c
    claimed = await session.exec(
        sa.update(_SHIPMENTS)
        .where(c.id == shipment_id, c.status == "dispatched")
        .values(
            status=status,
            received_t=sa.literal(received_t, _SHIPMENTS.c.received_t.type),
            received_at=received_at,
            discrepancy_pct=sa.literal(diff, _SHIPMENTS.c.discrepancy_pct.type),
            received_by_user_id=user.id,
        )
    )
    await session.refresh(shipment)
    if claimed.rowcount != 1:
        raise Conflict(f"shipment {shipment_id} was already received ({shipment.status})")
    actor = Actor(user.id, deal.buyer_org_id)
    after = snapshot(shipment, ("status", "received_t", "received_at", "discrepancy_pct"))
    await record(session, "shipment", shipment_id, status, actor, {"status": "dispatched"}, after)
    credited = min(received_t, shipment.dispatched_t) if status == "disputed" else received_t
    await count_receipt(session, deal.listing_id, deal.material_code, received_at, received_t)
    await manifests.close(session, shipment, actor, now)
    await _credit_deal(session, deal.id or 0, credited, actor, shipment_id, now)
    await notices.shipment_received(session, shipment, deal)
    if status == "disputed":
        await disputes.open_dispute(session, shipment, deal, credited, actor)
    return shipment


async def _credit_deal(
    session: AsyncSession,
    deal_id: int,
    received_t: Decimal,
    actor: Actor,
    shipment_id: int,
    now: datetime,
) -> None:
    """Count a receipt's credited tonnes on the deal (locked: receipts of one deal may race)
    and the listing; complete the deal when it has its tonnes."""
    deal = await _locked_deal(session, deal_id)
    still_reserved = max(deal.quantity_t - deal.delivered_t, Decimal(0))
    await deliver(
        session, deal.listing_id, min(received_t, still_reserved), actor, f"shipment {shipment_id}"
    )
    before = {"status": deal.status, "delivered_t": deal.delivered_t}
    deal.delivered_t += received_t
    if deal.delivered_t >= deal.quantity_t and deal.status == "active":
        deal.status = "completed"
        deal.completed_at = now
    session.add(deal)
    await session.flush()
    after = {"status": deal.status, "delivered_t": deal.delivered_t, "shipment_id": shipment_id}
    action = "completed" if deal.status == "completed" else "delivered"
    await record(session, "deal", deal_id, action, actor, before, after)


async def flag_overdue(session: AsyncSession, now: datetime | None = None) -> list[int]:
    """Flag loads not received by their due time; the ids flagged now. Periodic job."""
    now = now or datetime.now(UTC)
    due = (
        await session.exec(
            select(Shipment.id).where(
                Shipment.status == "dispatched",
                col(Shipment.overdue).is_(False),
                Shipment.due_at < now,
            )
        )
    ).all()
    flagged: list[int] = []
    c = _SHIPMENTS.c
    for shipment_id in due:
        result = await session.exec(
            sa.update(_SHIPMENTS)
            .where(c.id == shipment_id, c.status == "dispatched", c.overdue.is_(False))
            .values(overdue=True)
        )
        if result.rowcount == 1 and shipment_id is not None:
            await record(
                session,
                "shipment",
                shipment_id,
                "overdue",
                SYSTEM,
                {"overdue": False},
                {"overdue": True},
            )
            flagged.append(shipment_id)
    return flagged


async def list_shipments(
    session: AsyncSession,
    user: User,
    *,
    status: str | None,
    overdue: bool | None,
    deal_id: int | None,
    page: int,
    page_size: int,
) -> tuple[list[Shipment], int]:
    """One page of the shipments of the user's deals (regulators: all), newest first, and
    how many there are in all."""
    if status is not None and status not in SHIPMENT_STATUSES:
        raise Invalid("status", f"must be one of {', '.join(SHIPMENT_STATUSES)}")
    conds: list[Any] = []
    if not sees_everything(user):
        mine = await member_org_ids(session, user)
        conds.append(or_(col(Deal.seller_org_id).in_(mine), col(Deal.buyer_org_id).in_(mine)))
    if status is not None:
        conds.append(Shipment.status == status)
    if overdue is not None:
        conds.append(Shipment.overdue == overdue)
    if deal_id is not None:
        conds.append(Shipment.deal_id == deal_id)
    on_deal = col(Deal.id) == col(Shipment.deal_id)
    stmt = (
        select(Shipment)
        .join(Deal, on_deal)
        .where(*conds)
        .order_by(col(Shipment.id).desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    )
    count = select(func.count()).select_from(Shipment).join(Deal, on_deal).where(*conds)
    total = (await session.exec(count)).one()
    return list((await session.exec(stmt)).all()), total
