"""Shared column helpers for the tables."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Column

from market.core.db import UTCDateTime


def utcnow() -> datetime:
    """Timezone-aware now; every timestamp in the database is UTC."""
    return datetime.now(UTC)


def ts_column(nullable: bool = False) -> Column[datetime]:
    """A timezone-aware timestamp column (TIMESTAMPTZ on PostgreSQL)."""
    return Column(UTCDateTime(), nullable=nullable)
