"""Read-only units of work (the hot read routes): no write lock, no transaction, no writes."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import text

from market.accounts.models import User
from market.core.db import ReadOnlyWrite, make_engine, make_sessionmaker, transaction
from market.core.settings import Settings


async def test_a_read_only_unit_refuses_to_write_and_writes_nothing(settings: Settings) -> None:
    engine = make_engine(settings)
    factory = make_sessionmaker(engine)
    email = f"ro-{time.monotonic_ns()}@example.cn"
    try:
        with pytest.raises(ReadOnlyWrite):
            async with transaction(factory, read_only=True) as session:
                session.add(User(email=email, password_hash="x", display_name="ro"))
                await session.flush()
        async with transaction(factory) as session:
            found = (
                await session.exec(
                    text("SELECT count(*) FROM users WHERE email = :e"), params={"e": email}
                )  # type: ignore[call-overload]
            ).one()
        assert found[0] == 0
    finally:
        await engine.dispose()


async def test_a_read_only_unit_reads_beside_a_writer_that_holds_the_lock(
    settings: Settings,
) -> None:
    """On SQLite a writer holds the database's write lock (BEGIN IMMEDIATE) until it commits;
    a read-only unit must not queue behind it (it did, on the busy handler's sleeps)."""
    engine = make_engine(settings.model_copy(update={"database_busy_timeout_seconds": 3.0}))
    factory = make_sessionmaker(engine)
    try:
        async with transaction(factory) as writer:
            await writer.exec(text("UPDATE users SET display_name = display_name WHERE 1 = 0"))  # type: ignore[call-overload]
            started = time.monotonic()
            async with transaction(factory, read_only=True) as reader:
                await asyncio.wait_for(
                    reader.exec(text("SELECT count(*) FROM users")),  # type: ignore[call-overload]
                    timeout=2.0,
                )
            assert time.monotonic() - started < 1.0
    finally:
        await engine.dispose()
