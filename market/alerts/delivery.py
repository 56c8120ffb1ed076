"""Sending webhook deliveries: claim the due ones, POST them signed, record each outcome.

:func:`deliver_due` is the one implementation: the app's scheduler runs it every
``webhook_poll_interval`` seconds (:func:`webhook_job`, one HTTP client for all runs), and
cron's ``market webhooks deliver-due`` runs it once. The signature scheme and the retry
schedule are described in :mod:`market.alerts.webhooks`.

**Claiming.** :func:`deliver_due` may run in several app processes and from cron at once.
It claims due rows with one ``UPDATE … SET next_attempt_at = <lease> WHERE id IN (due ids,
FOR UPDATE SKIP LOCKED on PostgreSQL) AND status = 'pending' AND next_attempt_at <= now
RETURNING id``: a row is claimed by exactly one transaction, and the lease (timeout + a
minute) returns it to the pool if the claimer dies mid-send. The HTTP requests happen after
that transaction has committed, so no lock is held while a receiver is slow; each outcome is
then written in its own short transaction. Unlike other service functions, :func:`deliver_due`
therefore takes a sessionmaker, not a session, and commits. (SQLite needs ≥ 3.35 for
RETURNING.)

An outcome that cannot be recorded (a database error) is logged and skipped: the delivery
keeps its lease and is sent again once the lease runs out, and the other deliveries of the
run are still sent and recorded.

**Where it may send.** The client connects only to public addresses, checked when it
connects (:mod:`market.alerts.egress`), and follows no redirects. The organisation's log says
``refused`` for a blocked address and ``failed`` otherwise (with the HTTP status where the
receiver answered, or that it timed out or could not be reached), never the socket's own
error text: the log must not tell a member how hosts behind the exchange answer. The full
error goes to the server's log.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import update
from sqlmodel import col, select

from market.accounts.models import Organization
from market.alerts.egress import GuardedTransport, Refused
from market.alerts.models import WebhookAttempt, WebhookDelivery
from market.alerts.webhooks import USER_AGENT, backoff_seconds, sign
from market.core.db import transaction
from market.core.scheduler import Factory, Job
from market.core.settings import Settings

log = logging.getLogger(__name__)

#: Deliveries claimed (and sent concurrently) per round.
BATCH_SIZE = 20
#: How long a claim outlives the request timeout before another sender may take the row.
LEASE_MARGIN_SECONDS = 60.0
#: What the log says for a receiver at an address webhooks may not reach.
REFUSED = "refused: not a public address"


def http_client(settings: Settings) -> httpx.AsyncClient:
    """The sender's client: connections only to public addresses (or the allowed hosts),
    and redirects are not followed (a 3xx is a failed attempt)."""
    return httpx.AsyncClient(
        transport=GuardedTransport(settings),
        follow_redirects=False,
        headers={"User-Agent": USER_AGENT},
    )


def webhook_job(settings: Settings) -> Job:
    """:func:`deliver_due` every ``webhook_poll_interval`` seconds (off by default under
    ``env="test"``); one HTTP client, made at the first run, serves every run."""
    return _Sender(settings).job()


class _Sender:
    """The app's sender: keeps one connection pool across runs (none while the job is off:
    making a client costs tens of milliseconds, which every test app would pay)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.client: httpx.AsyncClient | None = None

    def job(self) -> Job:
        return Job("webhooks", self.settings.webhook_poll_interval, self.run, self.close)

    async def run(self, factory: Factory) -> DeliveryReport:
        if self.client is None:
            self.client = http_client(self.settings)
        return await deliver_due(factory, self.settings, client=self.client)

    async def close(self) -> None:
        if self.client is not None:
            await self.client.aclose()
            self.client = None


@dataclass
class DeliveryReport:
    """Delivery ids by outcome of one :func:`deliver_due` run."""

    delivered: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    #: Sent, but the outcome could not be recorded: sent again when the lease runs out.
    unrecorded: list[int] = field(default_factory=list)

    @property
    def attempted(self) -> int:
        return len(self.delivered) + len(self.retrying) + len(self.failed) + len(self.unrecorded)

    @property
    def ok(self) -> bool:
        return not self.unrecorded

    def summary(self) -> str:
        text = (
            f"{len(self.delivered)} delivered, {len(self.retrying)} to retry, "
            f"{len(self.failed)} failed"
        )
        if self.unrecorded:
            text += f", {len(self.unrecorded)} not recorded {self.unrecorded} (sent again later)"
        return text


@dataclass(frozen=True)
class _Claim:
    id: int
    event: str
    url: str
    body: str
    secret: str
    attempts: int


@dataclass(frozen=True)
class _Outcome:
    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


async def deliver_due(
    sessionmaker: Factory,
    settings: Settings,
    now: datetime | None = None,
    client: httpx.AsyncClient | None = None,
) -> DeliveryReport:
    """Send every pending delivery due at ``now`` (default: the current time), once.

    Tests pass ``now`` to step through the retry schedule without sleeping; the signature's
    timestamp is ``now`` too. A ``client`` passed in must be one of :func:`http_client`'s
    (its transport is what keeps deliveries off internal addresses). A failed or retried delivery is not re-sent within the same
    run (its next attempt lies after ``now``), so this always terminates.
    """
    now = now or datetime.now(UTC)
    report = DeliveryReport()
    own_client = client is None
    http = client or http_client(settings)
    try:
        while claims := await _claim(sessionmaker, settings, now, report):
            outcomes = await asyncio.gather(*(_post(http, c, settings, now) for c in claims))
            for claim, outcome in zip(claims, outcomes, strict=True):
                try:
                    await _record(sessionmaker, settings, claim, outcome, now, report)
                except Exception:
                    # Rolled back: the delivery keeps its lease, so this run does not claim
                    # it again, and the next run after the lease sends it once more.
                    log.exception("recording webhook delivery %s failed", claim.id)
                    report.unrecorded.append(claim.id)
    finally:
        if own_client:
            await http.aclose()
    if report.attempted:
        log.info("webhooks: %s", report.summary())
    return report


