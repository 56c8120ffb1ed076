"""The bearer's user, as a request dependency for every API handler that needs a login."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from sqlmodel.ext.asyncio.session import AsyncSession

from market.accounts.models import User
from market.accounts.service import user_for_token
from market.core.deps import bearer_token
from market.core.errors import Unauthorized
from market.core.recent import Recent
from market.core.security import token_digest

NO_TOKEN = "log in and send the token as 'Authorization: Bearer <token>'"
INVALID_TOKEN = "the token is invalid or has expired; log in again"


class TokenCache(Recent[str, User]):
    """Users of bearer tokens (by digest) checked within ``ttl`` seconds, for read-only
    requests only.

    The token look-up is one of the two statements a kept answer of matches or a search
    costs (:mod:`market.core.response_cache`), so read-only handlers trust a check this
    recent. Every request that writes checks the database: a revoked token or a deactivated
    user can still *read* for at most ``ttl`` seconds on another worker, and never write.
    This worker forgets its checks when a token is revoked here (logout, revoke, password).
    """

    def __init__(self, ttl: float = 1.0, size: int = 4096) -> None:
        super().__init__(ttl, size)


async def provide_user(
    request: Request[Any, Any, Any], db: NamedDependency[AsyncSession], state: State
) -> User:
    token = bearer_token(request)
    if token is None:
        raise Unauthorized(NO_TOKEN)
    if not request.route_handler.opt.get("read_only"):
        user = await user_for_token(db, token)
    else:
        cache: TokenCache = state.tokens
        digest = token_digest(token)
        kept = cache.get(digest)
        user = None if kept is None else kept[0]
        if user is None:
            user = await user_for_token(db, token)
            if user is not None:
                # Detached, so that this request's rollback (a 404, say) cannot expire the
                # instance the next requests are given; they only read its columns.
                db.expunge(user)
                cache.put(digest, user)
    if user is None:
        raise Unauthorized(INVALID_TOKEN)
    return user


CurrentUser = NamedDependency[User]
