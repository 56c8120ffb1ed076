"""Request-scoped dependencies: one database transaction per request, the settings.

The bearer's user is ``market.accounts.deps``; the site locator is ``market.geo.regions``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from sqlmodel.ext.asyncio.session import AsyncSession

from market.core.db import transaction
from market.core.settings import Settings


async def provide_db(state: State) -> AsyncIterator[AsyncSession]:
    """Commit when the handler succeeds, roll back when it raises: nothing half-written."""
    async with transaction(state.sessionmaker) as session:
        yield session


def provide_settings(state: State) -> Settings:
    settings: Settings = state.settings
    return settings


def bearer_token(request: Request[Any, Any, Any]) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


#: Explicitly named dependencies for handler signatures (Litestar 3 drops inference).
Db = NamedDependency[AsyncSession]
AppSettings = NamedDependency[Settings]
#: Attributes a WGS84 point (lon, lat) to its (district code, park code).
Locate = Callable[[float, float], tuple[str | None, str | None]]
SiteLocator = NamedDependency[Locate]
