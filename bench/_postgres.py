"""Throw-away PostgreSQL databases for the benchmarks that measure on PostgreSQL.

The server is ``MARKET_BENCH_POSTGRES_URL`` (default: the local one the test suite uses); a
database ``<prefix>_<pid>`` is created on it and dropped afterwards, whatever happened.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg
from sqlalchemy.engine import make_url

POSTGRES_URL = os.environ.get(
    "MARKET_BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)


async def admin(url: str, sql: str) -> None:
    """Run one statement on the server of ``url`` (its maintenance database by default)."""
    base = make_url(url)
    conn = await asyncpg.connect(
        host=base.host,
        port=base.port or 5432,
        user=base.username,
        password=base.password,
        database=base.database or "postgres",
        timeout=5,
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextmanager
def scratch_database(prefix: str) -> Iterator[str | None]:
    """The URL of a new, empty database (dropped afterwards), or None without a server."""
    name = f"{prefix}_{os.getpid()}"
    try:
        asyncio.run(admin(POSTGRES_URL, f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        print(f"   (no PostgreSQL at {POSTGRES_URL}: {type(exc).__name__})")
        yield None
        return
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(False)
    finally:
        asyncio.run(admin(POSTGRES_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
