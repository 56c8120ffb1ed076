"""Request-scoped dependencies: one database transaction per request, the bearer's user."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from sqlmodel.ext.asyncio.session import AsyncSession

from market.db import transaction
from market.models import User
from market.problems import Unauthorized
from market.services.accounts import user_for_token
from market.settings import Settings


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


async def provide_user(request: Request[Any, Any, Any], db: NamedDependency[AsyncSession]) -> User:
    token = bearer_token(request)
    if token is None:
        raise Unauthorized("log in and send the token as 'Authorization: Bearer <token>'")
    user = await user_for_token(db, token)
    if user is None:
        raise Unauthorized("the token is invalid or has expired; log in again")
    return user


#: Explicitly named dependencies for handler signatures (Litestar 3 drops inference).
Db = NamedDependency[AsyncSession]
CurrentUser = NamedDependency[User]
AppSettings = NamedDependency[Settings]
