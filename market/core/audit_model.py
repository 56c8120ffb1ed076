"""The audit trail: one append-only row per state change of a listing, bid, deal or shipment.

Rows are written in the same transaction as the change they describe (so a rolled-back
change leaves no event) and are never updated or deleted: there is no API for it, and on
PostgreSQL a trigger (migration 0003) refuses UPDATE and DELETE outright.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index
from sqlmodel import Field, SQLModel

from market.core.columns import ts_column, utcnow
from market.core.db import JSONType

AUDITED_ENTITIES = ("listing", "bid", "tender", "deal", "shipment")
#: What :func:`market.core.audit.record` accepts: the trail's entities, organisations
#: (their verification by a regulator) and listing documents (lab reports uploaded and
#: deleted), which have no trail endpoint of their own.
RECORDED_ENTITIES = (*AUDITED_ENTITIES, "organization", "document")


class AuditEvent(SQLModel, table=True):
    """Who (user and the organisation they acted for; both null for the system's own jobs such
    as the tender closer), when, what, and the changed fields before and after."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_entity", "entity", "entity_id"),)

    id: int | None = Field(default=None, primary_key=True)
    entity: str = Field(max_length=20)
    entity_id: int
    action: str = Field(max_length=40)
    actor_user_id: int | None = Field(default=None, foreign_key="users.id")
    actor_org_id: int | None = Field(default=None, foreign_key="organizations.id")
    at: datetime = Field(default_factory=utcnow, sa_column=ts_column())
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONType))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONType))
