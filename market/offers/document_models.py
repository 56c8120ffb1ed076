"""Lab reports attached to a listing: what the report is, who may see it, where its bytes are.

The bytes are never in the database: ``storage_key`` names them in the document store
(:mod:`market.offers.document_store`), ``sha256`` and ``size_bytes`` say what was stored.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from sqlalchemy import CheckConstraint, Column
from sqlmodel import Field, SQLModel

from market.core.columns import ts_column, utcnow
from market.core.db import JSONType

#: "public": every logged-in user who can read the listing; "parties": members of the
#: producer, regulators, and buyers who have bid on or dealt for the listing.
Visibility = Literal["public", "parties"]
VISIBILITIES: tuple[str, ...] = ("public", "parties")


class ListingDocument(SQLModel, table=True):
    __tablename__ = "listing_documents"
    __table_args__ = (
        CheckConstraint("visibility IN ('public', 'parties')", name="visibility_known"),
        CheckConstraint("size_bytes > 0", name="size_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    listing_id: int = Field(foreign_key="listings.id", index=True)
    uploaded_by: int = Field(foreign_key="users.id")
    lab_name: str = Field(max_length=200)
    sample_date: date
    #: Catalogue parameter codes (of the listing's material) the report covers.
    parameters: list[str] = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    #: Of those, the ones whose value in the listing's spec is taken from this report
    #: ("from report N"); the newest report naming a parameter is its source.
    spec_sources: list[str] = Field(
        default_factory=list, sa_column=Column(JSONType, nullable=False)
    )
    visibility: str = Field(default="parties", max_length=10)
    content_type: str = Field(max_length=40)
    size_bytes: int
    sha256: str = Field(max_length=64)
    storage_key: str = Field(max_length=200, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=ts_column())
