"""Role gates for the API as Litestar guards: regulators, the platform admin.

A guard runs before the handler's dependencies, so it looks the bearer up in a short session
of its own; the services keep their own checks too (the CLI and the pages reach them without
a guard), and ownership (is this your organisation's listing?) stays in the services, which
know the rows.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.types import Guard

from market.accounts.deps import INVALID_TOKEN, NO_TOKEN
from market.accounts.models import USER_ROLES
from market.accounts.service import user_for_token
from market.core.errors import Forbidden, Unauthorized


def _bearer(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    scheme, _, token = connection.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def role_guard(*roles: str, who: str) -> Guard:
    """A guard letting through users with one of ``roles``; ``who`` names them in the 403."""
    unknown = set(roles) - set(USER_ROLES)
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}")

    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        token = _bearer(connection)
        if token is None:
            raise Unauthorized(NO_TOKEN)
        async with connection.app.state.sessionmaker() as session:
            user = await user_for_token(session, token)
        if user is None:
            raise Unauthorized(INVALID_TOKEN)
        if user.role not in roles:
            raise Forbidden(f"only {who} can do this")

    return guard


#: City regulators and the platform admin (who reads everything).
regulators = role_guard("regulator", "admin", who="regulators")
#: The platform admin only: catalogue corrections, boundary imports.
platform_admin = role_guard("admin", who="the platform administrator")
