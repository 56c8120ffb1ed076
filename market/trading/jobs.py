"""Time-driven work: close due tenders, expire stale offers, flag overdue shipments.

The app runs :func:`run_periodically` as a background task every ``tender_poll_seconds``;
cron can run ``market tenders close-due`` instead or as well. Several app processes may run
it at once: every change it makes is a conditional UPDATE, so each tender closes once.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from market.core.db import transaction
from market.trading.bids import expire_due_bids
from market.trading.shipments import flag_overdue
from market.trading.tenders import close_tender, due_tender_ids

log = logging.getLogger(__name__)


@dataclass
class JobReport:
    tenders_closed: list[int] = field(default_factory=list)
    bids_expired: list[int] = field(default_factory=list)
    shipments_overdue: list[int] = field(default_factory=list)


async def run_due(factory: async_sessionmaker[AsyncSession]) -> JobReport:
    """One pass; each tender closes in its own transaction so one failure blocks no other."""
    report = JobReport()
    now = datetime.now(UTC)
    async with transaction(factory) as session:
        due = await due_tender_ids(session, now)
    for tender_id in due:
        try:
            async with transaction(factory) as session:
                if await close_tender(session, tender_id, now):
                    report.tenders_closed.append(tender_id)
        except Exception:
            # Its transaction rolled back; the tender stays open and due, so the next pass
            # retries it, and the tenders after it still close on time.
            log.exception("closing tender %s failed; it stays open until the next pass", tender_id)
    async with transaction(factory) as session:
        report.bids_expired = await expire_due_bids(session, now)
        report.shipments_overdue = await flag_overdue(session, now)
    return report


async def run_periodically(factory: async_sessionmaker[AsyncSession], interval: float) -> None:
    """Run :func:`run_due` every ``interval`` seconds until cancelled; errors are logged and
    the next pass tries again (a closer must not die of one bad tender)."""
    while True:
        await asyncio.sleep(interval)
        try:
            report = await run_due(factory)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("periodic trading jobs failed; retrying in %s s", interval)
            continue
        if report.tenders_closed:
            log.info("closed tenders %s", report.tenders_closed)


def start(factory: async_sessionmaker[AsyncSession], interval: float) -> asyncio.Task[None] | None:
    """Start the background task, or nothing when the interval is 0 (disabled)."""
    if interval <= 0:
        return None
    return asyncio.create_task(run_periodically(factory, interval), name="trading-jobs")
