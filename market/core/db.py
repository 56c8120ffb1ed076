"""Database engine, sessions and the column types the models share.

Quantities and money are exact: :class:`ScaledDecimal` stores a Decimal as a scaled integer
(tonnes as kilograms, yuan as fen), so SQLite and PostgreSQL hold the same exact integers and
SQL arithmetic (``quantity - reserved``) stays exact on both.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, MetaData, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session
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

#: asyncpg's own limit runs this much past PostgreSQL's statement_timeout, so that a slow
#: statement is cancelled by the server (a clean error, the connection kept) and only a
#: server that stopped answering trips the client's limit.
STALLED_SERVER_GRACE_SECONDS = 1.0

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


def _sqlite_pragmas(busy_timeout_ms: int) -> Callable[[Any, Any], None]:
    """The connect hook: foreign keys, WAL, and how long a writer waits for the lock."""

    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event start transactions (see _sqlite_begin), not the driver.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={busy_timeout_ms:d}")
        cur.close()

    return on_connect


#: The execution option (set on a session, see :func:`transaction`) of a transaction that
#: only reads: on SQLite it does not take the write lock.
READ_ONLY = "market_read_only"


def _sqlite_begin(conn: Any) -> None:
    """Take SQLite's write lock up front, unless the transaction only reads.

    A deferred transaction that reads and then writes fails at once ("database is locked")
    when another connection wrote in between; BEGIN IMMEDIATE instead waits its turn on the
    busy timeout, so concurrent buyers queue rather than get a 500. PostgreSQL needs none of
    this: its row locks and conditional updates do the work.

    A read-only request (:data:`READ_ONLY`) begins nothing: each of its statements reads
    the latest commit on its own (autocommit, as :func:`transaction` asks of PostgreSQL
    too), beside the writer and the other readers in WAL mode. Taking the write lock for it
    made readers queue on SQLite's busy handler, which polls with sleeps of up to 100 ms and
    serves no one in order: at 16 connections the matches route's p99 was 2.5 s against a
    p50 of 86 ms (bench/bench_server.py).
    """
    if not conn.get_execution_options().get(READ_ONLY, False):
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def ensure_sqlite_dir(url: str) -> None:
    """Create the folder of a SQLite file (``var/`` is not in git, so a fresh clone lacks it)."""
    if not url.startswith("sqlite"):
        return
    path = url.split(":///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def make_engine(settings: Settings) -> AsyncEngine:
    """Create the async engine with the fault limits of ``settings`` (README "Configuration").

    SQLite gets foreign keys, WAL and its busy timeout. PostgreSQL gets a connect timeout
    (asyncpg's default is 60 s), a server-side ``statement_timeout`` and a client-side
    ``command_timeout`` one second longer (the server cancels a slow statement itself and
    keeps the connection; the client's limit is for a server that stopped answering), a
    pool timeout, and a ping on checkout so that connections broken while the server was
    away are replaced without a restart.
    """
    if settings.is_sqlite:
        ensure_sqlite_dir(settings.database_url)
        # A small, fixed pool. Opening a SQLite connection (thread + PRAGMAs) costs about five
        # times the work of a simple request, so none is opened per request (no overflow).
        # SQLite has one writer at a time and readers take no lock (_sqlite_begin), so more
        # connections add no throughput: each is a thread contending for the GIL, and each
        # writer more waits on the busy handler, which serves no one in order. With 5 + 5
        # connections /health's p99 at 16 clients was 339 ms, with 2 it was 55 ms; 3 leaves
        # room for one slow request (a city report, an import) beside the rest.
        engine = create_async_engine(
            settings.database_url,
            echo=settings.log_sql,
            pool_size=3,
            max_overflow=0,
            pool_timeout=settings.database_pool_timeout_seconds,
        )
        busy_ms = round(settings.database_busy_timeout_seconds * 1000)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas(busy_ms))
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        return engine
    statement = settings.database_statement_timeout_seconds
    return create_async_engine(
        settings.database_url,
        echo=settings.log_sql,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=20,
        pool_timeout=settings.database_pool_timeout_seconds,
        connect_args={
            "timeout": settings.database_connect_timeout_seconds,
            "command_timeout": statement + STALLED_SERVER_GRACE_SECONDS,
            "server_settings": {"statement_timeout": str(max(1, round(statement * 1000)))},
        },
    )


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


#: A read-only unit of work: no transaction round trips (BEGIN, COMMIT) on either database.
_READ_ONLY_OPTIONS = {READ_ONLY: True, "isolation_level": "AUTOCOMMIT"}


class ReadOnlyWrite(RuntimeError):
    """A read-only unit of work tried to write (a programming error: mark the handler)."""


@event.listens_for(Session, "before_flush")
def _refuse_writes_when_read_only(session: Session, _context: Any, _instances: Any) -> None:
    """In autocommit a write would land at once, not with the unit's end: refuse it."""
    if session.info.get(READ_ONLY) and (session.new or session.dirty or session.deleted):
        raise ReadOnlyWrite("a read-only unit of work (READS_ONLY handler) tried to write")


class _Transaction(AbstractAsyncContextManager[AsyncSession]):
    """See :func:`transaction`."""

    def __init__(self, factory: async_sessionmaker[AsyncSession], read_only: bool) -> None:
        self._session = (
            factory(execution_options=_READ_ONLY_OPTIONS, info={READ_ONLY: True})
            if read_only
            else factory()
        )

    async def __aenter__(self) -> AsyncSession:
        return self._session

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session = self._session
        try:
            if exc is None:
                try:
                    await session.commit()
                except BaseException:
                    await session.rollback()
                    raise
            else:
                await session.rollback()
        finally:
            await session.close()


def transaction(
    factory: async_sessionmaker[AsyncSession], *, read_only: bool = False
) -> AbstractAsyncContextManager[AsyncSession]:
    """One unit of work: commit when the block finishes, roll back on any exception.

    ``read_only``: the work only reads. Each statement then runs on its own (autocommit): it
    sees the latest commit, not one snapshot for the whole unit, as a read-committed
    transaction on PostgreSQL would. On SQLite it takes no write lock. Nothing may write in
    it: a write would be committed at once, not at the end.

    A class, not an ``@asynccontextmanager`` generator: a request dependency that holds this
    open (``provide_db``) is itself a generator, and when Litestar leaves it to the garbage
    collector (a dependency failing during resolution, as every one does while the database
    is away) asyncio closed both generators at once in separate tasks; the inner one was
    then "already running" and the log filled with ``RuntimeError: aclose(): asynchronous
    generator is already running``.
    """
    return _Transaction(factory, read_only)
