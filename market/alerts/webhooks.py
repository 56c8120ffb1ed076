"""Webhooks: an organisation's endpoint, the signature its receiver checks, the delivery log.

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
which are not followed, and a host that is not a public address) is retried after ``backoff × 2^(attempts − 1)`` seconds, capped at an
hour, until ``webhook_max_attempts`` attempts have failed; then the delivery is ``failed``.

Sending (claiming due deliveries, the POSTs, the retry schedule) is in
:mod:`market.alerts.delivery`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import update
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from market.accounts.access import member_org_ids, require_member, require_org_admin
from market.accounts.models import Organization, User
from market.accounts.organizations import get_organization
from market.alerts.egress import refused_at_setting
from market.alerts.models import WebhookAttempt, WebhookDelivery
from market.core.errors import Invalid
from market.core.settings import Settings

SIGNATURE_PREFIX = "sha256="
MAX_BACKOFF_SECONDS = 3600.0
USER_AGENT = "jingmen-exchange-webhooks/1"
MAX_URL_LENGTH = 500


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


def check_url(url: str, settings: Settings) -> str:
    """An absolute http(s) URL with a host and no credentials (422 naming the problem).

    Credentials are refused because the URL is shown to every member in the delivery log;
    authenticate with the signature instead. A host written as a non-public address
    (``127.0.0.1``, ``[::1]``, ``2130706433``, ``10.0.0.5`` …) is refused here for quick
    feedback, unless ``MARKET_WEBHOOK_ALLOWED_HOSTS`` lists it; the check that counts is made
    when sending (:mod:`market.alerts.egress`), for names too.
    """
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise Invalid("url", f"must be at most {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
        httpx.URL(url)  # what the sender will parse: stricter than urlsplit
    except (ValueError, httpx.InvalidURL) as exc:
        raise Invalid("url", f"is not a valid URL: {exc}") from exc
    if parts.scheme not in ("http", "https"):
        raise Invalid("url", "must be an http:// or https:// URL")
    if not parts.hostname:
        raise Invalid("url", "must name a host")
    if parts.username is not None or parts.password is not None:
        raise Invalid("url", "must not contain credentials; receivers check the signature")
    if port == 0:
        raise Invalid("url", "port 0 is not a valid port")
    if refused_at_setting(url, settings):
        raise Invalid(
            "url",
            "must be a public address: loopback, private, link-local, multicast and "
            "reserved addresses are refused",
        )
    return url


async def set_webhook(
    session: AsyncSession,
    actor: User,
    organization_id: int,
    url: str | None,
    settings: Settings,
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
        org.webhook_url = check_url(url, settings)
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
