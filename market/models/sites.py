"""Where an organisation produces or receives material."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from market.models.base import ts_column, utcnow


class Site(SQLModel, table=True):
    """A plant, yard or stockpile. Coordinates are always WGS84, whatever the user typed."""

    __tablename__ = "sites"

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organizations.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=200)
    address: str = Field(default="", max_length=300)
    lon: float
    lat: float = Field(index=True)
    district_code: str | None = Field(default=None, max_length=12, index=True)
    park_code: str | None = Field(default=None, max_length=20, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column())
