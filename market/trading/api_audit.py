"""The audit trail, read-only: there is deliberately no endpoint that changes an event."""

from __future__ import annotations

from typing import Annotated

from litestar import get
from litestar.params import QueryParameter

from market.accounts.deps import CurrentUser
from market.core.audit_model import AUDITED_ENTITIES
from market.core.deps import Db
from market.core.openapi import problems
from market.trading import audit_trail as svc
from market.trading.schemas import AuditTrailOut

#: A string checked by the service (422 naming the choices); the document lists them.
Entity = Annotated[
    str,
    QueryParameter(
        schema_extra={"enum": list(AUDITED_ENTITIES)},
        description="listing, bid, tender, deal or shipment",
    ),
]
EntityId = Annotated[int, QueryParameter(name="id", ge=1, description="the entity's id")]


@get(
    "/audit",
    tags=["audit"],
    summary="Audit trail of one entity (regulators and the parties)",
    responses=problems(403, 404),
)
async def audit_trail(
    entity: Entity, entity_id: EntityId, user: CurrentUser, db: Db
) -> AuditTrailOut:
    """Events oldest first; a deal's trail includes its bids' and shipments' events."""
    events = await svc.trail(db, user, entity, entity_id)
    return AuditTrailOut.model_validate({"entity": entity, "id": entity_id, "events": events})


routes = [audit_trail]
