"""Event notifications: tell an organisation that something happened to one of its trades.

The smallest general form of what saved searches do for ``listing_match``: one
:class:`~market.alerts.models.Notification` per organisation told (kind = the event name,
e.g. ``shipment.disputed``, listed in :data:`EVENT_KINDS`) and, if it set a webhook, one *pending*
:class:`~market.alerts.models.WebhookDelivery` with the same signed body, sent later by
:mod:`market.alerts.delivery`. It runs in the caller's transaction and does no network I/O,
so a notification exists exactly when the change it reports does. The trading services
call it where each event happens (payloads: :mod:`market.trading.notices`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from market.accounts.models import Organization
from market.alerts.models import Notification, WebhookDelivery
from market.alerts.saved_searches import webhook_body

#: To the seller: a buyer bid on its listing (not for sealed tender bids: the seal).
BID_RECEIVED = "bid.received"
#: To whoever made the offer answered (the bidder, or the maker of a counter-offer).
BID_ACCEPTED = "bid.accepted"
BID_REJECTED = "bid.rejected"
BID_COUNTERED = "bid.countered"
#: To each bidder of a closed tender: its bid won, or lost.
TENDER_WON = "tender.won"
TENDER_LOST = "tender.lost"
#: To both parties of a new deal, however it was made (buy, accepted offer, tender).
DEAL_CREATED = "deal.created"
#: To the receiver (the buyer) when a load leaves; to the producer when it is received.
SHIPMENT_DISPATCHED = "shipment.dispatched"
SHIPMENT_RECEIVED = "shipment.received"
#: To both parties.
SHIPMENT_DISPUTED = "shipment.disputed"
SHIPMENT_SETTLED = "shipment.settled"
#: Event kinds raised through :func:`notify`; ``listing_match`` is raised by saved searches.
EVENT_KINDS = (
    BID_RECEIVED,
    BID_ACCEPTED,
    BID_REJECTED,
    BID_COUNTERED,
    TENDER_WON,
    TENDER_LOST,
    DEAL_CREATED,
    SHIPMENT_DISPATCHED,
    SHIPMENT_RECEIVED,
    SHIPMENT_DISPUTED,
    SHIPMENT_SETTLED,
)


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
