"""The test database of one backend: migrated once per session, emptied between tests.

Emptying goes over one connection kept open for the whole session instead of a new engine
per test. On PostgreSQL the tables are emptied with DELETE, not TRUNCATE: truncating the
twenty-odd tables cost about 0.6 s a test here (every table and index gets a new file),
DELETE of a test's few rows a few milliseconds. ``audit_events`` is append-only there (a
trigger refuses DELETE), so it alone is truncated; the id sequences restart as TRUNCATE ...
RESTART IDENTITY did, so ids start from 1 in every test on both backends.

A :class:`Snapshot` keeps rows to copy back in, ids included: the seeded catalogue (for the
tests that edit it) and scenarios that are slow to build through the API (the statistics
city), so each such test starts from exactly the same state without rebuilding it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, inspect, text
from sqlalchemy.ext.asyncio import AsyncConnection

from market.catalogue.sync import sync_catalogue
from market.core.db import make_engine, make_sessionmaker, metadata, transaction
from market.core.settings import Settings

#: Tables holding the catalogue, kept between tests; everything else is emptied.
CATALOGUE_TABLES = {"materials", "material_parameters", "grades", "grade_limits"}
KEPT_TABLES = {*CATALOGUE_TABLES, "alembic_version"}
#: Refuses DELETE on PostgreSQL (migration 0003); TRUNCATE is allowed.
APPEND_ONLY_TABLES = {"audit_events"}


async def seed_catalogue(settings: Settings) -> None:
    """The catalogue exactly as ``market catalogue sync`` writes it."""
    engine = make_engine(settings)
    try:
        async with transaction(make_sessionmaker(engine)) as session:
            await sync_catalogue(session)
    finally:
        await engine.dispose()


@dataclass(frozen=True)
class Snapshot:
    """The rows of some tables, parents first."""

    rows: tuple[tuple[Table, tuple[dict[str, Any], ...]], ...]


class TestDatabase:
    """A migrated database with the catalogue, and the kept-open connection that resets it."""

    __test__ = False  # a helper, not a test class

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._engine = make_engine(settings)
        self._conn: AsyncConnection | None = None
        #: The tables emptied between tests, parents first.
        self._tables: list[Table] = []
        self._catalogue: list[Table] = []
        #: (table, column) of every id filled from a sequence (PostgreSQL only).
        self._sequences: list[tuple[str, str]] = []
        self._seeded: Snapshot | None = None

    async def open(self) -> None:
        """Connect and note the tables; call once the database is migrated and seeded."""
        self._conn = conn = await self._engine.connect()
        existing = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
        # Only tables the migrations created: tests/test_migrations.py checks they match the
        # models, so a model without a migration fails there rather than everywhere.
        ours = [t for t in metadata.sorted_tables if t.name in existing]
        self._tables = [t for t in ours if t.name not in KEPT_TABLES]
        self._catalogue = [t for t in ours if t.name in CATALOGUE_TABLES]
        if not self.settings.is_sqlite:
            # A connection a test left in a transaction makes TRUNCATE wait: fail instead.
            await conn.execute(text("SET lock_timeout = '10s'"))
            found = await conn.execute(
                text(
                    "SELECT table_name, column_name FROM information_schema.columns "
                    "WHERE table_schema = current_schema() "
                    "AND (column_default LIKE 'nextval(%' OR is_identity = 'YES')"
                )
            )
            self._sequences = [(t, c) for t, c in found if t in existing]
        await conn.commit()
        self._seeded = await self.snapshot(self._catalogue)

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
        await self._engine.dispose()

    @property
    def conn(self) -> AsyncConnection:
        assert self._conn is not None, "TestDatabase.open() was not awaited"
        return self._conn

    async def reset(self) -> None:
        """Empty every table but the catalogue's."""
        await self._replace(self._tables, Snapshot(()))

    async def reseed_catalogue(self) -> None:
        """Empty everything and put the catalogue back exactly as seeded."""
        assert self._seeded is not None
        await self._replace([*self._catalogue, *self._tables], self._seeded)

    async def snapshot(self, tables: Iterable[Table] | None = None) -> Snapshot:
        """The current rows of ``tables`` (by default, of every table a test may fill)."""
        conn = self.conn
        rows = []
        for table in self._tables if tables is None else tables:
            result = await conn.execute(table.select())
            rows.append((table, tuple(dict(r) for r in result.mappings())))
        await conn.commit()
        return Snapshot(tuple(rows))

    async def restore(self, snapshot: Snapshot) -> None:
        """Empty the tables a test may fill and copy the snapshot's rows back in."""
        await self._replace(self._tables, snapshot)

    async def _replace(self, tables: list[Table], snapshot: Snapshot) -> None:
        """In one transaction: empty ``tables`` (children first), insert the snapshot's rows
        (parents first) and point each id sequence past the largest id."""
        conn = self.conn
        try:
            for table in reversed(tables):
                if table.name in APPEND_ONLY_TABLES and not self.settings.is_sqlite:
                    # TRUNCATE rewrites the table's files even when it is empty: skip that.
                    if (await conn.execute(table.select().limit(1))).first() is not None:
                        await conn.execute(text(f'TRUNCATE "{table.name}"'))
                else:
                    await conn.execute(table.delete())
            for table, rows in snapshot.rows:
                if rows:
                    await conn.execute(table.insert(), list(rows))
            names = {t.name for t in tables}
            sequences = [(t, c) for t, c in self._sequences if t in names]
            if sequences:
                await conn.execute(text(_restart(sequences)))
            await conn.commit()
        except BaseException:
            await conn.rollback()
            raise


def _restart(sequences: list[tuple[str, str]]) -> str:
    """One SELECT that sets each sequence to follow its column's largest value (1 if empty)."""
    calls = [
        f"setval(pg_get_serial_sequence('\"{table}\"', '{column}'), "
        f'COALESCE((SELECT MAX("{column}") FROM "{table}"), 0) + 1, false)'
        for table, column in sequences
    ]
    return "SELECT " + ", ".join(calls)
