"""Reserving and delivering a listing's tonnes without ever selling one twice.

Each change is a single conditional ``UPDATE`` whose ``WHERE`` re-checks what is available in
the database at that instant (not what this request read a moment earlier): on PostgreSQL the
row lock serialises concurrent updates and the loser re-evaluates the condition against the
winner's committed row; on SQLite writers are serialised anyway. A row count of 0 means "not
possible now", which is reported as a 409 saying why. The CHECK constraint
``reserved_t + delivered_t <= quantity_t`` is the last line of defence.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from market.core import decimals as dec
from market.core.audit import Actor, record
from market.core.db import metadata, tonnes
from market.core.errors import Conflict
from market.offers.models import Listing

_LISTINGS = metadata.tables["listings"]


def _t(value: Decimal) -> sa.BindParameter[Decimal]:
    """Tonnes bound through ScaledDecimal (kg), never as a raw decimal against kg columns."""
    return sa.literal(value, tonnes())


#: What a reservation reads back of the row it changed (its tonnes, status and version).
_RETURNED = ("quantity_t", "reserved_t", "delivered_t", "status", "updated_at")


async def reserve(
    session: AsyncSession, listing: Listing, quantity: Decimal, actor: Actor, reason: str
) -> None:
    """Reserve ``quantity`` on an open listing, or raise 409 (nothing changed).

    The listing becomes ``reserved`` when this takes its last available tonne.
    """
    c = _LISTINGS.c
    available = Listing.available_sql()
    stmt = (
        sa.update(_LISTINGS)
        .where(c.id == listing.id, c.status == "open", available >= _t(quantity))
        .values(
            reserved_t=c.reserved_t + _t(quantity),
            status=sa.case((available == _t(quantity), "reserved"), else_=c.status),
            updated_at=datetime.now(UTC),
        )
        # The row as changed, in the same round trip: from here to the commit the row is
        # locked and every other buyer of the lot waits (see deals.create_deal).
        .returning(*(c[name] for name in _RETURNED))
    )
    changed = (await session.exec(stmt)).first()
    if changed is not None:
        for name in _RETURNED:
            set_committed_value(listing, name, getattr(changed, name))
    else:
        await session.refresh(listing)
        if listing.status != "open":
            raise Conflict(
                f"listing {listing.id} is {listing.status}; only an open listing can be traded"
            )
        raise Conflict(
            f"only {dec.t(listing.available_t)} t of listing {listing.id} are available, "
            f"{dec.t(quantity)} t asked",
            errors=[{"field": "quantity_t", "reason": "more than is available"}],
        )
    await record(
        session,
        "listing",
        listing.id,
        "reserved",
        actor,
        {"status": "open", "reserved_t": listing.reserved_t - quantity},
        {"status": listing.status, "reserved_t": listing.reserved_t, "for": reason},
    )


async def deliver(
    session: AsyncSession, listing_id: int, quantity: Decimal, actor: Actor, reason: str
) -> None:
    """Move ``quantity`` from reserved to delivered; close the listing when all is delivered.

    The caller caps ``quantity`` at what its deal still has reserved, so this cannot fail
    except through a bug, which the CHECK constraints would then stop.
    """
    if quantity <= 0:
        return
    c = _LISTINGS.c
    # Lock the row (PostgreSQL) so the "before" in the audit event is the row we change.
    locked = select(Listing).where(Listing.id == listing_id).with_for_update()
    listing = (await session.exec(locked.execution_options(populate_existing=True))).one()
    before = {
        "status": listing.status,
        "reserved_t": listing.reserved_t,
        "delivered_t": listing.delivered_t,
    }
    done = sa.and_(
        c.status.in_(("open", "reserved")),
        c.reserved_t - _t(quantity) == _t(Decimal(0)),
        c.delivered_t + _t(quantity) == c.quantity_t,
    )
    stmt = (
        sa.update(_LISTINGS)
        .where(c.id == listing_id, c.reserved_t >= _t(quantity))
        .values(
            reserved_t=c.reserved_t - _t(quantity),
            delivered_t=c.delivered_t + _t(quantity),
            status=sa.case((done, "closed"), else_=c.status),
            updated_at=datetime.now(UTC),
        )
    )
    result = await session.exec(stmt)
    if result.rowcount != 1:
        raise Conflict(f"listing {listing_id} has less than {quantity} t reserved")
    await session.refresh(listing)
    after = {
        "status": listing.status,
        "reserved_t": listing.reserved_t,
        "delivered_t": listing.delivered_t,
        "for": reason,
    }
    await record(session, "listing", listing_id, "delivered", actor, before, after)


async def release(
    session: AsyncSession, listing_id: int, quantity: Decimal, actor: Actor, reason: str
) -> None:
    """Give ``quantity`` reserved tonnes back to the listing (a deal settled short).

    A listing that was ``reserved`` (every tonne taken) is ``open`` again, since it now has
    tonnes to offer; any other status is kept (a withdrawn lot stays withdrawn). Like
    :func:`deliver`, the caller passes what its deal still holds, so a 409 means a bug.
    """
    if quantity <= 0:
        return
    c = _LISTINGS.c
    locked = select(Listing).where(Listing.id == listing_id).with_for_update()
    listing = (await session.exec(locked.execution_options(populate_existing=True))).one()
    before = {"status": listing.status, "reserved_t": listing.reserved_t}
    stmt = (
        sa.update(_LISTINGS)
        .where(c.id == listing_id, c.reserved_t >= _t(quantity))
        .values(
            reserved_t=c.reserved_t - _t(quantity),
            status=sa.case((c.status == "reserved", "open"), else_=c.status),
            updated_at=datetime.now(UTC),
        )
    )
    result = await session.exec(stmt)
    if result.rowcount != 1:
        raise Conflict(f"listing {listing_id} has less than {quantity} t reserved")
    await session.refresh(listing)
    after = {"status": listing.status, "reserved_t": listing.reserved_t, "for": reason}
    await record(session, "listing", listing_id, "released", actor, before, after)
