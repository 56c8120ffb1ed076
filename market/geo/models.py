"""Imported official boundaries (districts, industrial parks), stored as GeoJSON in WGS84.

When no boundary of a kind has been imported, the service uses geodata's schematic set for
that kind and marks everything drawn or reported from it as approximate.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from market.core.columns import ts_column, utcnow
from market.core.db import JSONType


class RegionRecord(SQLModel, table=True):
    __tablename__ = "regions"

    code: str = Field(primary_key=True, max_length=20)
    kind: str = Field(max_length=10, index=True)
    name_zh: str = Field(max_length=100)
    name_en: str = Field(max_length=100)
    parent_code: str | None = Field(default=None, max_length=20)
    #: RFC 7946 geometry (Polygon or MultiPolygon), WGS84.
    geometry: dict[str, Any] = Field(sa_column=Column(JSONType, nullable=False))
    source: str = Field(default="", max_length=300)
    imported_at: datetime = Field(default_factory=utcnow, sa_column=ts_column())
