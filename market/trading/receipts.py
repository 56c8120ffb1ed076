"""Confirmed exchange receipts, as statistics sees them: the one interface to trading's tables.

A **confirmed receipt** is a shipment whose receiver has weighed it (``received_t`` set; its
status is ``received`` or ``disputed``: a dispute is about the weighbridge difference, not
whether the material arrived). Its tonnes are the receiver's ``received_t`` or, once a dispute
is settled (``shipment_disputes.settled_t``, :mod:`market.trading.disputes`), the settled
tonnes, which then count everywhere instead; it belongs to
the calendar month of ``received_at`` **in China time** (UTC+8; China has no daylight saving),
the month in which the producer's ledger has to account for it. The origin is the listing's
site, the destination the deal's ``buyer_site_id``.

The tables are declared here with ``sa.table()`` over the column names trading promised
(``market.trading.models`` docstrings), not imported from its models, so statistics depends
on that contract only and the bench can fill them without the trading services.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import ColumnElement, Executable, func, type_coerce
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import Subquery
from sqlmodel.ext.asyncio.session import AsyncSession

from market.core.db import UTCDateTime, tonnes

deals = sa.table(
    "deals",
    sa.column("id", sa.Integer),
    sa.column("listing_id", sa.Integer),
    sa.column("seller_org_id", sa.Integer),
    sa.column("buyer_org_id", sa.Integer),
    sa.column("buyer_site_id", sa.Integer),
    sa.column("material_code", sa.String),
    sa.column("use", sa.String),
)
shipments = sa.table(
    "shipments",
    sa.column("id", sa.Integer),
    sa.column("deal_id", sa.Integer),
    sa.column("received_t", tonnes()),
    sa.column("received_at", UTCDateTime()),
    sa.column("dispatched_t", tonnes()),
    sa.column("status", sa.String),
)
disputes = sa.table(
    "shipment_disputes", sa.column("shipment_id", sa.Integer), sa.column("settled_t", tonnes())
)
listings = sa.table("listings", sa.column("id", sa.Integer), sa.column("site_id", sa.Integer))
#: Confirmed receipt tonnes per origin site, material and China-time month, kept on write
#: (market.trading.models.ReceiptMonth; :func:`count_receipt`).
receipt_months = sa.table(
    "receipt_months",
    sa.column("origin_site_id", sa.Integer),
    sa.column("material_code", sa.String),
    sa.column("year", sa.Integer),
    sa.column("month", sa.Integer),
    sa.column("received_t", tonnes()),
)


async def execute_core(session: AsyncSession, stmt: Executable) -> Any:
    """Run a Core statement in the session's transaction (after flushing pending objects).

    SQLModel deprecates ``session.execute`` for ORM use; statistics only run Core selects.
    """
    await session.flush()
    return await (await session.connection()).execute(stmt)


#: China Standard Time, the clock ledgers' months follow.
CHINA_UTC_OFFSET_HOURS = 8


def local_year_month(column: Any, dialect: str) -> tuple[ColumnElement[int], ColumnElement[int]]:
    """(year, month) of a UTC timestamp column in China time, in SQL for either database."""
    if dialect == "sqlite":
        shift = f"+{CHINA_UTC_OFFSET_HOURS} hours"
        year = sa.cast(func.strftime("%Y", column, shift), sa.Integer)
        month = sa.cast(func.strftime("%m", column, shift), sa.Integer)
        return year, month
    local = func.timezone("Asia/Shanghai", column)
    return (
        sa.cast(sa.extract("year", local), sa.Integer),
        sa.cast(sa.extract("month", local), sa.Integer),
    )


def china_month(at: datetime) -> tuple[int, int]:
    """(year, month) of an instant in China time: the month a receipt is accounted in."""
    local = at.astimezone(UTC) + timedelta(hours=CHINA_UTC_OFFSET_HOURS)
    return local.year, local.month


async def count_receipt(
    session: AsyncSession, listing_id: int, material_code: str, at: datetime, tonnes_t: Any
) -> None:
    """Add ``tonnes_t`` (negative to correct) to the receipt month of a load of the listing
    received at ``at``, in the caller's transaction.

    An upsert, so concurrent receipts of one producer-month add up (PostgreSQL locks the
    month's row until commit; SQLite has one writer). Called with the receiver's tonnes when a
    receipt is confirmed and with ``settled − received`` when its dispute is settled, which
    keeps each row the sum :func:`received_by_origin_month` computes from the receipts (a
    test compares the two).
    """
    await session.flush()
    conn = await session.connection()
    site = (
        await conn.execute(sa.select(listings.c.site_id).where(listings.c.id == listing_id))
    ).scalar_one()
    year, month = china_month(at)
    row = {
        "origin_site_id": site,
        "material_code": material_code,
        "year": year,
        "month": month,
        "received_t": tonnes_t,
    }
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stmt = insert(receipt_months).values(row)
    stmt = stmt.on_conflict_do_update(
        index_elements=["origin_site_id", "material_code", "year", "month"],
        set_={"received_t": receipt_months.c.received_t + stmt.excluded.received_t},
    )
    await conn.execute(stmt)


def china_year_bounds(year: int) -> tuple[datetime, datetime]:
    """[start, end) of a China-time calendar year in UTC, for an index-friendly range filter."""
    offset = timedelta(hours=CHINA_UTC_OFFSET_HOURS)
    return (
        datetime(year, 1, 1, tzinfo=UTC) - offset,
        datetime(year + 1, 1, 1, tzinfo=UTC) - offset,
    )


def receipts(dialect: str, year: int | None = None) -> Subquery:
    """One row per confirmed receipt (only those received in ``year``, China time, if given).

    Columns: ``shipment_id, deal_id, origin_site_id, dest_site_id, seller_org_id,
    buyer_org_id, material_code, use, year, month, received_t`` (the tonnes that count:
    settled, else the receiver's weighbridge; exact), ``received_at``, and for the producer's
    books ``booked_t`` (settled; for an unsettled dispute the producer's own dispatch
    weighbridge; otherwise the receiver's) and ``booked_slack_t`` (dispatched − settled for a
    settled load, which the producer may have booked at either figure; else 0).
    """
    conds: list[ColumnElement[bool]] = [
        shipments.c.received_t.is_not(None),
        shipments.c.received_at.is_not(None),
    ]
    if year is not None:
        start, end = china_year_bounds(year)
        conds += [shipments.c.received_at >= start, shipments.c.received_at < end]
    local_year, month = local_year_month(shipments.c.received_at, dialect)
    # The producer's books: a settled load at its settled tonnes, an unsettled disputed one
    # at the producer's own dispatch weighbridge, any other at the receiver's tonnes.
    booked = sa.case(
        (disputes.c.settled_t.is_not(None), disputes.c.settled_t),
        (shipments.c.status == "disputed", shipments.c.dispatched_t),
        else_=shipments.c.received_t,
    )
    return (
        sa.select(
            shipments.c.id.label("shipment_id"),
            deals.c.id.label("deal_id"),
            listings.c.site_id.label("origin_site_id"),
            deals.c.buyer_site_id.label("dest_site_id"),
            deals.c.seller_org_id,
            deals.c.buyer_org_id,
            deals.c.material_code,
            deals.c.use,
            local_year.label("year"),
            month.label("month"),
            type_coerce(
                func.coalesce(disputes.c.settled_t, shipments.c.received_t), tonnes()
            ).label("received_t"),
            shipments.c.received_at,
            type_coerce(booked, tonnes()).label("booked_t"),
            type_coerce(
                sa.case(
                    (disputes.c.settled_t.is_not(None), shipments.c.dispatched_t - booked),
                    else_=0,
                ),
                tonnes(),
            ).label("booked_slack_t"),
        )
        .select_from(
            shipments.join(deals, deals.c.id == shipments.c.deal_id)
            .join(listings, listings.c.id == deals.c.listing_id)
            .outerjoin(disputes, disputes.c.shipment_id == shipments.c.id)
        )
        .where(*conds)
        .subquery("receipts")
    )


def received_by_origin_month(dialect: str, year: int | None = None) -> Subquery:
    """Receipt tonnes per (origin site, material, year, month): the exchange's share of a
    producer-month's 综合利用量, ready to join onto ``ledgers``; ``booked_t`` is the same
    loads as the producer booked them out and ``booked_slack_t`` how much more it may have
    booked (see :func:`receipts`), which its ledger's balance identity accounts for
    (:mod:`market.ledger.rules`)."""
    r = receipts(dialect, year)
    return (
        sa.select(
            r.c.origin_site_id,
            r.c.material_code,
            r.c.year,
            r.c.month,
            type_coerce(func.sum(r.c.received_t), tonnes()).label("received_t"),
            type_coerce(func.sum(r.c.booked_t), tonnes()).label("booked_t"),
            type_coerce(func.sum(r.c.booked_slack_t), tonnes()).label("booked_slack_t"),
        )
        .group_by(r.c.origin_site_id, r.c.material_code, r.c.year, r.c.month)
        .subquery("received")
    )
