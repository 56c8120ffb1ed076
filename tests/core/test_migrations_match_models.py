"""The migrations build exactly the schema the models describe, and undo it."""

from __future__ import annotations

import asyncio
import os
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

import market.tables  # noqa: F401
from market.core.db import metadata
from market.core.migrate import downgrade, upgrade
from tests.conftest import PG_ENV, _create_pg_database, _drop_pg_database


def _diff(url: str) -> list[Any]:
    async def go() -> list[Any]:
        engine = create_async_engine(url, poolclass=NullPool)
        async with engine.connect() as conn:
            return await conn.run_sync(
                lambda c: compare_metadata(
                    MigrationContext.configure(c, opts={"compare_type": False}), metadata
                )
            )
        await engine.dispose()

    return asyncio.run(go())


def test_migrations_match_the_models(database_url: str) -> None:
    diff = _diff(database_url)
    assert diff == [], f"models and migrations differ (write a migration): {diff}"


def test_downgrade_to_base_and_up_again(database_url: str, tmp_path) -> None:
    """On a throw-away database: the shared one must keep its catalogue for other tests."""
    if database_url.startswith("sqlite"):
        url = f"sqlite+aiosqlite:///{tmp_path / 'roundtrip.sqlite3'}"
    else:
        url = asyncio.run(_create_pg_database(os.environ[PG_ENV]))
    try:
        upgrade(url)
        downgrade(url, "base")
        upgrade(url)
        assert _diff(url) == []
    finally:
        if not database_url.startswith("sqlite"):
            asyncio.run(_drop_pg_database(url))


def test_upgrade_creates_the_sqlite_folder(tmp_path) -> None:
    """A fresh clone has no var/: `make demo` must still be able to migrate."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'not' / 'yet' / 'there.sqlite3'}"
    upgrade(url)
    assert (tmp_path / "not" / "yet" / "there.sqlite3").is_file()


def test_migrations_are_one_line() -> None:
    """One head, each revision after the one before: branches merged by whoever adds them."""
    from alembic.script import ScriptDirectory

    from market.core.migrate import alembic_config

    script = ScriptDirectory.from_config(alembic_config("sqlite+aiosqlite://"))
    assert script.get_heads() == [script.get_current_head()]
    revisions = [r.revision for r in script.walk_revisions("base", "heads")]
    assert revisions == sorted(revisions, reverse=True), revisions
