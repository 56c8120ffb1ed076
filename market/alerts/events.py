"""Event notifications: tell an organisation that something happened to one of its trades.

The smallest general form of what saved searches do for ``listing_match``: one
:class:`~market.alerts.models.Notification` per organisation told (kind = the event name,
e.g. ``shipment.disputed``) and, if it set a webhook, one *pending*
:class:`~market.alerts.models.WebhookDelivery` with the same signed body, sent later by
:mod:`market.alerts.delivery`. It runs in the caller's transaction and does no network I/O,
so a notification exists exactly when the change it reports does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from market.accounts.models import Organization
from market.alerts.models import Notification, WebhookDelivery
from market.alerts.saved_searches import webhook_body

SHIPMENT_DISPUTED = "shipment.disputed"
SHIPMENT_SETTLED = "shipment.settled"
#: Event kinds raised through :func:`notify`; ``listing_match`` is raised by saved searches.
EVENT_KINDS = (SHIPMENT_DISPUTED, SHIPMENT_SETTLED)


async def notify(
    session: AsyncSession, org_id: int, kind: str, payload: Mapping[str, Any]
) -> Notification:
    """Store one notification of ``kind`` for the organisation and queue its webhook."""
    if kind not in EVENT_KINDS:
        raise ValueError(f"unknown event {kind!r}")
    org = await session.get(Organization, org_id)
    if org is None:
        raise ValueError(f"organisation {org_id} does not exist")
    note = Notification(organization_id=org_id, kind=kind, payload=dict(payload))
    session.add(note)
    await session.flush()
    if org.webhook_url:
        session.add(
            WebhookDelivery(
                organization_id=org_id,
                notification_id=note.id or 0,
                event=kind,
                url=org.webhook_url,
                body=webhook_body(note),
                next_attempt_at=note.created_at,
            )
        )
        await session.flush()
    return note


async def notify_all(
    session: AsyncSession, org_ids: Iterable[int], kind: str, payload: Mapping[str, Any]
) -> list[Notification]:
    """:func:`notify` each organisation once (a seller buying its own lot is told once)."""
    return [await notify(session, org_id, kind, payload) for org_id in dict.fromkeys(org_ids)]