async def _claim(
    factory: Factory,
    settings: Settings,
    now: datetime,
    report: DeliveryReport,
) -> list[_Claim]:
    """Lease up to BATCH_SIZE due deliveries; deliveries whose webhook is gone fail here."""
    lease = now + timedelta(seconds=settings.webhook_timeout_seconds + LEASE_MARGIN_SECONDS)
    due = (
        select(WebhookDelivery.id)
        .where(
            col(WebhookDelivery.status) == "pending", col(WebhookDelivery.next_attempt_at) <= now
        )
        .order_by(col(WebhookDelivery.next_attempt_at), col(WebhookDelivery.id))
        .limit(BATCH_SIZE)
        .with_for_update(skip_locked=True)
    )
    claim = (
        update(WebhookDelivery)
        .where(
            col(WebhookDelivery.id).in_(due.scalar_subquery()),
            col(WebhookDelivery.status) == "pending",
            col(WebhookDelivery.next_attempt_at) <= now,
        )
        .values(next_attempt_at=lease)
        .returning(col(WebhookDelivery.id))
    )
    async with transaction(factory) as session:
        ids = list((await session.exec(claim)).scalars().all())
        if not ids:
            return []
        rows = (
            await session.exec(
                select(WebhookDelivery, Organization)
                .join(Organization, col(Organization.id) == WebhookDelivery.organization_id)
                .where(col(WebhookDelivery.id).in_(ids))
                .order_by(col(WebhookDelivery.id))
            )
        ).all()
        claims: list[_Claim] = []
        for delivery, org in rows:
            assert delivery.id is not None
            if not org.webhook_url or not org.webhook_secret:
                delivery.status = "failed"
                delivery.last_error = "webhook removed"
                delivery.next_attempt_at = now
                session.add(delivery)
                report.failed.append(delivery.id)
                continue
            claims.append(
                _Claim(
                    delivery.id,
                    delivery.event,
                    delivery.url,
                    delivery.body,
                    org.webhook_secret,
                    delivery.attempts,
                )
            )
    return claims


async def _post(
    client: httpx.AsyncClient, claim: _Claim, settings: Settings, now: datetime
) -> _Outcome:
    """One POST; never raises for network trouble (that is an outcome to log and retry)."""
    timestamp = int(now.timestamp())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Exchange-Event": claim.event,
        "X-Exchange-Delivery": str(claim.id),
        "X-Exchange-Timestamp": str(timestamp),
        "X-Exchange-Signature": sign(claim.secret, timestamp, claim.body),
    }
    started = time.perf_counter()
    status: int | None = None
    error: str | None = None
    try:
        response = await client.post(
            claim.url,
            content=claim.body.encode(),
            headers=headers,
            timeout=settings.webhook_timeout_seconds,
        )
        status = response.status_code
        if not 200 <= status < 300:
            error = f"failed: HTTP {status}"
    except Refused as exc:
        log.warning("webhook delivery %s to %s refused: %s", claim.id, claim.url, exc)
        error = REFUSED
    except httpx.InvalidURL:  # stored before the URL was checked as the sender reads it
        error = "failed: invalid URL"
    except httpx.TimeoutException:
        error = f"failed: timed out after {settings.webhook_timeout_seconds:g} s"
    except httpx.HTTPError as exc:
        # The exception's text (errno, resolver message) stays in the server's log.
        log.info("webhook delivery %s to %s: %r", claim.id, claim.url, exc)
        error = "failed: could not connect" if isinstance(exc, httpx.ConnectError) else "failed"
    duration = int((time.perf_counter() - started) * 1000)
    return _Outcome(status, error, duration)


async def _record(
    factory: Factory,
    settings: Settings,
    claim: _Claim,
    outcome: _Outcome,
    now: datetime,
    report: DeliveryReport,
) -> None:
    """Log the attempt and move the delivery on: delivered, retry later, or failed."""
    attempts = claim.attempts + 1
    values: dict[str, Any] = {
        "attempts": attempts,
        "last_status_code": outcome.status_code,
        "last_error": outcome.error,
    }
    if outcome.ok:
        values |= {"status": "delivered", "delivered_at": now, "next_attempt_at": now}
        bucket = report.delivered
    elif attempts >= settings.webhook_max_attempts:
        values |= {"status": "failed", "next_attempt_at": now}
        bucket = report.failed
    else:
        wait = backoff_seconds(settings, attempts)
        values["next_attempt_at"] = now + timedelta(seconds=wait)
        bucket = report.retrying
    async with transaction(factory) as session:
        session.add(
            WebhookAttempt(
                delivery_id=claim.id,
                attempted_at=now,
                status_code=outcome.status_code,
                error=outcome.error,
                duration_ms=outcome.duration_ms,
            )
        )
        await session.flush()
        # Conditional on the attempt count we claimed: if our lease ran out and another
        # sender already recorded this attempt, keep its result rather than double-count.
        await session.exec(
            update(WebhookDelivery)
            .where(
                col(WebhookDelivery.id) == claim.id,
                col(WebhookDelivery.status) == "pending",
                col(WebhookDelivery.attempts) == claim.attempts,
            )
            .values(**values)
        )
    bucket.append(claim.id)  # only once the outcome is committed
    if not outcome.ok:
        log.info("webhook delivery %s attempt %s failed: %s", claim.id, attempts, outcome.error)
