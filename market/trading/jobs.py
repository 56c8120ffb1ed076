"""Time-driven trading work: close due tenders, expire stale offers, flag overdue shipments.

:func:`run_due` is the one implementation: the app's scheduler runs it every
``tender_poll_seconds`` (:func:`trading_job`), and cron's ``market tenders close-due`` runs it
once. Each tender closes in its own transaction, so a tender that fails is logged, stays
open for the next pass, and blocks no other. Several processes may run it at once: every
change it makes is a conditional UPDATE, so each tender closes once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

from market.core.db import transaction
from market.core.scheduler import Factory, Job
from market.core.settings import Settings
from market.trading.bids import expire_due_bids
from market.trading.shipments import flag_overdue
from market.trading.tenders import close_tender, due_tender_ids

log = logging.getLogger(__name__)


@dataclass
class JobReport:
    tenders_closed: list[int] = field(default_factory=list)
    bids_expired: list[int] = field(default_factory=list)
    shipments_overdue: list[int] = field(default_factory=list)
    #: Tenders whose closing raised (rolled back; still open and due, so retried next pass).
    tenders_failed: list[int] = field(default_factory=list)
    #: Steps other than closing a tender that raised ("expiring offers", …).
    steps_failed: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.tenders_failed and not self.steps_failed

    def summary(self) -> str:
        text = (
            f"closed {len(self.tenders_closed)} tenders {self.tenders_closed}; "
            f"expired {len(self.bids_expired)} offers; "
            f"flagged {len(self.shipments_overdue)} shipments overdue"
        )
        if self.tenders_failed:
            text += f"; failed to close {len(self.tenders_failed)} tenders {self.tenders_failed}"
        if self.steps_failed:
            text += f"; failed: {', '.join(self.steps_failed)}"
        return text


async def run_due(factory: Factory, now: datetime | None = None) -> JobReport:
    """One pass over everything that is due at ``now`` (default: the current time)."""
    now = now or datetime.now(UTC)
    report = JobReport()
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
            report.tenders_failed.append(tender_id)
    try:
        async with transaction(factory) as session:
            report.bids_expired = await expire_due_bids(session, now)
    except Exception:
        log.exception("expiring offers failed; the next pass retries")
        report.steps_failed.append("expiring offers")
    try:
        async with transaction(factory) as session:
            report.shipments_overdue = await flag_overdue(session, now)
    except Exception:
        log.exception("flagging overdue shipments failed; the next pass retries")
        report.steps_failed.append("flagging overdue shipments")
    if report.tenders_closed:
        log.info("closed tenders %s", report.tenders_closed)
    return report


def trading_job(settings: Settings) -> Job:
    """:func:`run_due` every ``tender_poll_seconds`` (0: off, cron does it)."""
    return Job("trading", settings.tender_poll_seconds, run_due)
