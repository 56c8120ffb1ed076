"""The bearer's user, as a request dependency for every API handler that needs a login."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.di import NamedDependency
from sqlmodel.ext.asyncio.session import AsyncSession

from market.accounts.models import User
from market.accounts.service import user_for_token
from market.core.deps import bearer_token
from market.core.errors import Unauthorized

NO_TOKEN = "log in and send the token as 'Authorization: Bearer <token>'"
INVALID_TOKEN = "the token is invalid or has expired; log in again"


async def provide_user(request: Request[Any, Any, Any], db: NamedDependency[AsyncSession]) -> User:
    token = bearer_token(request)
    if token is None:
        raise Unauthorized(NO_TOKEN)
    user = await user_for_token(db, token)
    if user is None:
        raise Unauthorized(INVALID_TOKEN)
    return user


CurrentUser = NamedDependency[User]
