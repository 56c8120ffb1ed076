"""Saved what-if scenarios of the city-wide allocation (issue #13).

A scenario is a name and a JSON body of changes (:class:`~market.stats.allocation_schemas.
ScenarioChanges`: hypothetical consumers, removed producers, freight rate, haul limit). It is
applied to the in-memory snapshot of an allocation run only, never to listings or demands.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from market.core.columns import ts_column, utcnow
from market.core.db import JSONType


class AllocationScenario(SQLModel, table=True):
    __tablename__ = "allocation_scenarios"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    created_by_user_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column())
    #: ScenarioChanges as JSON (decimals as strings, so nothing is rounded on the way).
    body: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
