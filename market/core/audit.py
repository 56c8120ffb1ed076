"""The audit trail: record state changes (reading them is ``market.trading.audit_trail``).

Every service that changes a listing, bid, tender, deal or shipment calls :func:`record` in
the same session before the request's transaction commits, so the event exists exactly when
the change does. Events are only ever inserted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from market.core.audit_model import RECORDED_ENTITIES, AuditEvent


class _Person(Protocol):
    """Anything with a user id (``market.accounts.models.User``); core knows no accounts."""

    id: int | None


@dataclass(frozen=True)
class Actor:
    """Who made a change: a user acting for an organisation, or (both None) the system."""

    user_id: int | None
    org_id: int | None = None

    @classmethod
    def of(cls, user: _Person, org_id: int | None) -> Actor:
        return cls(user.id, org_id)


SYSTEM = Actor(None, None)
#: What a listing's audit events show of it.
LISTING_FIELDS = (
    "title",
    "quantity_t",
    "reserved_t",
    "delivered_t",
    "cadence",
    "spec",
    "price_cny_t",
    "available_from",
    "available_until",
    "status",
)


def _json(value: Any) -> Any:
    """Exact, JSON-safe values: decimals as strings (no float rounding), times as ISO 8601."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def changed(
    before: Mapping[str, Any], after: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the fields that differ, as (before, after)."""
    keys = [k for k in after if before.get(k) != after[k]]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def snapshot(obj: SQLModel, fields: Iterable[str]) -> dict[str, Any]:
    """The named fields of a row as a JSON-safe dict, for an event's before/after."""
    return {name: _json(getattr(obj, name)) for name in fields}


async def record(
    session: AsyncSession,
    entity: str,
    entity_id: int | None,
    action: str,
    actor: Actor,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
) -> AuditEvent:
    """Append one event in the caller's transaction (flushed, so ids are ordered)."""
    if entity not in RECORDED_ENTITIES or entity_id is None:
        raise ValueError(f"cannot audit {entity} {entity_id}")
    event = AuditEvent(
        entity=entity,
        entity_id=entity_id,
        action=action,
        actor_user_id=actor.user_id,
        actor_org_id=actor.org_id,
        before={k: _json(v) for k, v in before.items()} if before is not None else None,
        after={k: _json(v) for k, v in after.items()} if after is not None else None,
    )
    session.add(event)
    await session.flush()
    return event
