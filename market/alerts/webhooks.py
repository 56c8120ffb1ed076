"""Webhooks: an organisation's endpoint, and sending the deliveries queued for it.

**Signature scheme** (what a receiver checks). Every POST carries::

    Content-Type: application/json
    X-Exchange-Event: listing_match
    X-Exchange-Delivery: <delivery id>          (the same on every retry: dedupe on it)
    X-Exchange-Timestamp: <unix seconds of this attempt>
    X-Exchange-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>

where ``secret`` is the organisation's webhook secret (UTF-8), shown once when the webhook is
set, and ``body`` the exact bytes received (UTF-8 JSON). Signing the timestamp with the body
lets a receiver refuse replays of an old request: :func:`verify_signature` takes an optional
tolerance for that. Any 2xx answer counts as delivered; anything else (including redirects,
which are not followed) is retried after ``backoff × 2^(attempts − 1)`` seconds, capped at an
hour, until ``webhook_max_attempts`` attempts have failed; then the delivery is ``failed``.

**Claiming.** :func:`deliver_due` may run in several app processes and from cron at once.
It claims due rows with one ``UPDATE … SET next_attempt_at = <lease> WHERE id IN (due ids,
FOR UPDATE SKIP LOCKED on PostgreSQL) AND status = 'pending' AND next_attempt_at <= now
RETURNING id``: a row is claimed by exactly one transaction, and the lease (timeout + a
minute) returns it to the pool if the claimer dies mid-send. The HTTP requests happen after
that transaction has committed, so no lock is held while a receiver is slow; each outcome is
then written in its own short transaction. Unlike other service functions, :func:`deliver_due`
therefore takes a sessionmaker, not a session, and commits. (SQLite needs ≥ 3.35 for
RETURNING.)
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from market.accounts.access import member_org_ids, require_member, require_org_admin
from market.accounts.models import Organization, User
from market.accounts.organizations import get_organization
from market.alerts.models import WebhookAttempt, WebhookDelivery
from market.core.db import transaction
from market.core.errors import Invalid
from market.core.settings import Settings

log = logging.getLogger(__name__)

SIGNATURE_PREFIX = "sha256="
MAX_BACKOFF_SECONDS = 3600.0
#: Deliveries claimed (and sent concurrently) per round.
BATCH_SIZE = 20
#: How long a claim outlives the request timeout before another sender may take the row.
LEASE_MARGIN_SECONDS = 60.0
USER_AGENT = "jingmen-exchange-webhooks/1"
MAX_URL_LENGTH = 500
_ERROR_LENGTH = 500


# --- signing ----------------------------------------------------------------------------


def sign(secret: str, timestamp: int | str, body: str | bytes) -> str:
    """The ``X-Exchange-Signature`` value for a body sent at ``timestamp``."""
    raw = body.encode() if isinstance(body, str) else body
    message = f"{timestamp}.".encode() + raw
    return SIGNATURE_PREFIX + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify_signature(
    secret: str,
    timestamp: int | str,
    body: str | bytes,
    header: str | None,
    *,
    tolerance_seconds: float | None = None,
    now: datetime | None = None,
) -> bool:
    """True when ``header`` is the signature of ``timestamp`` and ``body`` under ``secret``.

    For receivers (and tests). Compares in constant time. With ``tolerance_seconds`` it also
    refuses timestamps further than that from ``now`` (default: the current time), which
    stops a captured request from being replayed later.
    """
    if not header or not header.startswith(SIGNATURE_PREFIX):
        return False
    if tolerance_seconds is not None:
        try:
            sent = int(timestamp)
        except (TypeError, ValueError):
            return False
        current = (now or datetime.now(UTC)).timestamp()
        if abs(current - sent) > tolerance_seconds:
            return False
    return hmac.compare_digest(sign(secret, timestamp, body), header)


def backoff_seconds(settings: Settings, attempts: int) -> float:
    """Wait after the ``attempts``-th failed attempt: base × 2^(attempts − 1), capped."""
    exponent = max(attempts - 1, 0)
    return float(min(settings.webhook_backoff_seconds * 2**exponent, MAX_BACKOFF_SECONDS))


# --- configuration ----------------------------------------------------------------------


def check_url(url: str) -> str:
    """An absolute http(s) URL with a host and no credentials (422 naming the problem).

    Credentials are refused because the URL is shown to every member in the delivery log;
    authenticate with the signature instead.
    """
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise Invalid("url", f"must be at most {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise Invalid("url", f"is not a valid URL: {exc}") from exc
    if parts.scheme not in ("http", "https"):
        raise Invalid("url", "must be an http:// or https:// URL")
    if not parts.hostname:
        raise Invalid("url", "must name a host")
    if parts.username is not None or parts.password is not None:
        raise Invalid("url", "must not contain credentials; receivers check the signature")
    if port == 0:
        raise Invalid("url", "port 0 is not a valid port")
    return url


async def set_webhook(
    session: AsyncSession, actor: User, organization_id: int, url: str | None
) -> Organization:
    """Set (or with None remove) the webhook; org admins only.

    Setting a URL generates a new secret (the caller shows it once) and re-points pending
    deliveries at the new URL, signed with the new secret when sent. Removing it fails the
    pending deliveries, since there is nowhere left to send them.
    """
    org = await get_organization(session, organization_id)
    await require_org_admin(session, actor, organization_id)
    pending = update(WebhookDelivery).where(
        col(WebhookDelivery.organization_id) == organization_id,
        col(WebhookDelivery.status) == "pending",
    )
    if url is None:
        org.webhook_url = None
        org.webhook_secret = None
        await session.exec(pending.values(status="failed", last_error="webhook removed"))
    else:
        org.webhook_url = check_url(url)
        org.webhook_secret = secrets.token_hex(32)
        await session.exec(pending.values(url=org.webhook_url))
    session.add(org)
    await session.flush()
    return org


async def delivery_log(
    session: AsyncSession,
    viewer: User,
    *,
    organization_id: int | None,
    status: str | None,
    page: int,
    page_size: int,
) -> tuple[list[dict[str, Any]], int]:
    """Deliveries of the viewer's organisations (or one of them), newest first, with attempts.

    Members only, regulators included: the log holds the receivers' URLs and error texts,
    which are the organisation's own operational detail.
    """
    if organization_id is not None:
        await get_organization(session, organization_id)
        await require_member(session, viewer, organization_id)
        orgs = {organization_id}
    else:
        orgs = await member_org_ids(session, viewer)
    conds: list[Any] = [col(WebhookDelivery.organization_id).in_(orgs)]
    if status is not None:
        conds.append(WebhookDelivery.status == status)
    total = (
        await session.exec(select(func.count()).select_from(WebhookDelivery).where(*conds))
    ).one()
    deliveries = (
        await session.exec(
            select(WebhookDelivery)
            .where(*conds)
            .order_by(col(WebhookDelivery.id).desc())
            .offset((page - 1) * page_size)
            .limit(page_size)
        )
    ).all()
    attempts: dict[int, list[WebhookAttempt]] = {}
    if deliveries:
        rows = await session.exec(
            select(WebhookAttempt)
            .where(col(WebhookAttempt.delivery_id).in_([d.id for d in deliveries]))
            .order_by(col(WebhookAttempt.id))
        )
        for a in rows.all():
            attempts.setdefault(a.delivery_id, []).append(a)
    return [delivery_view(d, attempts.get(d.id or 0, [])) for d in deliveries], int(total)


def delivery_view(d: WebhookDelivery, attempts: list[WebhookAttempt]) -> dict[str, Any]:
    return {
        "id": d.id,
        "organization_id": d.organization_id,
        "notification_id": d.notification_id,
        "event": d.event,
        "url": d.url,
        "status": d.status,
        "attempts": d.attempts,
        "next_attempt_at": d.next_attempt_at if d.status == "pending" else None,
        "last_status_code": d.last_status_code,
        "last_error": d.last_error,
        "created_at": d.created_at,
        "delivered_at": d.delivered_at,
        "body": d.body,
        "log": [
            {
                "attempted_at": a.attempted_at,
                "status_code": a.status_code,
                "error": a.error,
                "duration_ms": a.duration_ms,
            }
            for a in attempts
        ],
    }


# --- sending ----------------------------------------------------------------------------


@dataclass
class DeliveryReport:
    """Delivery ids by outcome of one :func:`deliver_due` run."""

    delivered: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)

    @property
    def attempted(self) -> int:
        return len(self.delivered) + len(self.retrying) + len(self.failed)

    def summary(self) -> str:
        return (
            f"{len(self.delivered)} delivered, {len(self.retrying)} to retry, "
            f"{len(self.failed)} failed"
        )


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
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    now: datetime | None = None,
    client: httpx.AsyncClient | None = None,
) -> DeliveryReport:
    """Send every pending delivery due at ``now`` (default: the current time), once.

    Tests pass ``now`` to step through the retry schedule without sleeping; the signature's
    timestamp is ``now`` too. A failed or retried delivery is not re-sent within the same
    run (its next attempt lies after ``now``), so this always terminates.
    """
    now = now or datetime.now(UTC)
    report = DeliveryReport()
    own_client = client is None
    http = client or httpx.AsyncClient(follow_redirects=False, headers={"User-Agent": USER_AGENT})
    try:
        while claims := await _claim(sessionmaker, settings, now, report):
            outcomes = await asyncio.gather(*(_post(http, c, settings, now) for c in claims))
            for claim, outcome in zip(claims, outcomes, strict=True):
                await _record(sessionmaker, settings, claim, outcome, now, report)
    finally:
        if own_client:
            await http.aclose()
    return report


async def _claim(
    factory: async_sessionmaker[AsyncSession],
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
            error = f"HTTP {status} {response.reason_phrase}".strip()
    except httpx.TimeoutException:
        error = f"timed out after {settings.webhook_timeout_seconds:g} s"
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    duration = int((time.perf_counter() - started) * 1000)
    return _Outcome(status, error[:_ERROR_LENGTH] if error else None, duration)


async def _record(
    factory: async_sessionmaker[AsyncSession],
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
        report.delivered.append(claim.id)
    elif attempts >= settings.webhook_max_attempts:
        values |= {"status": "failed", "next_attempt_at": now}
        report.failed.append(claim.id)
    else:
        wait = backoff_seconds(settings, attempts)
        values["next_attempt_at"] = now + timedelta(seconds=wait)
        report.retrying.append(claim.id)
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
    if not outcome.ok:
        log.info("webhook delivery %s attempt %s failed: %s", claim.id, attempts, outcome.error)


# --- background task --------------------------------------------------------------------


async def run_periodically(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    """Deliver due webhooks every ``webhook_poll_interval`` seconds until cancelled; one
    HTTP client (connection pool) serves every run. Errors are logged, never fatal."""
    interval = settings.webhook_poll_interval
    async with httpx.AsyncClient(
        follow_redirects=False, headers={"User-Agent": USER_AGENT}
    ) as client:
        while True:
            await asyncio.sleep(interval)
            try:
                report = await deliver_due(sessionmaker, settings, client=client)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("webhook delivery run failed; retrying in %s s", interval)
                continue
            if report.attempted:
                log.info("webhooks: %s", report.summary())


def start(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> asyncio.Task[None] | None:
    """Start the sender in the app's event loop, or nothing when the interval is 0.

    Under ``env="test"`` the default interval is 0, so tests control every send; they set
    ``webhook_poll_seconds`` explicitly to exercise the task itself.
    """
    if settings.webhook_poll_interval <= 0:
        return None
    return asyncio.create_task(run_periodically(sessionmaker, settings), name="webhooks")
