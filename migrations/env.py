"""Alembic environment: async engine, URL from the ``MARKET_`` settings (or the caller).

``market.core.migrate.upgrade`` passes the URL in ``config.attributes["database_url"]``; the
plain ``alembic`` command falls back to ``MARKET_DATABASE_URL``/the embedded default.
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from alembic import context
from sqlalchemy import JSON
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool
from sqlalchemy.types import TypeDecorator

import market.tables  # noqa: F401  (registers the tables on the metadata)
from market.core.db import metadata
from market.core.settings import Settings

config = context.config


def _url() -> str:
    url = config.attributes.get("database_url")
    return str(url) if url else Settings.from_env().database_url


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    """Render app column types as their plain SQLAlchemy storage type.

    Migrations must not import application code (it changes; they must not), so a
    ``ScaledDecimal`` is written as the ``BigInteger`` it stores, ``UTCDateTime`` as
    ``DateTime(timezone=True)`` and SQLModel's ``AutoString`` as ``String``.
    """
    if type_ == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl!r}"
    if type_ == "type" and isinstance(obj, JSON):
        # Alembic renders the JSONB variant as JSONB(astext_type=Text()) without importing
        # Text; spell out the variant the models use instead.
        autogen_context.imports.add("from sqlalchemy.dialects import postgresql")
        return 'sa.JSON().with_variant(postgresql.JSONB(), "postgresql")'
    return False


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_item=_render_item,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    engine = create_async_engine(_url(), poolclass=NullPool)
    async with engine.connect() as connection:
        await connection.run_sync(_configure)
    await engine.dispose()


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    asyncio.run(_run_async())
