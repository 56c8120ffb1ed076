"""Database engine, sessions and the column types the models share.

Quantities and money are exact: :class:`ScaledDecimal` stores a Decimal as a scaled integer
(tonnes as kilograms, yuan as fen), so SQLite and PostgreSQL hold the same exact integers and
SQL arithmetic (``quantity - reserved``) stays exact on both.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, MetaData, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.types import TypeDecorator
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from market.core.settings import Settings

#: Constraint names that Alembic can drop and rename reliably on both databases.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION
metadata: MetaData = SQLModel.metadata

#: JSON on SQLite, JSONB on PostgreSQL.
JSONType = JSON().with_variant(JSONB(), "postgresql")


class ScaledDecimal(TypeDecorator[Decimal]):
    """A Decimal stored as an integer count of ``10**-scale`` units (kg for t, fen for CNY).

    Binding a value with more decimals than ``scale`` is an error rather than a silent
    rounding: the API validates decimal places before anything reaches the database.
    """

    impl = BigInteger
    cache_ok = True

    def __init__(self, scale: int) -> None:
        super().__init__()
        self.scale = scale
        self._unit = Decimal(1).scaleb(-scale)

    def process_bind_param(self, value: Any, dialect: Dialect) -> int | None:
        if value is None:
            return None
        dec = value if isinstance(value, Decimal) else Decimal(str(value))
        scaled = dec.scaleb(self.scale)
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{dec} has more than {self.scale} decimal places")
        return int(scaled)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return Decimal(int(value)).scaleb(-self.scale).quantize(self._unit, ROUND_HALF_EVEN)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps on both databases (SQLite keeps no offset itself)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        result: datetime = value
        return result.replace(tzinfo=UTC) if result.tzinfo is None else result.astimezone(UTC)


def tonnes() -> ScaledDecimal:
    """Tonnes stored as integer kilograms."""
    return ScaledDecimal(3)


def yuan() -> ScaledDecimal:
    """CNY stored as integer fen."""
    return ScaledDecimal(2)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event start transactions (see _sqlite_begin), not the driver.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    """Take SQLite's write lock up front.

    A deferred transaction that reads and then writes fails at once ("database is locked")
    when another connection wrote in between; BEGIN IMMEDIATE instead waits its turn on the
    busy timeout, so concurrent buyers queue rather than get a 500. PostgreSQL needs none of
    this: its row locks and conditional updates do the work.
    """
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def ensure_sqlite_dir(url: str) -> None:
    """Create the folder of a SQLite file (``var/`` is not in git, so a fresh clone lacks it)."""
    if not url.startswith("sqlite"):
        return
    path = url.split(":///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def make_engine(settings: Settings) -> AsyncEngine:
    """Create the async engine; SQLite gets foreign keys, WAL and a busy timeout."""
    if settings.is_sqlite:
        ensure_sqlite_dir(settings.database_url)
        # A small pool: opening a SQLite connection (thread + PRAGMAs) costs about five times
        # the work of a simple request, measured in bench/bench_server.py.
        engine = create_async_engine(
            settings.database_url, echo=settings.log_sql, pool_size=5, max_overflow=5
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        return engine
    return create_async_engine(
        settings.database_url,
        echo=settings.log_sql,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=20,
    )


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


@asynccontextmanager
async def transaction(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One unit of work: commit when the block finishes, roll back on any exception."""
    async with factory() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
