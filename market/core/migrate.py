"""Run Alembic migrations from code (CLI, tests, app start-up in docker-compose).

The Alembic config comes from ``pyproject.toml`` ([tool.alembic]), so there is no
``alembic.ini``; the database URL is passed explicitly so tests can target any database.
"""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from market.core.db import ensure_sqlite_dir
from market.core.settings import PROJECT_ROOT


def alembic_config(database_url: str) -> Config:
    cfg = Config(toml_file=str(PROJECT_ROOT / "pyproject.toml"))
    cfg.attributes["database_url"] = database_url
    return cfg


def upgrade(database_url: str, revision: str = "heads") -> None:
    """Migrate to ``revision``. Synchronous: call it via ``asyncio.to_thread`` inside a loop."""
    ensure_sqlite_dir(database_url)
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(database_url), revision)
