"""Request-scoped dependencies: one database transaction per request, the settings.

The bearer's user is ``market.accounts.deps``; the site locator is ``market.geo.regions``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.types import ASGIApp, Receive, Scope, Send
from sqlmodel.ext.asyncio.session import AsyncSession

from market.core.db import transaction
from market.core.settings import Settings

#: Where the request's session is kept while it is open (see :func:`close_left_open`).
_SESSION_KEY = "market.db_session"


#: A route handler's ``opt`` for a handler that only reads (see :func:`provide_db`).
READS_ONLY: dict[str, Any] = {"read_only": True}


async def provide_db(state: State, request: Request[Any, Any, Any]) -> AsyncIterator[AsyncSession]:
    """Commit when the handler succeeds, roll back when it raises: nothing half-written.

    A handler whose ``opt`` is :data:`READS_ONLY` gets a read-only transaction
    (:func:`market.core.db.transaction`): the hot searches and views, not every GET,
    since a deferred transaction that does write can fail at once when another connection
    wrote first; a handler is marked once it is known to write nothing.
    """
    read_only = bool(request.route_handler.opt.get("read_only"))
    async with transaction(state.sessionmaker, read_only=read_only) as session:
        request.scope[_SESSION_KEY] = session  # type: ignore[literal-required]
        yield session
    request.scope.pop(_SESSION_KEY, None)  # type: ignore[misc]


def close_left_open(app: ASGIApp) -> ASGIApp:
    """ASGI middleware closing a request's session that Litestar never cleaned up.

    When a dependency fails *while dependencies are being resolved* (a later dependency's
    query parameter does not parse, say, after the user was already looked up), Litestar
    2.25 never enters the cleanup of the generators it had started, so ``provide_db``'s
    transaction stayed open until garbage collection: on SQLite that held the write lock.
    At the end of every request this rolls such a session back and returns its connection.
    """

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await app(scope, receive, send)
        finally:
            session = scope.pop(_SESSION_KEY, None)  # type: ignore[misc]
            if session is not None:
                await session.close()

    return middleware


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
